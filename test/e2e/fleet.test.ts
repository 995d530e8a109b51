/**
 * Fleet scale in a real VS Code (code-server + Chromium): a real Prometheus holding six hours of
 * a small fleet's history (backfilled with promtool) and scraping a real node_exporter that
 * serves `vma-lens metrics` of this machine, where a real process runs. "Show Fleet…" ranks them
 * by share of the limit; a row opens its Prometheus timeline, another captures its process over
 * SSH from a private sshd; "Open Timeline from Prometheus…" asks for a selector. The browser
 * build (harness E2E_BUILDS) reads the same Prometheus with `fetch` from the web worker host.
 * README screenshots: VMA_LENS_README_SCREENSHOTS=1 node --import tsx --test test/e2e/fleet.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fleetHistory, startNodeExporter, startPrometheus, TEST_USER, underStableLimit, type Server } from '../helpers/prometheus';
import { countVmas, startProcess, type RealProcess } from '../helpers/realProcess';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { E2E_BUILDS, poll, startVSCode, tempFolder, type VSCode } from './harness';
import { freePort } from '../helpers/net';
import { runCommandWhenReady, sleep, waitSamples } from './timelineSteps';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
/** The README's screenshots are retaken into media/ only when asked (VMA_LENS_README_SCREENSHOTS=1). */
const shot = (name: string) => (process.env.VMA_LENS_README_SCREENSHOTS === '1' ? path.join(root, 'media', `${name}.png`) : name);

describe('Fleet and Prometheus timelines (real VS Code)', { timeout: 600_000 }, () => {
  const folder = tempFolder('vma-lens-e2e-fleet-');
  const textfiles = path.join(folder, 'textfile');
  // History up to a minute ago: the latest point is within Prometheus's 5-minute look-back.
  const END = Math.floor(Date.now() / 60000) * 60 - 60;
  const history = fleetHistory(END);
  let frag: RealProcess;
  let nodeExporter: Server;
  let prom: Server;
  /** The same history behind Prometheus's own basic auth. */
  let locked: Server;
  let sshd: TestSshd;
  let vsc: VSCode;
  let localInstance: string;
  /** vm.max_map_count when the metrics file was written. */
  let limitAtWrite: number;

  before(async () => {
    fs.mkdirSync(textfiles, { recursive: true });
    frag = startProcess({ program: 'fragmenter', args: ['--target', '4000'] });
    await frag.ready;
    limitAtWrite = underStableLimit(() =>
      execFileSync(process.execPath, [cli, 'metrics', '--pid', String(frag.pid), '--output', path.join(textfiles, 'vma_lens.prom')]),
    ).limit;
    nodeExporter = await startNodeExporter(textfiles);
    localInstance = `127.0.0.1:${nodeExporter.port}`;
    prom = await startPrometheus(path.join(folder, 'prom-data'), { history: history.text, scrapeTargets: [localInstance] });
    // Until the first scrape of node_exporter is in.
    await poll(
      async () => (await (await fetch(`${prom.url}/api/v1/query?query=process_memory_map_areas`)).json()).data.result.length,
      (n) => n === 4,
      30_000,
      500,
    );
    locked = await startPrometheus(path.join(folder, 'locked-data'), { history: history.text, basicAuth: TEST_USER });
    sshd = await startSshd('vmalens-fleet');
    vsc = await startVSCode({
      folder,
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'vmaLens.prometheus.url': prom.url,
        'vmaLens.ssh.configFile': sshd.configFile,
        'vmaLens.fleet.sshHosts': { [localInstance]: sshd.host },
      },
    });
  });

  after(async () => {
    await vsc?.close();
    await Promise.all([frag?.stop(), nodeExporter?.stop(), prom?.stop(), locked?.stop(), sshd?.stop()]);
  });

  const rowOf = (f: ReturnType<VSCode['webviewFrame']>, instance: string, pid: string) => f.locator(`#rows tr[data-instance="${instance}"][data-pid="${pid}"]`);

  it('Show Fleet… ranks every process of the latest scrape by its share of the limit', async () => {
    await runCommandWhenReady(vsc, 'VMA Lens: Show Fleet…');
    await vsc.page.locator('.tabs-container .tab', { hasText: 'VMA fleet' }).waitFor({ timeout: 15_000 });
    const f = vsc.webviewFrame();
    await f.locator('#rows tr').nth(3).waitFor({ timeout: 30_000 });
    const rows = await f.locator('#rows tr').evaluateAll((trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll('td')].slice(0, 7).map((td) => {
          // The process cell is the name and pid over the exe; the others are their text.
          const first = td.firstElementChild;
          return ((first && first.tagName === 'SPAN' && !first.classList.contains('bar') ? first.textContent : td.textContent) ?? '').trim();
        }),
      ),
    );
    const truth = countVmas(fs.readFileSync(`/proc/${frag.pid}/maps`, 'utf8'));
    const limit = limitAtWrite;
    const fmt = (n: number) => n.toLocaleString('en-US');
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
    const expected = [
      ['db2:9100', 'mysqld 4242', fmt(history.db2Mysqld(END)), '65,530', pct(history.db2Mysqld(END), 65530), 'glibc'],
      ['db1:9100', 'mysqld 4242', fmt(history.db1Mysqld(END)), '65,530', pct(history.db1Mysqld(END), 65530), 'jemalloc'],
      ['db1:9100', 'redis-server 77', '5,000', '65,530', pct(5000, 65530), 'jemalloc'],
      [localInstance, `fragmenter ${frag.pid}`, fmt(truth), fmt(limit), pct(truth, limit), 'glibc'],
    ].sort((a, b) => parseFloat(b[4]) - parseFloat(a[4]));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 6)),
      expected,
    );
    assert.match(rows.find((r) => r[1] === 'mysqld 4242' && r[0] === 'db1:9100')![6], /^limit in 1 d 1\d h \(\+1,0\d\d\/h\)$/);
    assert.match(await f.locator('#status').innerText(), new RegExp(`^4 of 4 processes from ${prom.url.replace(/[.]/g, '\\.')}`));
    await vsc.screenshot(shot('fleet-view'));
    assert.deepEqual(vsc.extensionErrors(), []);
  });

  it('a row opens that process’s timeline from Prometheus: the history, the limit and the forecast', async () => {
    const f = vsc.webviewFrame();
    await rowOf(f, 'db1:9100', '4242').locator('button', { hasText: 'Timeline' }).click();
    await vsc.page
      .locator('.tabs-container .tab.active', { hasText: 'VMA timeline: {job="node",instance="db1:9100",pid="4242",comm="mysqld"}' })
      .waitFor({ timeout: 15_000 });
    const t = vsc.webviewFrame();
    const n = await waitSamples(t, 300);
    assert.ok(n >= 300 && n <= 362, `${n} samples`);
    await t.locator('#chart-box[data-samples]').waitFor();
    assert.match(
      await t.locator('#forecast').innerText(),
      /^Forecast: limit in about 1 d 1\d h at the current rate \(\+\d{3},?\d* VMAs\/h; times from Prometheus\)/,
    );
    // The last rows of the sample table are the history's last values.
    const lastVmas = await t.locator('#samples-body tr td:nth-child(3)').allInnerTexts();
    assert.ok(lastVmas.length > 0);
    assert.ok(
      lastVmas.every((v) => Number(v.replace(/,/g, '')) >= 20000 && Number(v.replace(/,/g, '')) <= history.db1Mysqld(END)),
      lastVmas.slice(0, 3).join(' '),
    );
    await vsc.screenshot(shot('prometheus-timeline'));
    assert.deepEqual(vsc.extensionErrors(), []);
  });

  it('a row captures its process over SSH (instance mapped to the host by the setting)', async () => {
    await vsc.page.locator('.tabs-container .tab', { hasText: 'VMA fleet' }).click();
    const f = vsc.webviewFrame();
    await rowOf(f, localInstance, String(frag.pid)).locator('button', { hasText: 'Capture (SSH)' }).click();
    const tab = vsc.page.locator('.tabs-container .tab.active', { hasText: `-${frag.pid}-` });
    await tab.waitFor({ timeout: 30_000 });
    const truth = countVmas(fs.readFileSync(`/proc/${frag.pid}/maps`, 'utf8'));
    const bar = await poll(
      () => vsc.statusBarText(),
      (items) => items.some((t) => /VMAs \//.test(t)),
      20_000,
    );
    assert.ok(
      bar.some((t) => t.includes(`${truth.toLocaleString('en-US')} VMAs`)),
      bar.join(' | '),
    );
  });

  it('Refresh reads the latest scrape again: a process that appears on the host appears in the list', async () => {
    const second = startProcess({ program: 'fragmenter', args: ['--target', '1500'] });
    try {
      await second.ready;
      execFileSync(process.execPath, [cli, 'metrics', '--pid', String(frag.pid), String(second.pid), '--output', path.join(textfiles, 'vma_lens.prom')]);
      await poll(
        async () => (await (await fetch(`${prom.url}/api/v1/query?query=process_memory_map_areas`)).json()).data.result.length,
        (n) => n === 5,
        30_000,
        500,
      );
      await vsc.page.locator('.tabs-container .tab', { hasText: 'VMA fleet' }).click();
      const f = vsc.webviewFrame();
      await f.locator('#refresh').click();
      const row = rowOf(f, localInstance, String(second.pid));
      await row.waitFor({ timeout: 15_000 });
      assert.equal(await row.locator('td.vmas').innerText(), countVmas(fs.readFileSync(`/proc/${second.pid}/maps`, 'utf8')).toLocaleString('en-US'));
      assert.match(await f.locator('#status').innerText(), /^5 of 5 processes/);
    } finally {
      await second.stop();
      // The fleet as it was for the tests after this one: the metrics file without the second
      // process, and Prometheus past the scrape that marks its series stale.
      execFileSync(process.execPath, [cli, 'metrics', '--pid', String(frag.pid), '--output', path.join(textfiles, 'vma_lens.prom')]);
      await poll(
        async () => (await (await fetch(`${prom.url}/api/v1/query?query=process_memory_map_areas`)).json()).data.result.length,
        (n) => n === 4,
        30_000,
        500,
      );
    }
  });

  /** Runs `fn` with a workspace setting of the Prometheus URL over the user one (VS Code watches .vscode/). */
  async function withWorkspaceUrl(url: string, fn: () => Promise<void>): Promise<void> {
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ 'vmaLens.prometheus.url': url }));
    try {
      await sleep(2000);
      await fn();
    } finally {
      fs.rmSync(settingsFile);
      // Back to the user setting once Show Fleet opens the first server's panel again.
      await showFleetAt(prom.url);
    }
  }

  /**
   * "Show Fleet…" until the panel of `url` is the active tab: VS Code applies a changed settings
   * file after its watcher fires, which a loaded machine can delay past one attempt.
   */
  async function showFleetAt(url: string): Promise<void> {
    const tab = vsc.page.locator('.tabs-container .tab.active', { hasText: `VMA fleet: ${new URL(url).host}` });
    await poll(
      async () => {
        await runCommandWhenReady(vsc, 'VMA Lens: Show Fleet…');
        return tab.waitFor({ timeout: 5000 }).then(
          () => true,
          () => false,
        );
      },
      (ok) => ok,
      60_000,
      1000,
    );
  }

  it('a Prometheus that wants credentials: refused at first, then served with the ones set (kept out of settings)', async () => {
    await withWorkspaceUrl(locked.url, async () => {
      await showFleetAt(locked.url);
      const err = vsc.webviewFrame().locator('#error');
      await err.filter({ hasText: 'refused the credentials' }).waitFor({ timeout: 15_000 });
      assert.match(await err.innerText(), /^Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/);

      await runCommandWhenReady(vsc, 'VMA Lens: Set Prometheus Credentials…', true);
      const qi = vsc.page.locator('.quick-input-widget');
      await qi.locator('.monaco-list-row', { hasText: 'User and password' }).click();
      const input = qi.locator('.quick-input-box input');
      await qi.locator('.quick-input-title', { hasText: 'User for' }).waitFor();
      await input.fill(TEST_USER.user);
      await vsc.page.keyboard.press('Enter');
      await qi.locator('.quick-input-title', { hasText: 'Password of' }).waitFor();
      await input.fill(TEST_USER.password);
      await vsc.page.keyboard.press('Enter');
      await vsc.page.locator('.notifications-toasts', { hasText: 'stored in the secret storage' }).waitFor({ timeout: 10_000 });

      await vsc.page.locator('.tabs-container .tab', { hasText: `VMA fleet: ${new URL(locked.url).host}` }).click();
      const f = vsc.webviewFrame();
      await f.locator('#refresh').click();
      await f.locator('#rows tr').nth(2).waitFor({ timeout: 15_000 });
      assert.equal(await f.locator('#error').innerText(), '');
      assert.equal(await rowOf(f, 'db2:9100', '4242').locator('td.vmas').innerText(), history.db2Mysqld(END).toLocaleString('en-US'));
      for (const file of [path.join(vsc.userDataDir, 'User', 'settings.json'), path.join(folder, '.vscode', 'settings.json')]) {
        assert.doesNotMatch(fs.readFileSync(file, 'utf8'), new RegExp(TEST_USER.password), `${file} holds no password`);
      }
    });
  });

  it('a Prometheus that is down: the fleet says so in one line', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    await withWorkspaceUrl(down, async () => {
      await showFleetAt(down);
      const err = vsc.webviewFrame().locator('#error');
      await err.filter({ hasText: 'cannot reach' }).waitFor({ timeout: 15_000 });
      assert.equal(await err.innerText(), `cannot reach Prometheus at ${down}: connection refused (is it running, on this port?)`);
      assert.equal(await vsc.webviewFrame().locator('#rows tr').count(), 0);
    });
  });

  it('Open Timeline from Prometheus… asks for a selector and says clearly when nothing matches', async () => {
    await runCommandWhenReady(vsc, 'VMA Lens: Open Timeline from Prometheus…', true);
    const input = vsc.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('process_memory_map_areas{instance="db1:9100",pid="77"}');
    await vsc.page.keyboard.press('Enter');
    const t = vsc.webviewFrame();
    await vsc.page.locator('.tabs-container .tab.active', { hasText: 'pid="77"' }).waitFor({ timeout: 15_000 });
    assert.ok((await waitSamples(t, 300)) >= 300);
    assert.match(await t.locator('#forecast').innerText(), /not growing/);

    await runCommandWhenReady(vsc, 'VMA Lens: Open Timeline from Prometheus…', true);
    await input.fill('process_memory_map_areas{pid="31337"}');
    await vsc.page.keyboard.press('Enter');
    await vsc.page.locator('.tabs-container .tab.active', { hasText: 'pid="31337"' }).waitFor({ timeout: 15_000 });
    const notice = vsc.webviewFrame().locator('#notices');
    await notice.filter({ hasText: 'no series matches' }).waitFor({ timeout: 15_000 });
    assert.match(await notice.innerText(), /no series matches process_memory_map_areas\{pid="31337"\} at http:\/\/127\.0\.0\.1:\d+ in the last 6 h/);
    assert.deepEqual(vsc.extensionErrors(), []);
  });

  // The same Prometheus from the browser build: fetch in the web worker (Prometheus answers any
  // origin by default, --web.cors.origin='.*'), and no SSH capture where no program can run.
  if (E2E_BUILDS.includes('web')) {
    it('the browser build: Show Fleet and a row’s Prometheus timeline through fetch, without Capture', async () => {
      const web = await startVSCode({ build: 'web', folder: tempFolder('vma-lens-e2e-fleet-web-'), settings: { 'vmaLens.prometheus.url': prom.url } });
      try {
        await runCommandWhenReady(web, 'VMA Lens: Show Fleet…');
        await web.page.locator('.tabs-container .tab', { hasText: 'VMA fleet' }).waitFor({ timeout: 15_000 });
        const f = web.webviewFrame();
        await f.locator('#rows tr').nth(3).waitFor({ timeout: 30_000 });
        assert.equal(await f.locator('#rows tr').count(), 4);
        assert.match(await f.locator('#status').innerText(), /^4 of 4 processes from /);
        const row = rowOf(f, 'db1:9100', '4242');
        assert.equal(await row.locator('button', { hasText: 'Capture (SSH)' }).isVisible(), false, 'no capture button in the browser');
        await row.locator('button', { hasText: 'Timeline' }).click();
        await web.page.locator('.tabs-container .tab.active', { hasText: 'pid="4242"' }).waitFor({ timeout: 15_000 });
        const n = await waitSamples(web.webviewFrame(), 300);
        assert.ok(n >= 300 && n <= 362, `${n} samples`);
        assert.match(await web.runningExtension(), /\bweb worker\b/);
      } finally {
        await web.close();
      }
    });
  }
});
