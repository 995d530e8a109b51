/**
 * "Watch again" in an untrusted window (issue 11): a watch panel restored after its window lost
 * workspace trust offers "Watch again"; clicking it must run nothing (a capture runs sh) and say why.
 * A real VS Code with workspace trust on (code-server without --disable-workspace-trust), trust
 * granted and withdrawn through its own Workspace Trust editor, and a real watched process.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProcess, type RealProcess } from '../helpers/realProcess';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';
import { runCommandWhenReady, sampleCount, sleep, waitSamples, watchProcess } from './timelineSteps';

/**
 * Grants trust ("Trust" in the Workspace Trust editor) or withdraws it (the editor has no "Don't
 * Trust" once trusted: the folder's row in its trusted-folders table is deleted).
 */
/** Trusts the folder and waits until the window has left Restricted Mode. */
async function trust(vsc: VSCode): Promise<void> {
  await setTrust(vsc, true);
  assert.equal(
    await poll(
      () => restricted(vsc),
      (r) => !r,
      30_000,
    ),
    false,
    'trusted',
  );
}

async function setTrust(vsc: VSCode, trust: boolean): Promise<void> {
  await runCommandWhenReady(vsc, 'Workspaces: Manage Workspace Trust');
  const editor = vsc.page.locator('.workspace-trust-editor');
  try {
    if (trust) {
      await editor
        .locator('.monaco-button', { hasText: /^Trust$/ })
        .first()
        .click({ timeout: 20_000 });
    } else {
      const row = editor.locator('.monaco-list-row', { hasText: vsc.folder }).first();
      await row.hover({ timeout: 20_000 });
      await row.locator('[aria-label="Delete Path"], [title="Delete Path"]').first().click({ timeout: 20_000 });
    }
    if (trust) await closeModal(vsc);
  } catch (err) {
    await vsc.screenshot(`trust-${trust ? 'grant' : 'withdraw'}-failure`);
    throw new Error(`cannot ${trust ? 'grant' : 'withdraw'} workspace trust in the Workspace Trust editor: ${(err as Error).message}`);
  }
}

/** Closes the modal Workspace Trust editor: Escape, with the focus in it (it takes the pointer until closed). */
async function closeModal(vsc: VSCode): Promise<void> {
  const modal = vsc.page.locator('.monaco-modal-editor-block');
  await poll(
    async () => {
      if (!(await modal.isVisible())) return true;
      await modal
        .locator('.modal-editor-title')
        .first()
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await vsc.page.keyboard.press('Escape');
      return !(await modal.isVisible());
    },
    (closed) => closed,
    20_000,
    500,
  );
}

const restricted = async (vsc: VSCode) => (await vsc.statusBarText()).some((t) => /Restricted Mode/.test(t));

describe('"Watch again" checks workspace trust (real VS Code, workspace trust on)', { timeout: 300_000 }, () => {
  const folder = tempFolder('vma-lens-e2e-trust-');
  const captures = path.join(folder, 'captures');
  let vsc: VSCode;
  let p: RealProcess | undefined;
  /** The watch's capture folder and how many dumps it holds. */
  let dir = '';
  const dumps = () => fs.readdirSync(dir).filter((x) => x.endsWith('.maps')).length;

  before(async () => {
    vsc = await startVSCode({
      folder,
      untrusted: true,
      settings: { 'vmaLens.watch.intervalSeconds': 1, 'vmaLens.watch.captureFolder': captures },
    });
  });
  after(async () => {
    await p?.stop();
    await vsc?.close();
  });

  it('opens in Restricted Mode; once trusted, a watch of a real process runs and is stopped', async () => {
    assert.equal(
      await poll(
        () => restricted(vsc),
        (r) => r,
        30_000,
      ),
      true,
      'the folder starts untrusted',
    );
    await trust(vsc);
    p = startProcess({ cmd: 'sleep', args: ['600'] });
    await p.ready;
    await watchProcess(vsc, p.pid);
    const f = vsc.webviewFrame();
    await waitSamples(f, 2);
    await f.locator('#stop').click();
    await f.locator('#restart').waitFor({ timeout: 10_000 });
    dir = path.join(captures, fs.readdirSync(captures)[0]!);
    assert.ok(dumps() >= 2);
  });

  it('after trust is withdrawn (the window reloads), "Watch again" captures nothing and says why', async () => {
    // Let the web workbench persist the panel's state before the reload.
    await sleep(3000);
    await setTrust(vsc, false);
    // Withdrawing trust reloads the window; the watch panel comes back through its serializer.
    assert.equal(
      await poll(
        () => restricted(vsc).catch(() => false),
        (r) => r,
        60_000,
      ),
      true,
      'Restricted Mode again',
    );
    const f = vsc.webviewFrame();
    const n = dumps();
    await waitSamples(f, n, 60_000);
    await f.locator('#restart').waitFor({ timeout: 30_000 });
    const idle = await f.locator('#watch-state').innerText();
    assert.match(idle, new RegExp(`^Not watching\\. ${n} saved samples of process ${p!.pid}\\.$`));
    assert.equal(p!.alive(), true, 'the process is there to be captured');
    await f.locator('#restart').click();
    const notice = f.locator('#notices .notice.error', { hasText: 'trust this workspace first' });
    await notice.waitFor({ timeout: 10_000 });
    assert.equal(await notice.innerText(), 'Watching runs programs (sh, ssh): trust this workspace first (Workspaces: Manage Workspace Trust).');
    await sleep(3000); // three intervals: a watch, had one started, would have saved samples by now
    assert.equal(dumps(), n, 'no capture ran');
    assert.equal(await sampleCount(f), n);
    assert.equal(await f.locator('#watch-state').innerText(), idle);
    assert.ok(!(await vsc.statusBarText()).some((t) => /VMA watch/.test(t)), 'no watch in the status bar');
    assert.deepEqual(vsc.extensionErrors(), []);
  });

  it('the same button captures again once the workspace is trusted (so the refusal above was the trust check)', async () => {
    await trust(vsc);
    const n = dumps();
    const f = vsc.webviewFrame();
    await f.locator('#restart').click();
    await f.locator('#watch[data-state="running"]').waitFor({ timeout: 30_000 });
    await waitSamples(f, n + 2);
    assert.ok(dumps() >= n + 2, `${dumps()} dumps, ${n} before`);
    await f.locator('#stop').click();
  });
});
