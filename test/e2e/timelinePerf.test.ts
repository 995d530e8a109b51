/**
 * Timeline speed and memory in a real VS Code: first paint of a 1,000-sample timeline, render time
 * of 10,000 samples, those 10,000 sent in one message (the webview reloaded) until painted, and
 * the memory a 1-hour watch at the default 10 s interval costs (360 samples; time is compressed
 * by watching a real growing process every 0.2 s).
 * Figures go to test-output/timeline-perf.json.
 *
 * The 1,000 and 10,000 sample folders are made from one real capture of a fragmenter process:
 * sample k keeps every VMA of that capture except the fragmented run, of which it keeps a prefix
 * that grows with k, and its header says it was taken 10 s after sample k-1.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CDPSession, FrameLocator, Page } from 'playwright-core';
import { repoRoot } from '../../scripts/provision-code-server.mjs';
import { captureLocal } from '../../src/capture';
import { startProcess, type RealProcess } from '../helpers/realProcess';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';
import { openFolderTimeline, sleep, watchProcess } from './timelineSteps';

const figures: Record<string, unknown> = {};
const OUT = path.join(repoRoot, 'test-output', 'timeline-perf.json');

/** Writes `count` dumps into `dir` from one real capture (see the file comment). */
function writeSeries(dir: string, base: string, count: number, anonAt: (k: number) => number): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = base.split('\n').filter(Boolean);
  const header = lines.filter((l) => l.startsWith('#') && !/^# (time|rss|pss):/.test(l));
  const vmas = lines.filter((l) => !l.startsWith('#'));
  // The fragmented run: anonymous lines (no name), the longest stretch of them.
  const anon = vmas.map((l) => /^\S+ \S+ \S+ 00:00 0 *$/.test(l));
  let best = [0, 0];
  for (let i = 0; i < vmas.length;) {
    let j = i;
    while (j < vmas.length && anon[j]) j++;
    if (j - i > best[1] - best[0]) best = [i, j];
    i = j + 1;
  }
  const [from, to] = best;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let k = 0; k < count; k++) {
    const keep = Math.min(to - from, anonAt(k));
    const text = [
      ...header,
      `# time: ${new Date(t0 + k * 10_000).toISOString()}`,
      ...vmas.slice(0, from),
      ...vmas.slice(from, from + keep),
      ...vmas.slice(to),
    ].join('\n');
    fs.writeFileSync(path.join(dir, `sample-${String(k + 1).padStart(5, '0')}.maps`), text + '\n');
  }
}

const chartData = (f: FrameLocator) => f.locator('#chart-box').evaluate((e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);

async function heap(cdp: CDPSession): Promise<number> {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

async function webviewDomNodes(f: FrameLocator): Promise<number> {
  return f.locator('body').evaluate(() => document.getElementsByTagName('*').length);
}

const MB = 1024 * 1024;

describe('timeline speed and memory (real VS Code)', { timeout: 900_000 }, () => {
  const root = tempFolder('vma-lens-e2e-perf-');
  let base = '';

  before(async () => {
    const p = startProcess({ program: 'fragmenter', args: ['--target', '1200', '--forever'] });
    try {
      await p.ready;
      base = (await captureLocal(p.pid)).text;
    } finally {
      await p.stop();
    }
    writeSeries(path.join(root, 'thousand'), base, 1000, (k) => 50 + k);
    writeSeries(path.join(root, 'tenthousand'), base, 10_000, (k) => 20 + Math.floor(k / 100) + ((k * 7919) % 13));
  });
  after(() => {
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(figures, null, 2) + '\n');
  });

  describe('folders', () => {
    let vsc: VSCode;
    before(async () => {
      vsc = await startVSCode({ folder: root });
    });
    after(() => vsc?.close());

    it('a 1,000-sample timeline paints its first samples, then all of them (times printed)', async () => {
      const t0 = await openFolderTimeline(vsc, path.join(root, 'thousand'));
      // A big folder loads under a (cancellable) progress notification.
      await vsc.page.locator('.notifications-toasts', { hasText: 'Reading dumps in thousand' }).waitFor({ timeout: 5000 });
      const f = vsc.webviewFrame();
      await f.locator('#chart-box[data-first-paint-ms]').waitFor({ timeout: 60_000 });
      const first = Date.now() - t0;
      await f.locator('#summary[data-sample-count="1000"]').waitFor({ timeout: 120_000 });
      await f.locator('#loading').waitFor({ state: 'detached', timeout: 60_000 });
      const all = Date.now() - t0;
      const d = await chartData(f);
      figures.thousand = {
        firstPaintFromCommandMs: first,
        allSamplesFromCommandMs: all,
        webviewFirstPaintSinceNavigationMs: Number(d.firstPaintMs),
        chartRenderMs: Number(d.renderMs),
        points: Number(d.points),
      };
      assert.equal(d.samples, '1000');
      assert.ok(first <= all, `the first paint (${first} ms) comes before the last sample (${all} ms)`);
      await vsc.runCommand('View: Close All Editors');
    });

    it('10,000 samples render decimated to whole samples (render times printed)', async () => {
      const t0 = await openFolderTimeline(vsc, path.join(root, 'tenthousand'));
      const f = vsc.webviewFrame();
      await f.locator('#summary[data-sample-count="10000"]').waitFor({ timeout: 300_000 });
      await f.locator('#loading').waitFor({ state: 'detached', timeout: 120_000 });
      const loaded = Date.now() - t0;
      await sleep(500);
      // Re-render on demand (the scale toggle redraws everything) and time it, a few times.
      const times: number[] = [];
      const totals: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = (await chartData(f)).renderMs;
        await f.locator('#scale-limit').click();
        await poll(
          () => chartData(f),
          (d) => d.renderMs !== before,
          5000,
          20,
        ).catch(() => undefined);
        const d = await chartData(f);
        times.push(Number(d.renderMs));
        totals.push(Number(d.renderAllMs));
      }
      const d = await chartData(f);
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
      figures.tenThousand = {
        loadFromCommandMs: loaded,
        chartRenderMs: times,
        chartRenderMedianMs: median(times),
        panelRenderMedianMs: median(totals),
        pointsDrawn: Number(d.points),
      };
      assert.equal(d.samples, '10000');
      assert.ok(Number(d.points) < 10_000 && Number(d.points) > 500, `${d.points} points drawn`);
      // The accessible table pages the samples: the DOM stays small.
      assert.ok((await webviewDomNodes(f)) < 2000);
    });

    it('10,000 samples in one message (the webview reloaded): message to chart painted (printed)', async (t) => {
      // The open panel from the test before: reloading its webview makes the host send every
      // sample in one Init message (columns: core/sampleColumns), which the new page draws.
      const old = vsc.webviewFrame();
      await old.locator('body').evaluate((b) => (b.dataset.before = '1'));
      const t0 = Date.now();
      await vsc.runCommand('Developer: Reload Webviews');
      const f = vsc.webviewFrame();
      const painted = f.locator('body:not([data-before]) #chart-box[data-message-to-paint-ms]');
      await painted.waitFor({ timeout: 120_000 });
      const fromCommand = Date.now() - t0;
      const d = await chartData(f);
      const count = await f.locator('#summary').getAttribute('data-sample-count');
      figures.tenThousandOneMessage = { reloadCommandToPaintMs: fromCommand, messageToPaintMs: Number(d.messageToPaintMs), chartRenderMs: Number(d.renderMs) };
      t.diagnostic(
        `10,000 samples in one message: reload command to chart painted ${fromCommand} ms; in the webview, message to painted ${d.messageToPaintMs} ms`,
      );
      assert.equal(count, '10000');
      assert.equal(d.samples, '10000');
      assert.ok(Number(d.points) < 10_000 && Number(d.points) > 500, `${d.points} points drawn`);
    });
  });

  describe('a 1-hour watch at the default interval (360 samples)', () => {
    let vsc: VSCode;
    let p: RealProcess | undefined;
    before(async () => {
      vsc = await startVSCode({
        folder: root,
        settings: { 'vmaLens.watch.intervalSeconds': 0.2, 'vmaLens.watch.captureFolder': path.join(root, 'captures') },
      });
    });
    after(async () => {
      await p?.stop();
      await vsc?.close();
    });

    it('keeps the webview small: heap growth after 360 samples, and what closing the panel gives back', async () => {
      const page: Page = vsc.page;
      const cdp = await vsc.context.newCDPSession(page);
      await vsc.waitForActivation().catch(() => undefined);
      const baseline = await heap(cdp);
      p = startProcess({ program: 'fragmenter', args: ['--rate', '20'] });
      await p.ready;
      await watchProcess(vsc, p.pid);
      const f = vsc.webviewFrame();
      const t0 = Date.now();
      await poll(
        () => f.locator('#summary').getAttribute('data-sample-count'),
        (n) => Number(n) >= 60,
        120_000,
        250,
      );
      const at60 = await heap(cdp);
      await poll(
        () => f.locator('#summary').getAttribute('data-sample-count'),
        (n) => Number(n) >= 360,
        300_000,
        250,
      );
      const took = Date.now() - t0;
      await f.locator('#stop').click();
      await f.locator('#watch[data-state="stopped"]').waitFor();
      await sleep(1000);
      const samples = Number(await f.locator('#summary').getAttribute('data-sample-count'));
      const at360 = await heap(cdp);
      const dom = await webviewDomNodes(f);
      const d = await chartData(f);
      await vsc.runCommand('View: Close All Editors');
      await sleep(1000);
      const closed = await heap(cdp);
      figures.watchHour = {
        how: '360+ real captures of a growing fragmenter process at a 0.2 s interval (the default is 10 s: 360 samples = 1 hour)',
        samples,
        wallClockMs: took,
        heapBaselineMB: +(baseline / MB).toFixed(1),
        heapAfter60MB: +(at60 / MB).toFixed(1),
        heapAfter360MB: +(at360 / MB).toFixed(1),
        growthFromBaselineMB: +((at360 - baseline) / MB).toFixed(2),
        growthPerSampleKB: +((at360 - at60) / (samples - 60) / 1024).toFixed(2),
        heapAfterCloseMB: +(closed / MB).toFixed(1),
        webviewDomNodes: dom,
        chartRenderMs: Number(d.renderMs),
        panelRenderMs: Number(d.renderAllMs),
        note: 'renderer JS heap of the whole page (the webview iframe is same-origin, so it shares the workbench renderer heap); after forced GC',
      };
      assert.ok(samples >= 360);
      assert.ok(at360 - baseline < 64 * MB, `heap grew by ${((at360 - baseline) / MB).toFixed(1)} MB`);
    });
  });
});
