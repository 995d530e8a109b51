/**
 * Retakes the README's timeline screenshots (media/timeline-dark.png, media/timeline-light.png)
 * from real data: a fragmenter process grows its VMA count toward a lowered vm.max_map_count
 * while the capture module samples it; the folder of captures is opened as a timeline in VS Code,
 * once per theme, with two samples picked for a diff. Not a test; run it when the panel changes:
 *
 *   npm run screenshots:timeline
 *
 * vm.max_map_count is lowered (to 12,000) only while the samples are taken, and always restored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { repoRoot } from './provision-code-server.mjs';
import { captureSeries } from '../test/helpers/captureSeries';
import { startProcess, withMaxMapCount } from '../test/helpers/realProcess';
import { startVSCode, tempFolder } from '../test/e2e/harness';
import { openFolderTimeline, sleep } from '../test/e2e/timelineSteps';

const SAMPLES = 24;

async function makeSamples(dir: string): Promise<void> {
  await withMaxMapCount(12_000, async () => {
    const p = startProcess({ program: 'fragmenter', args: ['--rate', '300', '--target', '11000', '--touch'] });
    try {
      await p.ready;
      await captureSeries(p.pid, dir, SAMPLES, 1000);
    } finally {
      await p.stop();
    }
  });
}

async function shoot(folder: string, theme: string, out: string): Promise<void> {
  const vsc = await startVSCode({
    folder,
    viewport: { width: 1280, height: 1000 },
    settings: { 'workbench.colorTheme': theme, 'breadcrumbs.enabled': false },
  });
  try {
    await vsc.runCommand('View: Toggle Primary Side Bar Visibility');
    await openFolderTimeline(vsc, path.join(folder, 'fragmenter'));
    const f = vsc.webviewFrame();
    await f.locator(`#summary[data-sample-count="${SAMPLES}"]`).waitFor({ timeout: 30_000 });
    // Compare an early sample with the last one, through the accessible table.
    await f.getByRole('checkbox', { name: 'Compare sample 4' }).check();
    await f.getByRole('checkbox', { name: `Compare sample ${SAMPLES}` }).check();
    await f.locator('#diff-summary').waitFor({ timeout: 15_000 });
    await f.locator('#strip-note', { hasText: 'scale' }).waitFor({ timeout: 15_000 });
    // Back to the top (ticking the boxes scrolled the table into view), without focus rings.
    await f.locator('body').evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await sleep(500);
    process.stdout.write(`${await vsc.screenshot(out)}\n`);
  } finally {
    await vsc.close();
  }
}

async function main(): Promise<void> {
  const folder = tempFolder('vma-lens-timeline-shots-');
  const dir = path.join(folder, 'fragmenter');
  fs.mkdirSync(dir);
  await makeSamples(dir);
  await shoot(folder, 'Default Dark Modern', path.join(repoRoot, 'media', 'timeline-dark.png'));
  await shoot(folder, 'Default Light Modern', path.join(repoRoot, 'media', 'timeline-light.png'));
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
