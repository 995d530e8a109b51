/**
 * The forecast of `vma-lens timeline` on what people really collect: `cat /proc/PID/maps > file`
 * once a second from a real growing process, no header. The truth is measured here, from the
 * kernel's own counts and this test's clock, and the estimate must land within 20 % of it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { countVmas, readMaxMapCount, startProcess, type RealProcess } from '../helpers/realProcess';
import { runCli as run } from '../helpers/cli';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-forecast-'));

interface Truth {
  /** VMAs per hour, from the first and last file's kernel counts over this test's clock. */
  ratePerHour: number;
  /** ms from the last sample to the limit at that rate. */
  etaMs: number;
  limit: number;
}

let proc: RealProcess | undefined;
let dir = '';
let truth: Truth;

before(async () => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  proc = startProcess({ program: 'fragmenter', args: ['--rate', '300'] });
  await proc.ready;
  dir = fs.mkdtempSync(path.join(tmp, 'cat-'));
  const taken: { at: number; vmas: number }[] = [];
  for (let k = 1; k <= 8; k++) {
    // What a user's shell loop does: cat the maps into a file, sleep 1.
    const text = fs.readFileSync(`/proc/${proc.pid}/maps`, 'utf8');
    fs.writeFileSync(path.join(dir, `maps.${k}`), text);
    taken.push({ at: Date.now(), vmas: countVmas(text) });
    if (k < 8) await sleep(1000);
  }
  const first = taken[0];
  const last = taken[taken.length - 1];
  const ratePerHour = ((last.vmas - first.vmas) / (last.at - first.at)) * 3_600_000;
  const limit = readMaxMapCount();
  truth = { ratePerHour, etaMs: ((limit - last.vmas) / ratePerHour) * 3_600_000, limit };
  assert.ok(ratePerHour > 300 * 3600 * 0.5, `the fixture grew at ${ratePerHour} VMAs/h`);
});

after(async () => {
  await proc?.stop();
});

const within = (got: number, want: number, what: string) =>
  assert.ok(Math.abs(got - want) <= 0.2 * want, `${what}: ${Math.round(got)} vs the measured ${Math.round(want)} (more than 20 % off)`);

describe('vma-lens timeline forecast on plain cat captures of a real growing process', () => {
  it("uses the files' modification times and lands within 20 % of the measured time to the limit", () => {
    const r = run(['timeline', '--json', '--max-map-count', String(truth.limit), dir]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    const fc = JSON.parse(r.out).forecast;
    assert.equal(fc.basis, 'mtime');
    within(fc.ratePerHour, truth.ratePerHour, 'VMAs per hour');
    within(fc.etaMs, truth.etaMs, 'time to the limit');
    assert.match(
      run(['timeline', '--max-map-count', String(truth.limit), dir]).out,
      /Forecast {3}limit in about .+ \(\+[\d,]+ VMAs\/h; times from the files' modification times\)/,
    );
  });

  it('without usable file times it says why; with --interval it uses that and says so', () => {
    const copy = fs.mkdtempSync(path.join(tmp, 'copied-'));
    const when = new Date();
    for (const f of fs.readdirSync(dir)) {
      fs.copyFileSync(path.join(dir, f), path.join(copy, f));
      fs.utimesSync(path.join(copy, f), when, when); // as when unpacked without times
    }
    const none = run(['timeline', '--json', '--max-map-count', String(truth.limit), copy]);
    const nf = JSON.parse(none.out).forecast;
    assert.equal(nf.reason, 'time');
    assert.equal(nf.etaMs, undefined);
    assert.match(
      run(['timeline', copy]).out,
      /Forecast {3}no forecast: the samples have no "# time:" header and the files' modification times are less than 1 ms apart \(copied or unpacked together\?\); give the time between samples with --interval/,
    );
    const r = run(['timeline', '--json', '--interval', '1', '--max-map-count', String(truth.limit), copy]);
    const fc = JSON.parse(r.out).forecast;
    assert.equal(fc.basis, 'interval');
    within(fc.etaMs, truth.etaMs, 'time to the limit, one sample a second');
    assert.match(fc.text, /assuming one sample every 1 s \(--interval\)/);
    assert.equal(run(['timeline', '--interval', 'soon', copy]).code, 2);
  });

  it('the samples folder (seven processes): no forecast across processes, and says so', () => {
    const r = run(['timeline', path.join(root, 'samples')]);
    assert.match(r.out, /Forecast {3}no forecast: the last sample is of another process than the one before \((host|pid|command|executable) /);
    assert.doesNotMatch(r.out, /limit in about/);
  });
});
