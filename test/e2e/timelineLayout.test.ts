/**
 * The timeline panel at 400, 700 and 1400 px, in the light and the dark default theme, with two
 * samples compared: nothing wider than the panel (the sample table turns into label / value
 * lines when narrow), and a screenshot of each (test-output/screenshots/timeline-layout-*.png) to
 * look at. The dumps are captures of a real growing process, with RSS.
 *
 * Run: node --import tsx --test --test-concurrency=1 test/e2e/timelineLayout.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { captureSeries } from '../helpers/captureSeries';
import { startProcess } from '../helpers/realProcess';
import { poll, startVSCode, tempFolder } from './harness';
import { openFolderTimeline, sleep, waitSamples } from './timelineSteps';

const SAMPLES = 8;
const WIDTHS = [400, 700, 1400];

interface Overflow {
  width: number;
  scrollWidth: number;
  wide: string[];
}

describe('timeline layout from 400 px up, light and dark', { timeout: 600_000 }, () => {
  let folder: string;

  before(async () => {
    folder = tempFolder('vma-lens-layout-');
    const dir = path.join(folder, 'grower');
    fs.mkdirSync(dir);
    const p = startProcess({ program: 'fragmenter', args: ['--rate', '300', '--touch'] });
    try {
      await p.ready;
      await captureSeries(p.pid, dir, SAMPLES, 400);
    } finally {
      await p.stop();
    }
  });

  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  for (const theme of ['Default Light Modern', 'Default Dark Modern']) {
    it(`${theme}: every width holds, nothing wider than the panel`, async () => {
      const vsc = await startVSCode({
        folder,
        viewport: { width: 1400, height: 900 },
        settings: { 'workbench.colorTheme': theme, 'breadcrumbs.enabled': false },
      });
      try {
        await vsc.runCommand('View: Toggle Primary Side Bar Visibility');
        await openFolderTimeline(vsc, path.join(folder, 'grower'));
        const f = vsc.webviewFrame();
        assert.equal(await waitSamples(f, SAMPLES), SAMPLES);
        await f.getByRole('checkbox', { name: 'Compare sample 2' }).check();
        await f.getByRole('checkbox', { name: `Compare sample ${SAMPLES}` }).check();
        await f.locator('#diff-summary').waitFor({ timeout: 15_000 });
        await f.locator('#strip-note', { hasText: 'scale' }).waitFor({ timeout: 15_000 });
        // Four lines, four styles, each drawn in the legend as it is in the chart.
        assert.equal(await f.locator('#chart').getAttribute('data-lines'), 'max_map_count:solid, Forecast:dash 8 5, RSS:solid, PSS:dash 1 3');
        const inner = () => f.locator('body').evaluate(() => document.documentElement.clientWidth);
        const chrome = 1400 - (await inner());
        for (const width of WIDTHS) {
          await vsc.page.setViewportSize({ width: width + chrome, height: 900 });
          const got = await poll(inner, (w) => Math.abs(w - width) <= 24, 10_000);
          await sleep(400); // the chart and the strip redraw on resize
          const o: Overflow = await f.locator('body').evaluate(() => {
            const w = document.documentElement.clientWidth;
            const wide: string[] = [];
            for (const e of document.body.querySelectorAll<HTMLElement>('*')) {
              if (e.closest('[hidden]') || e.tagName === 'SCRIPT') continue;
              const r = e.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) continue;
              if (r.right > w + 1 || r.left < -1) wide.push(`${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(r.left)}–${Math.round(r.right)}`);
            }
            return { width: w, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8) };
          });
          await f.locator('body').evaluate(() => {
            (document.activeElement as HTMLElement | null)?.blur();
            window.scrollTo(0, 0);
          });
          const shot = `timeline-layout-${theme.includes('Light') ? 'light' : 'dark'}-${width}`;
          await vsc.screenshot(shot);
          await f.locator('#samples').evaluate((t) => t.scrollIntoView());
          await vsc.screenshot(`${shot}-table`);
          assert.deepEqual(o.wide, [], `${theme} at ${got} px: elements wider than the panel`);
          assert.ok(o.scrollWidth <= o.width, `${theme} at ${got} px: the page scrolls sideways (${o.scrollWidth} > ${o.width})`);
          // The table's rows stay one line each when wide, label / value lines when narrow.
          const rowHeight = await f
            .locator('#samples-body tr')
            .first()
            .evaluate((r) => r.getBoundingClientRect().height);
          if (width >= 1400) assert.ok(rowHeight < 40, `a sample row is ${rowHeight} px tall at ${width} px`);
        }
        assert.deepEqual(vsc.extensionErrors(), []);
      } finally {
        await vsc.close();
      }
    });
  }
});
