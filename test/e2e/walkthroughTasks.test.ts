/**
 * The extension as a user gets it: the .vsix installed from file into code-server
 * (`--install-extension`, by the harness) and activated; the Get Started walkthrough completed
 * step by step through its own links, each checkmark set by the real event (a dump open, a hover
 * shown, a fix applied, the timeline opened, a process captured); and a `vma-lens` task in
 * tasks.json putting the CLI's findings into the Problems panel through the `$vma-lens` matcher.
 *
 * Run: npm run build && node --import tsx --test --test-concurrency=1 test/e2e/walkthroughTasks.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import { codeServerConfigFile, provisionCodeServer } from '../../scripts/provision-code-server.mjs';
import { EXTENSION_ID } from '../../src/constants';
import { analyzeText } from '../../src/core/analyze';
import { ALLOCATOR_LIBS, captureMaps, capturePmap, startProcess, type RealProcess } from '../helpers/realProcess';
import { closeAllEditors, problemCounts, quickInput, quickPick, runPickCommand, waitForTab } from './editorActions';
import { poll, SCREENSHOT_DIR, startVSCode, tempFolder, type VSCode } from './harness';
import { waitSamples } from './timelineSteps';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const WALKTHROUGH = `${EXTENSION_ID}#${pkg.contributes.walkthroughs[0].id}`;
const STEPS: string[] = pkg.contributes.walkthroughs[0].steps.map((s: { id: string }) => s.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VMA Lens from its .vsix: walkthrough and tasks', { timeout: 400_000 }, () => {
  let vsc: VSCode;
  let folder: string;
  let glibc: RealProcess;
  let jemalloc: RealProcess;

  before(async () => {
    folder = tempFolder();
    glibc = startProcess({ program: 'threads', args: ['6'] });
    jemalloc = startProcess({ program: 'threads', args: ['6'], preload: 'jemalloc' });
    await Promise.all([glibc.ready, jemalloc.ready]);
    vsc = await startVSCode({
      folder,
      files: {
        'captures/glibc.maps': captureMaps(glibc.pid),
        'captures/jemalloc.maps': captureMaps(jemalloc.pid),
        // Not in the tasks.json task's glob, in the provided task's.
        'archive/glibc.pmap': capturePmap(glibc.pid),
        '.vscode/tasks.json': JSON.stringify(
          { version: '2.0.0', tasks: [{ label: 'check captures', type: 'vma-lens', files: 'captures/*.maps', problemMatcher: '$vma-lens' }] },
          null,
          2,
        ),
      },
      settings: { 'workbench.editor.enablePreview': false, 'task.quickOpen.skip': false },
    });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`walkthrough-tasks-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
    await Promise.all([glibc?.stop(), jemalloc?.stop()]);
  });

  const step = (id: string) => vsc.page.locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#${id}"]`);
  const checked = async (id: string) => (await vsc.page.locator(`[data-done-step-id="${WALKTHROUGH}#${id}"]`).getAttribute('aria-checked')) === 'true';
  const doneSteps = async () => {
    const out: string[] = [];
    for (const id of STEPS) if (await checked(id)) out.push(id);
    return out;
  };

  /** Welcome: Open Walkthrough…, then ours from the list. */
  async function openWalkthrough(): Promise<void> {
    await vsc.page.keyboard.press('Escape');
    await runPickCommand(vsc, 'Welcome: Open Walkthrough...');
    await quickPick(vsc, { type: 'VMA Lens', row: /^Get Started with VMA Lens/ });
    await step(STEPS[0]).waitFor({ timeout: 15_000 });
  }

  /** Opens the walkthrough, expands a step and clicks its link button titled `button`. */
  async function runStepLink(id: string, button: string): Promise<void> {
    await openWalkthrough();
    await step(id).click();
    const link = vsc.page.locator(`[x-step-description-for="${WALKTHROUGH}#${id}"] a.monaco-button`, { hasText: button });
    await link.waitFor({ timeout: 10_000 });
    await link.click();
  }

  /** Back in the walkthrough: the steps that show a checkmark, once `id` does. */
  async function expectDone(id: string): Promise<string[]> {
    await openWalkthrough();
    return poll(doneSteps, (d) => d.includes(id), 15_000);
  }

  /** The picture of a step for the walkthrough's media (copied into media/walkthrough/ by hand). */
  const picture = (id: string) => vsc.screenshot(path.join(SCREENSHOT_DIR, `walkthrough-${id}.png`));

  it('the .vsix installed from file (code-server --install-extension) is this version, with the samples and pictures of the walkthrough', async () => {
    const { codeServerBin } = await provisionCodeServer();
    const listed = execFileSync(
      codeServerBin,
      ['--config', codeServerConfigFile(), '--extensions-dir', vsc.extensionsDir, '--list-extensions', '--show-versions'],
      { encoding: 'utf8' },
    );
    assert.match(listed, new RegExp(`^${EXTENSION_ID}@${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
    const installed = path.join(vsc.extensionsDir, `${EXTENSION_ID}-${pkg.version}`);
    assert.ok(fs.existsSync(path.join(installed, 'samples', 'mariadbd-glibc.maps')));
    for (const s of pkg.contributes.walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(installed, s.media.image)), s.media.image);
    await openWalkthrough();
    assert.deepEqual(await doneSteps(), [], 'nothing is done before it is done');
  });

  it('step 1: its link opens the sample dump, the extension activates, and the step is checked', async () => {
    await runStepLink('open', 'Open the Sample Dump');
    await waitForTab(vsc, /^mariadbd-glibc(\.maps)?$/);
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Maps',
      ),
      'Proc Maps',
    );
    await vsc.waitForActivation();
    await sleep(1000);
    await picture('open');
    assert.deepEqual(await expectDone('open'), ['open']);
  });

  it('step 2: its link shows a hover of the sample; only that checks the step', async () => {
    await runStepLink('hover', 'Show a Hover');
    const hover = vsc.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
    await hover.waitFor({ timeout: 15_000 });
    assert.match(await hover.innerText(), /KiB|MiB|pages?/);
    await picture('hover');
    assert.deepEqual(await expectDone('hover'), ['open', 'hover']);
  });

  it('step 3: its link opens the quick fixes of a finding; applying one checks the step', async () => {
    const rows = vsc.page.locator('.action-widget .monaco-list-row.action');
    /** The link, again if the menu did not open (a click that lands while the editor takes focus). */
    const showFixes = async () => {
      for (let attempt = 1; ; attempt++) {
        await runStepLink('fix', 'Show the Quick Fixes');
        try {
          await rows.first().waitFor({ timeout: 10_000 });
          return;
        } catch (e) {
          if (attempt === 3) throw e;
        }
      }
    };
    await showFixes();
    await picture('fix');
    // Not yet: the menu is open, nothing applied.
    await vsc.page.keyboard.press('Escape');
    await openWalkthrough();
    assert.equal(await checked('fix'), false);
    await showFixes();
    const title = (await rows.first().innerText()).trim();
    await rows.first().click();
    // The fix opens as a new document of its own language.
    await poll(
      () => vsc.page.locator('.tabs-container .tab').count(),
      (n) => n >= 3,
      15_000,
    );
    assert.deepEqual(await expectDone('fix'), ['open', 'hover', 'fix'], title);
  });

  it('step 4: its link opens the timeline of the shipped samples', async () => {
    await runStepLink('timeline', 'Open the Timeline of the Samples');
    const shipped = fs.readdirSync(path.join(vsc.extensionsDir, `${EXTENSION_ID}-${pkg.version}`, 'samples')).length;
    assert.equal(await waitSamples(vsc.webviewFrame(), shipped, 30_000), shipped);
    await sleep(1000);
    await picture('timeline');
    assert.deepEqual(await expectDone('timeline'), ['open', 'hover', 'fix', 'timeline']);
  });

  it('step 5: its link captures a real process picked from the list', async () => {
    await runStepLink('capture', 'Capture from Local Process');
    const row = new RegExp(`pid ${jemalloc.pid} · \\d+ VMAs`);
    await quickInput(vsc).locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
    await quickPick(vsc, { type: String(jemalloc.pid), row });
    await waitForTab(vsc, new RegExp(`^threads-${jemalloc.pid}-\\d{8}T\\d{6}Z(\\.maps)?$`), 30_000);
    await sleep(1000);
    await picture('capture');
    assert.deepEqual(await expectDone('capture'), STEPS);
    await step('capture').click();
    await picture('page');
    assert.deepEqual(vsc.extensionErrors(), []);
  });

  /** The findings of dumps of the folder, as Problems rows should show them. */
  const findingsOf = (...files: string[]) =>
    files.flatMap((rel) =>
      analyzeText(fs.readFileSync(path.join(folder, rel), 'utf8')).findings.map((f) => ({
        file: path.basename(rel),
        code: f.id as string,
        line: f.lines[0],
        severity: f.severity,
        message: f.message,
      })),
    );
  type Row = ReturnType<typeof findingsOf>[number];
  const key = (p: Row) => `${p.file}:${p.line}:${p.code}:${p.severity}:${p.message}`;
  const uniqueSorted = (rows: Row[]) => [...new Map(rows.map((r) => [key(r), r])).values()].sort((a, b) => key(a).localeCompare(key(b)));

  /** Rows of the Problems panel the `$vma-lens` matcher made (its source), once `ok` accepts them. */
  async function matcherProblems(ok: (rows: Row[]) => boolean, count: number): Promise<Row[]> {
    // The task reveals its terminal while it runs: look once the markers are all in (no editor is
    // open, so the status bar counts the matcher's alone).
    await poll(
      () => problemCounts(vsc),
      (c) => c[0] + c[1] + c[2] >= count,
      60_000,
      500,
    );
    // The panel's tab first: after a task, the terminal has the keyboard.
    const tab = vsc.page.locator('.part.panel .composite-bar .action-label[aria-label^="Problems"]').first();
    await poll(
      async () => {
        await tab.click().catch(() => undefined);
        return vsc.page
          .locator('.markers-panel')
          .isVisible({ timeout: 3000 })
          .catch(() => false);
      },
      (shown) => shown,
      20_000,
      500,
    );
    // Maximized, so that the panel's virtual list renders every row, not those of its first lines.
    const maximize = vsc.page.locator('.part.panel .action-label[aria-label^="Maximize"]').first();
    if (await maximize.isVisible().catch(() => false)) await maximize.click();
    return poll(
      async () =>
        uniqueSorted(
          (await vsc.problems())
            .filter((p) => p.source === 'vma-lens analyze')
            .map((p) => ({ file: p.file, code: p.code, line: p.line!, severity: p.severity as Row['severity'], message: p.message })),
        ),
      ok,
      60_000,
      1000,
    );
  }

  it('a vma-lens task of tasks.json puts the findings of its dumps into the Problems panel, on their lines', async () => {
    await closeAllEditors(vsc);
    await runPickCommand(vsc, 'Tasks: Run Task');
    await quickPick(vsc, { type: 'check captures', row: /check captures/ });
    const expected = uniqueSorted(findingsOf('captures/glibc.maps', 'captures/jemalloc.maps'));
    assert.ok(expected.length >= 5, JSON.stringify(expected));
    const got = await matcherProblems((rows) => rows.length >= expected.length, expected.length);
    assert.deepEqual(got, expected, 'the archive/ pmap is not in the glob: none of its findings');
    // The live process really has jemalloc mapped, and the allocator problem is on its line.
    const je = got.find((p) => p.file === 'jemalloc.maps' && p.code === 'allocator')!;
    const lines = fs.readFileSync(path.join(folder, 'captures', 'jemalloc.maps'), 'utf8').split('\n');
    assert.ok(fs.readFileSync(`/proc/${jemalloc.pid}/maps`, 'utf8').includes(ALLOCATOR_LIBS.jemalloc.soname));
    assert.ok(lines[je.line - 1].includes(ALLOCATOR_LIBS.jemalloc.soname), lines[je.line - 1]);
    await picture('task-problems');
  });

  it("the provided task analyses every dump of the folder, the pmap's findings included", async () => {
    await closeAllEditors(vsc);
    await runPickCommand(vsc, 'Tasks: Run Task');
    // The task types, then the tasks of ours (the configured one is listed there too).
    await quickInput(vsc).locator('.monaco-list-row', { hasText: 'vma-lens' }).first().click();
    const provided = quickInput(vsc)
      .locator('.monaco-list-row', { hasText: /^vma-lens: analyze \*\*\// })
      .first();
    await provided.waitFor({ timeout: 20_000 });
    await provided.click();
    const expected = uniqueSorted(findingsOf('captures/glibc.maps', 'captures/jemalloc.maps', 'archive/glibc.pmap'));
    assert.ok(expected.some((p) => p.file === 'glibc.pmap'));
    assert.deepEqual(await matcherProblems((rows) => rows.some((r) => r.file === 'glibc.pmap'), expected.length), expected);
    assert.deepEqual(vsc.extensionErrors(), []);
  });
});
