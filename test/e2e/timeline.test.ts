/**
 * The VMA timeline in a real VS Code (code-server + Chromium): a folder of real dumps made here
 * from a process whose VMA count grows, a live watch of such a process, and what happens when the
 * process exits or the panel is closed. The folder timeline runs once per build (harness
 * E2E_BUILDS): in the browser's web worker host it reads the folder through workspace.fs (the
 * reload and theme tests, host-independent, are the Node build's only); watching runs programs,
 * so the watch suites are the Node build's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { captureMaps, startProcess, type RealProcess } from '../helpers/realProcess';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { E2E_BUILDS, poll, startVSCode, tempFolder, type VSCode } from './harness';
import { explorerMenu, runCommandWhenReady, sampleCount, sleep, waitSamples, watchProcess } from './timelineSteps';

/** Clicks the chart at a fraction of the plot's width (Shift for the second pick). */
async function clickChart(f: FrameLocator, fraction: number, shift = false): Promise<void> {
  const canvas = f.locator('#chart');
  const box = (await canvas.boundingBox())!;
  // The plot area sits inside the axes: stay clear of the y axis labels and the legend.
  const x = 70 + (box.width - 100) * fraction;
  await canvas.click({ position: { x, y: box.height * 0.4 }, modifiers: shift ? ['Shift'] : [] });
}

async function pickedRows(f: FrameLocator): Promise<{ n: number; source: string; vmas: number }[]> {
  return f.locator('#samples-body tr.picked').evaluateAll((rows) =>
    rows.map((r) => ({
      n: Number(r.querySelector('th')!.textContent),
      source: (r as HTMLElement).dataset.source!,
      vmas: Number(r.children[2]!.textContent!.replace(/,/g, '')),
    })),
  );
}

describe('VMA timeline (real VS Code)', { timeout: 600_000 }, () => {
  for (const build of E2E_BUILDS)
    describe(`a folder of real dumps (${build} build)`, () => {
      const onNode = (build === 'node' ? it : () => undefined) as typeof it;
      const folder = tempFolder('vma-lens-e2e-timeline-');
      const dumps = path.join(folder, 'dumps');
      const N = 12;
      let vsc: VSCode;
      const counts: number[] = [];
      const cspViolations: string[] = [];

      before(async () => {
        // Dumps made here, from a real process whose VMA count grows (about 600 VMAs a second).
        fs.mkdirSync(dumps);
        const p = startProcess({ program: 'fragmenter', args: ['--rate', '600'] });
        try {
          await p.ready;
          for (let k = 1; k <= N; k++) {
            const text = captureMaps(p.pid);
            fs.writeFileSync(path.join(dumps, `fragmenter-${String(k).padStart(2, '0')}.maps`), text);
            counts.push(text.split('\n').filter((l) => /^[0-9a-f]+-/.test(l) && !l.endsWith('[vsyscall]')).length);
            await sleep(400);
          }
        } finally {
          await p.stop();
        }
        fs.writeFileSync(path.join(dumps, 'README.txt'), 'not a dump\n');
        vsc = await startVSCode({ build, folder, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
        vsc.page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
        });
      });
      after(() => vsc?.close());

      it('renders the chart with one point per dump, read back from the accessible summary', async () => {
        const tab = vsc.page.locator('.tabs-container .tab', { hasText: 'VMA timeline: dumps' });
        await explorerMenu(vsc, 'dumps', 'Open Timeline for Folder…', () =>
          tab.waitFor({ timeout: 5000 }).then(
            () => true,
            async () => {
              await vsc.screenshot('timeline-explorer-menu-retry');
              return false;
            },
          ),
        );
        const f = vsc.webviewFrame();
        assert.equal(await waitSamples(f, N), N);
        await f.locator('#chart-box[data-samples="12"]').waitFor();
        assert.equal(await f.locator('#chart-box').getAttribute('data-points'), String(N), 'a short series is not decimated');
        assert.equal(await f.locator('#samples-body tr').count(), N);
        assert.equal(await f.locator('#samples-caption').innerText(), `Samples 1–${N} of ${N}`);
        // Rows in capture order, with the VMA counts the dumps have.
        const tableCounts = await f.locator('#samples-body tr td:nth-child(3)').allInnerTexts();
        assert.deepEqual(
          tableCounts.map((t) => Number(t.replace(/,/g, ''))),
          counts,
        );
        assert.ok(counts[N - 1] > counts[0] + 1000, `the process grew: ${counts.join(' ')}`);
        const summary = await f.locator('#summary').innerText();
        assert.match(summary, new RegExp(`^${N} samples over \\d+ s, from `));
        assert.match(
          await f.locator('#forecast').innerText(),
          /^Forecast: limit in about .+ at the current rate \(\+[\d,]+ VMAs\/h; times from the capture headers\), fitted over the last 12 samples\.$/,
        );
        // README.txt is listed as skipped, not silently dropped.
        assert.match(await f.locator('#notices').innerText(), /1 file skipped/);
        // The strip shows the newest snapshot on a compressed 64-bit scale, and says so.
        await f.locator('#strip-note', { hasText: 'Compressed scale' }).waitFor();
        assert.match(await f.locator('#strip-note').innerText(), /VMAs mapping .+ across .+ TiB of address space/);
        await f.locator('#zoom-in').click();
        assert.equal(await f.locator('#strip').getAttribute('data-zoom'), '2');
        assert.deepEqual(vsc.extensionErrors(), []);
        // The nonce CSP holds: Chart.js and the web components run without inline scripts or styles.
        assert.deepEqual(cspViolations, []);
      });

      it('opens the snapshot of a clicked sample in the editor', async () => {
        const f = vsc.webviewFrame();
        await clickChart(f, 0.3);
        await f.locator('#samples-body tr.picked').first().waitFor();
        const [picked] = await pickedRows(f);
        const name = path.basename(picked.source);
        assert.match(name, /^fragmenter-\d\d\.maps$/);
        await vsc.page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).waitFor({ timeout: 15_000 });
        // The editor beside the panel shows that very dump.
        const k = Number(name.slice(11, 13));
        assert.equal(picked.n, k);
        assert.equal(picked.vmas, counts[k - 1]);
        assert.match(await f.locator('#picked').innerText(), new RegExp(`#${k} .*: ${counts[k - 1].toLocaleString('en-US')} VMAs`));
      });

      it('shows the diff of two picked samples: by kind and the top-growing ranges', async () => {
        const f = vsc.webviewFrame();
        await clickChart(f, 0.9, true);
        await f.locator('#diff-section:not([hidden]) #diff-summary').waitFor({ timeout: 15_000 });
        const [a, b] = await pickedRows(f);
        assert.ok(a && b && a.n < b.n, 'A is the earlier sample');
        const text = await f.locator('#diff-summary').innerText();
        const m = /: ([\d,]+) → ([\d,]+) VMAs \(\+([\d,]+)\); ([\d,]+) added, ([\d,]+) removed/.exec(text);
        assert.ok(m, text);
        const num = (s: string) => Number(s.replace(/,/g, ''));
        assert.equal(num(m[1]), a.vmas);
        assert.equal(num(m[2]), b.vmas);
        assert.equal(num(m[3]), b.vmas - a.vmas);
        // The growth is anonymous memory chopped into pages, in one range.
        const anon = f.locator('#diff-kinds tbody tr', { hasText: 'Anonymous' });
        assert.match(await anon.innerText(), /\+[\d,]+/);
        const ranges = f.locator('#diff-ranges tbody tr');
        assert.ok((await ranges.count()) >= 1);
        assert.match(await ranges.first().innerText(), /^[0-9a-f]+-[0-9a-f]+\s+Anonymous\s+\+[\d,]+/);
        await vsc.screenshot(`timeline-folder-diff-${build}`);
      });

      onNode('comes back after a window reload (serializer), with the same samples', async () => {
        // Give the web workbench a moment to persist its editor state (it cannot on unload).
        await sleep(3000);
        await vsc.page.reload();
        await vsc.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
        const f = vsc.webviewFrame();
        try {
          assert.equal(await waitSamples(f, N, 60_000), N);
        } catch (err) {
          await vsc.screenshot('timeline-reload-failure');
          throw err;
        }
        assert.equal(await f.locator('#title').innerText(), 'VMA timeline: dumps');
      });

      onNode('follows the theme: switching to a light theme recolours the chart and the page', async () => {
        const f = vsc.webviewFrame();
        const look = () =>
          f.locator('body').evaluate(() => ({
            fg: (document.getElementById('chart-box') as HTMLElement).dataset.foreground!,
            bg: getComputedStyle(document.body).backgroundColor,
          }));
        const dark = await look();
        // Pick Light Modern in the theme picker.
        await runCommandWhenReady(vsc, 'Preferences: Color Theme', true);
        const qi = vsc.page.locator('.quick-input-widget');
        await qi.locator('.quick-input-box input').fill('Light Modern');
        await qi
          .locator('.monaco-list-row', { hasText: /^Light Modern/ })
          .first()
          .waitFor();
        await vsc.page.keyboard.press('Enter');
        const light = await poll(look, (v) => v.fg !== dark.fg && v.bg !== dark.bg, 20_000);
        const lum = (c: string) => {
          const [r, g, b] = c.match(/\d+/g)!.map(Number);
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        assert.ok(lum(dark.fg) > lum(dark.bg), `dark theme: light text on dark (${dark.fg} on ${dark.bg})`);
        assert.ok(lum(light.fg) < lum(light.bg), `light theme: dark text on light (${light.fg} on ${light.bg})`);
        // The chart was redrawn with the new palette, samples intact.
        assert.equal(await sampleCount(f), N);
      });
    });

  describe('live watch of a local process', () => {
    const folder = tempFolder('vma-lens-e2e-watch-');
    const captures = path.join(folder, 'captures');
    let vsc: VSCode;
    let p: RealProcess | undefined;

    before(async () => {
      vsc = await startVSCode({
        folder,
        settings: { 'vmaLens.watch.intervalSeconds': 1, 'vmaLens.watch.captureFolder': captures },
      });
    });
    after(async () => {
      await p?.stop();
      await vsc?.close();
    });

    const statusBar = async () => (await vsc.statusBarText()).join(' | ');

    it('shows new samples arriving from a process whose VMA count grows, and a forecast', async () => {
      p = startProcess({ program: 'fragmenter', args: ['--rate', '300'] });
      await p.ready;
      await watchProcess(vsc, p.pid);
      const f = vsc.webviewFrame();
      await f.locator('#watch[data-state="running"]').waitFor({ timeout: 30_000 });
      assert.match(await f.locator('#watch-state').innerText(), new RegExp(`Watching process ${p.pid} every 1 s\\.`));
      const first = await waitSamples(f, 3);
      const later = await waitSamples(f, first + 2);
      assert.ok(later >= first + 2, 'samples keep arriving');
      await f.locator('#forecast', { hasText: 'limit in about' }).waitFor({ timeout: 10_000 });
      assert.match(
        await f.locator('#forecast').innerText(),
        /^Forecast: limit in about .+ \(\+[\d,]+ VMAs\/h; times from the capture headers\), fitted over the last \d+ samples\.$/,
      );
      const rows = await f.locator('#samples-body tr td:nth-child(3)').allInnerTexts();
      const vmas = rows.map((t) => Number(t.replace(/,/g, '')));
      assert.ok(vmas[vmas.length - 1] > vmas[0], `growing: ${vmas.join(' ')}`);
      assert.match(await statusBar(), new RegExp(`VMA watch: fragmenter ${p.pid} · \\d+`));
      // The samples are on disk with an index, so the timeline can be reopened later.
      const dir = path.join(captures, fs.readdirSync(captures)[0]!);
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
      assert.equal(index.target.pid, p.pid);
      assert.ok(index.samples.length >= later - 1);
    });

    it('pauses and resumes', async () => {
      const f = vsc.webviewFrame();
      await f.locator('#pause').click();
      await f.locator('#watch[data-state="paused"]').waitFor();
      const paused = await sampleCount(f);
      await sleep(2500);
      assert.ok((await sampleCount(f)) <= paused + 1, 'at most the capture in flight lands while paused');
      assert.match(await statusBar(), /VMA watch/);
      await f.locator('#resume').click();
      await f.locator('#watch[data-state="running"]').waitFor();
      await waitSamples(f, paused + 2);
    });

    it('samples faster once the interval is changed in the panel', async () => {
      const f = vsc.webviewFrame();
      const every = f.locator('#watch-interval');
      assert.equal(await every.inputValue(), '1');
      await every.fill('0.25');
      await every.press('Enter');
      await f.locator('#watch-state', { hasText: 'every 250 ms' }).waitFor({ timeout: 5000 });
      const before = await sampleCount(f);
      await sleep(3000);
      // At 1 s there would be about 3 more; at 250 ms about 12 (captures take time on a busy machine).
      const gained = (await sampleCount(f)) - before;
      assert.ok(gained >= 6, `${gained} samples in 3 s`);
      await every.fill('1');
      await every.press('Enter');
      await f.locator('#watch-state', { hasText: 'every 1 s' }).waitFor({ timeout: 5000 });
    });

    it('stops cleanly when the watched process exits, keeping the timeline', async () => {
      const f = vsc.webviewFrame();
      const pid = p!.pid;
      await p!.stop();
      await f.locator('#watch[data-state="exited"]').waitFor({ timeout: 15_000 });
      const n = await sampleCount(f);
      assert.match(await f.locator('#watch-state').innerText(), new RegExp(`^Process ${pid} exited; the watch stopped after ${n} samples\\.`));
      await vsc.page.locator('.notifications-toasts', { hasText: `Process ${pid} exited` }).waitFor({ timeout: 10_000 });
      assert.ok(n >= 7, `${n} samples kept`);
      assert.equal(await f.locator('#samples-body tr').count(), n, 'the timeline stays');
      assert.equal(await f.locator('#restart').isVisible(), true, '"Watch again" is offered');
      assert.equal(await f.locator('#stop').isVisible(), false);
      // The status bar no longer shows a watch; the index says why it ended.
      assert.doesNotMatch(await poll(statusBar, (t) => !/VMA watch/.test(t), 5000).catch(statusBar), /VMA watch/);
      const dir = path.join(captures, fs.readdirSync(captures)[0]!);
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
      assert.match(index.endReason, /^exited: /);
      assert.equal(index.samples.length, n);
      assert.equal(fs.readdirSync(dir).filter((x) => x.endsWith('.maps')).length, n);
      await sleep(2000);
      assert.equal(await sampleCount(f), n, 'no sample after the exit');
      assert.deepEqual(vsc.extensionErrors(), []);
    });

    it('closing the panel stops its watch: no more captures, no status bar item', async () => {
      // One webview at a time, so that the frame below is this watch's panel.
      await runCommandWhenReady(vsc, 'View: Close All Editors');
      await vsc.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached' });
      p = startProcess({ cmd: 'sleep', args: ['600'] });
      await p.ready;
      const before = new Set(fs.readdirSync(captures));
      await watchProcess(vsc, p.pid);
      const f = vsc.webviewFrame();
      await waitSamples(f, 2);
      const dir = path.join(
        captures,
        fs.readdirSync(captures).find((d) => !before.has(d))!,
      );
      assert.match(await statusBar(), new RegExp(`VMA watch: sleep ${p.pid}`));
      await runCommandWhenReady(vsc, 'View: Close Editor');
      await vsc.page.locator('.tabs-container .tab', { hasText: 'VMA watch' }).waitFor({ state: 'detached' });
      assert.doesNotMatch(await poll(statusBar, (t) => !/VMA watch/.test(t), 5000).catch(statusBar), /VMA watch/);
      const files = () => fs.readdirSync(dir).filter((x) => x.endsWith('.maps')).length;
      const n = files();
      await sleep(3500);
      assert.equal(files(), n, 'no capture after the panel closed');
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
      assert.equal(index.endReason, 'stopped');
      assert.equal(p.alive(), true, 'the watched process itself is left alone');
      await p.stop();
      p = undefined;
    });
  });

  describe('live watch over SSH', () => {
    const folder = tempFolder('vma-lens-e2e-sshwatch-');
    const captures = path.join(folder, 'captures');
    let vsc: VSCode;
    let sshd: TestSshd | undefined;
    let p: RealProcess | undefined;
    // A TCP relay in front of a private sshd: closing it is the network dropping.
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(sshd!.port, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    let relayPort = 0;
    const listen = (port: number) => new Promise<void>((r) => relay.listen(port, '127.0.0.1', () => r()));
    const drop = () =>
      new Promise<void>((r) => {
        relay.close(() => r());
        for (const s of sockets) s.destroy();
      });

    before(async () => {
      sshd = await startSshd('vmalens-watch');
      await listen(0);
      relayPort = (relay.address() as net.AddressInfo).port;
      // The helper's ssh_config, pointed at the relay.
      const configFile = path.join(folder, 'ssh_config');
      fs.writeFileSync(configFile, fs.readFileSync(sshd.configFile, 'utf8').replace(/^(\s*Port )\d+$/m, `$1${relayPort}`));
      vsc = await startVSCode({
        folder,
        settings: {
          'vmaLens.watch.intervalSeconds': 1,
          'vmaLens.watch.captureFolder': captures,
          'vmaLens.ssh.configFile': configFile,
          'vmaLens.ssh.timeoutSeconds': 3,
        },
      });
    });
    after(async () => {
      await p?.stop();
      await vsc?.close();
      relay.close();
      for (const s of sockets) s.destroy();
      await sshd?.stop();
    });

    it('retries with backoff while the connection is down, visibly, and carries on when it is back', async () => {
      p = startProcess({ cmd: 'sleep', args: ['600'] });
      await p.ready;
      await watchProcess(vsc, p.pid, 'vmalens-watch');
      const f = vsc.webviewFrame();
      await f.locator('#watch[data-state="running"]').waitFor({ timeout: 30_000 });
      assert.match(await f.locator('#watch-state').innerText(), new RegExp(`Watching process ${p.pid} on vmalens-watch every 1 s\\.`));
      const before = await waitSamples(f, 2);

      await drop();
      await f.locator('#watch[data-state="retrying"]').waitFor({ timeout: 20_000 });
      assert.match(await f.locator('#watch-state').innerText(), /^ssh to vmalens-watch failed: .+ Retrying in 2 s \(attempt 1\)\./);
      // The delay doubles.
      await f.locator('#watch-state', { hasText: '(attempt 2)' }).waitFor({ timeout: 20_000 });
      assert.match(await f.locator('#watch-state').innerText(), /Retrying in 4 s \(attempt 2\)/);
      assert.match((await vsc.statusBarText()).join(' '), /VMA watch: .*sleep/);
      const during = await sampleCount(f);
      assert.ok(during <= before + 1);

      await listen(relayPort);
      await f.locator('#watch[data-state="running"]').waitFor({ timeout: 30_000 });
      assert.match(await f.locator('#watch-state').innerText(), /^Reconnected; watching process \d+ on vmalens-watch every 1 s\./);
      await waitSamples(f, during + 2);

      await runCommandWhenReady(vsc, 'VMA Lens: Stop Watching');
      await f.locator('#watch[data-state="stopped"]').waitFor();
      const dir = path.join(captures, fs.readdirSync(captures)[0]!);
      await poll(
        () => JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).endReason,
        (r) => r === 'stopped',
      );
      assert.match(fs.readdirSync(captures)[0]!, new RegExp(`^vmalens-watch-${p.pid}-sleep-`));
      assert.deepEqual(vsc.extensionErrors(), []);
    });
  });
});
