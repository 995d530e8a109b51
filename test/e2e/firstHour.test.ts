/**
 * A new user's first hour in a real VS Code (code-server + Chromium): one finding is one row in
 * the Problems panel (its other lines related to it), and Compare Snapshots goes from one open
 * tab to a file picked from disk, warning that the two dumps are of different processes; the
 * timeline of plain `cat /proc/PID/maps > file` captures forecasts from the files' times.
 *
 * Run: node --import tsx --test --test-concurrency=1 test/e2e/firstHour.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';

import { analyzeText } from '../../src/core/analyze';
import { countVmas, startProcess } from '../helpers/realProcess';
import { closeAllEditors, problemCounts, quickInput, quickPick, quickPickLabels, runPickCommand } from './editorActions';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';
import { openFolderTimeline, waitSamples } from './timelineSteps';

const ROOT = path.resolve(__dirname, '..', '..');
const sample = (name: string) => fs.readFileSync(path.join(ROOT, 'samples', name), 'utf8');
const ARM64 = 'jemalloc-arm64-64k-reconstructed.maps';

describe('VMA Lens, the first hour', { timeout: 300_000 }, () => {
  let vsc: VSCode;
  let folder: string;

  /** VMAs per hour of the process the cat captures were taken from, measured here. */
  let catRate = 0;

  before(async () => {
    folder = tempFolder();
    // What a user's shell loop leaves: no header, one file a second, from a real growing process.
    const cat = path.join(folder, 'cat');
    fs.mkdirSync(cat, { recursive: true });
    const p = startProcess({ program: 'fragmenter', args: ['--rate', '300'] });
    try {
      await p.ready;
      const taken: { at: number; vmas: number }[] = [];
      for (let k = 1; k <= 5; k++) {
        const text = fs.readFileSync(`/proc/${p.pid}/maps`, 'utf8');
        fs.writeFileSync(path.join(cat, `maps.${k}`), text);
        taken.push({ at: Date.now(), vmas: countVmas(text) });
        if (k < 5) await sleep(1000);
      }
      catRate = ((taken[4].vmas - taken[0].vmas) / (taken[4].at - taken[0].at)) * 3_600_000;
    } finally {
      await p.stop();
    }
    vsc = await startVSCode({
      folder,
      files: {
        [ARM64]: sample(ARM64),
        'mariadbd-glibc.maps': sample('mariadbd-glibc.maps'),
        'mariadbd-jemalloc.maps': sample('mariadbd-jemalloc.maps'),
      },
      settings: { 'workbench.editor.enablePreview': false },
    });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`first-hour-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
  });

  it('one finding is one row in the Problems panel, its other lines listed under it', async () => {
    const a = analyzeText(sample(ARM64));
    const huge = a.findings.find((f) => f.id === 'jemalloc-hugepage')!;
    assert.ok(huge.lineCount > 10, `the sample's finding spans ${huge.lineCount} lines`);
    const bySeverity = (s: string) => a.findings.filter((f) => f.severity === s).length;
    await vsc.openFromExplorer(ARM64);
    // The status bar counts findings, not lines: [errors, warnings, infos].
    const counts = await poll(
      () => problemCounts(vsc),
      (c) => c[0] + c[1] + c[2] > 0,
      20_000,
    );
    assert.deepEqual(counts, [bySeverity('error'), bySeverity('warning'), bySeverity('info')]);
    const rows = (await vsc.problems()).filter((p) => p.file === ARM64 && p.severity !== 'unknown');
    assert.equal(rows.filter((p) => p.code === 'jemalloc-hugepage').length, 1, JSON.stringify(rows));
    const main = rows.find((p) => p.code === 'jemalloc-hugepage')!;
    assert.equal(main.line, huge.lines[0]);
    assert.equal(main.message, huge.message, 'the whole message, no "(2 of 36 lines)" suffix');
    // Its other lines are related locations under it.
    const related = await vsc.page.locator('.markers-panel .monaco-list-row', { hasText: /also here \(2 of [\d,]+ lines\)/ }).count();
    assert.equal(related, 1);
  });

  it("the timeline of plain cat captures forecasts from the files' times, and says so", async () => {
    await closeAllEditors(vsc);
    await openFolderTimeline(vsc, path.join(folder, 'cat'));
    const f = vsc.webviewFrame();
    assert.equal(await waitSamples(f, 5), 5);
    const fc = f.locator('#forecast');
    await f.locator('#forecast[data-basis="mtime"]').waitFor({ timeout: 10_000 });
    assert.match(
      await fc.innerText(),
      /^Forecast: limit in about .+ at the current rate \(\+[\d,]+ VMAs\/h; times from the files' modification times\), fitted over the last 5 samples\.$/,
    );
    const rate = Number(await fc.getAttribute('data-rate'));
    assert.ok(Math.abs(rate - catRate) <= 0.2 * catRate, `panel ${Math.round(rate)} VMAs/h vs measured ${Math.round(catRate)}`);
  });

  it('a folder of dumps of three processes: no forecast across them, and their diff says so', async () => {
    await closeAllEditors(vsc);
    await openFolderTimeline(vsc, folder);
    const f = vsc.webviewFrame();
    assert.equal(await waitSamples(f, 3), 3);
    const fc = await f.locator('#forecast').innerText();
    assert.match(fc, /^Forecast: none, the last sample is of another process than the one before \((host|pid) /);
    assert.doesNotMatch(fc, /limit in about/);
    await f.getByRole('checkbox', { name: 'Compare sample 1' }).check();
    await f.getByRole('checkbox', { name: 'Compare sample 2' }).check();
    await f.locator('#diff-warning').waitFor({ timeout: 15_000 });
    assert.match(await f.locator('#diff-warning').innerText(), /^These dumps are of different processes \(.+\): the comparison mixes them\.$/);
  });

  it('Compare from one open tab plus a file picked from disk, with a warning: two processes', async () => {
    await closeAllEditors(vsc);
    await vsc.openFromExplorer('mariadbd-glibc.maps');
    await runPickCommand(vsc, 'VMA Lens: Compare Snapshots…');
    // A: the open dump, or a file.
    const first = await quickPickLabels(vsc, (l) => l.length === 2);
    assert.equal(first[0], 'mariadbd-glibc.maps');
    assert.match(first[1], /Choose a file…$/);
    await quickPick(vsc, { row: /^mariadbd-glibc\.maps/ });
    // B: no other dump is open, so the file dialog (VS Code's simple one, in code-server).
    const input = quickInput(vsc).locator('.quick-input-box input');
    await poll(
      () =>
        quickInput(vsc)
          .locator('.quick-input-title, .quick-input-header')
          .first()
          .innerText()
          .catch(() => ''),
      (t) => /2\/2/.test(t),
      20_000,
    );
    const file = path.join(folder, 'mariadbd-jemalloc.maps');
    await input.fill(file);
    const view = vsc.webviewFrame();
    const h1 = view.locator('h1', { hasText: 'Compare — mariadbd-glibc.maps → mariadbd-jemalloc.maps' });
    await poll(
      async () => {
        if (await h1.isVisible().catch(() => false)) return true;
        if (await input.isVisible().catch(() => false)) {
          await sleep(300);
          await vsc.page.keyboard.press('Enter');
        }
        return h1.isVisible({ timeout: 2000 }).catch(() => false);
      },
      (ok) => ok,
      30_000,
      500,
    );
    assert.match(
      await view.locator('#process-warning').innerText(),
      /^These dumps are of different processes \(pid 13396 vs 13430, executable mapped at [0-9a-f]+ vs [0-9a-f]+\): the comparison mixes them\.$/,
    );
    assert.deepEqual(vsc.extensionErrors(), []);
  });
});
