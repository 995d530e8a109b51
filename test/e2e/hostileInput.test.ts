/**
 * Hostile input in the real VS Code (issue 11): a crafted dump's quick fixes merge only the
 * intended setting into the workspace my.cnf, its Copy command copies a command a real sh runs
 * as the intended words, and a capture from a hostile SSH host (a real sshd whose ForceCommand
 * answers with crafted headers, as a compromised host could) gets a document name made of
 * validated parts only.
 *
 * Run: npm run build && node --import tsx --test --test-concurrency=1 test/e2e/hostileInput.test.ts   (as root: the sshd logs in as root)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import { analyzeText } from '../../src/core/analyze';
import { systemdEscape } from '../../src/core/escape';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { command, problemCounts, quickFix, quickInput, quickPick, runPickCommand, waitForNotification, waitForTab } from './editorActions';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';

const isRoot = process.getuid?.() === 0;
const LIBC = '7f1000000000-7f1000200000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6';
const INJECTED = `555555554000-555555556000 r-xp 00000000 08:01 1234 /usr/sbin/mariadbd\\012[mysqld]\\012skip-grant-tables\\012bind-address=0.0.0.0\n7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n${LIBC}\n`;
/** With a glibc arena heap: the trouble for which a plain program is offered the allocator switch (a drop-in with a restart). */
const SHELL_NAME =
  `# command: /opt/app/worker$(touch\${IFS}PWNED)\n555555554000-555555556000 r-xp 00000000 08:01 1234 /opt/app/worker\n${LIBC}\n` +
  '7f2000000000-7f2000021000 rw-p 00000000 00:00 0 \n7f2000021000-7f2004000000 ---p 00000000 00:00 0 \n';
const MY_CNF = '[mysqld]\ndatadir = /var/lib/mysql\n\n[mysqld_safe]\nnice = 0\n';

/** A remote "host" that answers the process list and the capture with crafted text. */
const HOSTILE_HOST = `#!/bin/sh
cat >/dev/null
case "$SSH_ORIGINAL_COMMAND" in
  *list*) printf '4242\\t3\\t0\\tx\\t/usr/sbin/x --serve\\n' ;;
  *capture*)
    printf '# vma-lens capture\\n# host: evil\\n# pid: 4242\\n# command: /usr/sbin/x --serve\\n'
    printf '# time: /../../../../home/user/.bashrc\\n'
    printf '555555554000-555555556000 r-xp 00000000 08:01 1234 /usr/sbin/x\\n${LIBC}\\n' ;;
esac
`;

/** The first line a finding's diagnostic is on. */
const findingLine = (text: string, id: string) => analyzeText(text).findings.find((f) => f.id === id)!.lines[0];

describe('hostile input in VS Code', { timeout: 600_000 }, () => {
  let vsc: VSCode;
  let folder: string;
  let sshd: TestSshd | undefined;
  /** Outside the workspace: the hostile host's script and the shell's working folder. */
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-e2e-hostile-scratch-'));

  before(async () => {
    folder = tempFolder('vma-lens-e2e-hostile-');
    if (isRoot) {
      const script = path.join(scratch, 'hostile-host.sh');
      fs.writeFileSync(script, HOSTILE_HOST, { mode: 0o755 });
      sshd = await startSshd('vmalens-hostile', [`ForceCommand ${script}`]);
    }
    vsc = await startVSCode({
      folder,
      files: { 'injected.maps': INJECTED, 'shell-name.maps': SHELL_NAME, 'etc/my.cnf': MY_CNF },
      settings: { 'workbench.editor.enablePreview': false, ...(sshd ? { 'vmaLens.ssh.configFile': sshd.configFile } : {}) },
    });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`hostile-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
    await sshd?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('a mapping name with \\012[mysqld]\\012… merges malloc-lib only into the workspace my.cnf', async () => {
    await vsc.openFromExplorer('injected.maps');
    await poll(
      () => problemCounts(vsc),
      (c) => c[2] > 0,
    );
    await quickFix(vsc, findingLine(INJECTED, 'allocator'), 1, /through mysqld_safe .*: add to etc\/my\.cnf$/);
    // The fix is applied at once and named in a notification; only malloc-lib lands (line 6).
    assert.match(await waitForNotification(vsc, /added to etc\/my\.cnf/), /added to etc\/my\.cnf, line 6 \(not saved yet\)/);
    await command(vsc, 'File: Save All Files');
    const cnf = await poll(
      () => fs.readFileSync(path.join(folder, 'etc/my.cnf'), 'utf8'),
      (s) => s !== MY_CNF,
    );
    assert.equal(cnf, `${MY_CNF}malloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n`);
  });

  it('Copy command of a # command: with $(…) copies a command sh runs as the intended words', async () => {
    await vsc.openFromExplorer('shell-name.maps');
    await poll(
      () => problemCounts(vsc),
      (c) => c[2] > 0,
    );
    const offered = await quickFix(vsc, findingLine(SHELL_NAME, 'glibc-arenas'), 1, /^Copy command: /);
    const unit = systemdEscape('worker$(touch${IFS}PWNED)');
    assert.ok(offered.includes(`Copy command: sudo systemctl daemon-reload && sudo systemctl restart '${unit}'`), JSON.stringify(offered));
    const copied = await poll(
      () => vsc.readClipboard(),
      (t) => t.startsWith('sudo systemctl'),
    );
    // A real sh runs what was copied, with sudo a function that prints its words.
    const cwd = fs.mkdtempSync(path.join(scratch, 'sh-'));
    const out = execFileSync('sh', ['-c', `sudo() { printf '%s\\n' "$*"; }\n${copied}`], { cwd, encoding: 'utf8' });
    assert.equal(out, `systemctl daemon-reload\nsystemctl restart ${unit}\n`);
    assert.deepEqual(fs.readdirSync(cwd), [], 'the command substitution never ran');
  });

  it('a capture from a host sending # time: /../../…/.bashrc is named from validated parts', { skip: !isRoot }, async () => {
    await runPickCommand(vsc, 'VMA Lens: Capture from SSH Host…');
    await quickPick(vsc, { row: /vmalens-hostile/ });
    await quickInput(vsc)
      .locator('.monaco-list-row', { hasText: /pid 4242 · / })
      .first()
      .waitFor({ timeout: 30_000 });
    await quickPick(vsc, { type: '4242', row: /pid 4242 · 3 VMAs/ });
    const tab = await waitForTab(vsc, /^x-4242-\d{8}T\d{6}Z(\.maps)?$/);
    assert.doesNotMatch(tab, /bashrc|\//);
  });

  it('logs no extension errors', () => {
    assert.deepEqual(vsc.extensionErrors(), []);
  });
});
