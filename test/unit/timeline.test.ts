import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, analyzeText } from '../../src/core/analyze';
import { diffDumps } from '../../src/core/diff';
import { parseDump } from '../../src/core/parse';
import { forecast, orderSamples, sampleOf, TimelineSample } from '../../src/core/timeline';
import { KiB, layout, library, MiB, Region } from '../helpers/mapsText';

const frag = (n: number, at = 0x7e0000000000): Region[] =>
  Array.from({ length: n }, (_, k) => ({ ...(k === 0 ? { at } : { gap: 4 * KiB }), size: 4 * KiB, perms: 'rw-p' }));

function sample(vmaCount: number, time?: number, source = `s${vmaCount}.maps`): TimelineSample {
  return {
    source,
    label: source,
    vmaCount,
    maxMapCount: 65530,
    kinds: {},
    allocator: 'glibc',
    threads: 1,
    findings: [],
    malformed: 0,
    ...(time !== undefined ? { time } : {}),
  };
}

describe('timeline', () => {
  it('samples carry the summary, the capture time and RSS from smaps', () => {
    const text = '# time: 2026-11-22T10:00:00Z\n' + layout([...library('/usr/sbin/mysqld')]).replace(/\n/g, '\nRss: 4 kB\n');
    const s = sampleOf('/d/a.smaps', analyzeText(text));
    assert.equal(s.time, Date.parse('2026-11-22T10:00:00Z'));
    assert.equal(s.label, '2026-11-22 10:00:00Z');
    assert.equal(s.vmaCount, 5);
    assert.equal(s.rss, 5 * 4 * 1024);
    assert.equal(s.kinds.text?.count, 1);
  });

  it('orders by capture time when every sample has one, else by name in natural order', () => {
    assert.deepEqual(
      orderSamples([sample(3, 30), sample(1, 10), sample(2, 20)]).map((s) => s.vmaCount),
      [1, 2, 3],
    );
    const byName = orderSamples([sample(1, undefined, 'maps.10'), sample(2, undefined, 'maps.9'), sample(3, 5, 'maps.1')]);
    assert.deepEqual(
      byName.map((s) => s.source),
      ['maps.1', 'maps.9', 'maps.10'],
    );
  });

  it('forecast: a straight line through recent samples, extended to the limit', () => {
    const h = 3600000;
    const grow = [0, 1, 2, 3].map((k) => sample(10000 + k * 5000, k * h));
    const f = forecast(grow);
    assert.equal(Math.round(f.ratePerHour!), 5000);
    assert.equal(f.basis, 'capture');
    assert.equal(Math.round(f.etaMs! / 60000), Math.round(((65530 - 25000) / 5000) * 60));
    assert.match(f.text, /^limit in about 8 h 6 min at the current rate \(\+5,000 VMAs\/h; times from the capture headers\)$/);
    assert.equal(forecast(grow.slice(0, 2)).reason, 'samples', 'two samples are not a trend');
    const shrinking = forecast([0, 1, 2].map((k) => sample(500 - k * 10, k * h)));
    assert.equal(shrinking.reason, 'shrinking');
    assert.match(shrinking.text, /no limit ahead: shrinking by about 10 VMAs per hour/);
    assert.equal(forecast([0, 1, 2].map((k) => sample(500, k * h))).etaMs, undefined);
    assert.equal(forecast([0, 1, 2].map((k) => sample(500, k * h))).reason, 'flat');
    assert.equal(forecast([0, 1, 2].map((k) => sample(65530, k * h))).text, 'at the limit now (times from the capture headers)');
    const noTime = forecast(
      [0, 1, 2].map((k) => sample(100 + k * 100)),
      { intervalMs: 1000 },
    );
    assert.equal(Math.round(noTime.ratePerHour!), 360000);
    assert.equal(noTime.basis, 'interval');
    const window = forecast([...[0, 1, 2, 3, 4].map((k) => sample(60000 - k * 1000, k * h)), ...[5, 6, 7].map((k) => sample(1000 * k, k * h))], { window: 3 });
    assert.equal(window.basedOn, 3);
    assert.equal(Math.round(window.ratePerHour!), 1000);
  });

  it('forecast times: capture header, else file mtimes written one after another, else a given interval, else none', () => {
    const untimed = [0, 1, 2, 3].map((k) => sample(1000 + k * 100, undefined, `maps.${k}`));
    const none = forecast(untimed, { intervalFrom: '--interval' });
    assert.equal(none.reason, 'time');
    assert.equal(none.ratePerHour, undefined);
    assert.match(none.text, /no "# time:" header .*give the time between samples with --interval/);
    const byMtime = forecast(
      untimed.map((s, k) => ({ ...s, mtime: 5e11 + k * 2000 })),
      { intervalMs: 60_000 },
    );
    assert.equal(byMtime.basis, 'mtime', 'file times beat an interval');
    assert.equal(Math.round(byMtime.ratePerHour!), 180_000);
    const copied = untimed.map((s, k) => ({ ...s, mtime: 5e11 + k * 0.3 }));
    assert.match(forecast(copied).text, /modification times are less than 1 ms apart \(copied or unpacked together\?\)/);
    const viaInterval = forecast(copied, { intervalMs: 1000, intervalFrom: '--interval' });
    assert.equal(viaInterval.basis, 'interval');
    assert.match(viaInterval.text, /assuming one sample every 1 s \(--interval\)/);
    const sameHeaderTime = [0, 1, 2].map((k) => ({ ...sample(100 * k, 7e11, `m${k}`), mtime: 7e11 + k * 1000 }));
    assert.equal(forecast(sameHeaderTime).basis, 'mtime', 'one header time for all says nothing of the rate');
  });

  it('forecast: never across processes; only the samples of the last one', () => {
    const h = 3600000;
    const proc = (pid: number) => ({ pid, exe: '/usr/sbin/mariadbd', exeStart: '55d0c0000000' });
    const a = [0, 1, 2].map((k) => ({ ...sample(50000 + k * 1000, k * h, `a${k}`), process: proc(100) }));
    const b = [3, 4].map((k) => ({ ...sample(100 + k, k * h, `b${k}`), process: proc(200) }));
    const f = forecast([...a, ...b]);
    assert.equal(f.reason, 'processes');
    assert.match(f.text, /the last 2 samples are of another process than the one before \(pid 100 vs 200\)/);
    const c = [5, 6, 7].map((k) => ({ ...sample(1000 * k, k * h, `c${k}`), process: proc(200) }));
    const g = forecast([...a, ...b, ...c]);
    assert.equal(g.basedOn, 5);
    assert.match(g.text, /only the samples since the process changed \(pid 100 vs 200\)/);
    const restarted = [0, 1, 2].map((k) => ({ ...sample(1000 * k, k * h, `r${k}`), process: { exe: '/bin/x', exeStart: k === 2 ? '5600' : '5500' } }));
    assert.match(forecast(restarted).text, /executable mapped at 5500 vs 5600/);
  });
});

describe('diff', () => {
  it('matches VMAs by range, permissions and name; reports kinds and the top-growing range', () => {
    const base: Region[] = [...library('/usr/sbin/mysqld'), ...library('/usr/lib/x86_64-linux-gnu/libc.so.6')];
    const a = parseDump(layout([...base, ...frag(10), { at: 0x7d0000000000, size: 2 * MiB, perms: 'rw-p' }]));
    const b = parseDump(layout([...base, ...frag(110), { at: 0x7c0000000000, size: 1 * MiB, perms: 'rw-p' }]));
    analyze(a);
    analyze(b);
    const d = diffDumps(a, b);
    assert.equal(d.vmaCountA, 21);
    assert.equal(d.vmaCountB, 121);
    assert.equal(d.added, 101);
    assert.equal(d.removed, 1);
    assert.equal(d.unchanged, 20);
    assert.equal(d.kinds.anon!.countB - d.kinds.anon!.countA, 100);
    assert.equal(d.topRanges[0].vmaDelta, 100);
    assert.equal(d.topRanges[0].startHex, '7e0000014000', 'right after the 10 VMAs both dumps share');
    assert.equal(d.topRanges[0].kind, 'anon');
    assert.ok(d.topRanges.some((r) => r.vmaDelta === -1 && r.byteDelta === -2 * MiB));
    assert.equal(d.addedSample.length, 50);
    const same = diffDumps(a, a);
    assert.equal(same.added + same.removed, 0);
  });

  it('a permission change counts as one removed and one added VMA', () => {
    const a = parseDump(layout([{ size: 8 * KiB, perms: 'rw-p' }]));
    const b = parseDump(layout([{ size: 8 * KiB, perms: 'r--p' }]));
    analyze(a);
    analyze(b);
    const d = diffDumps(a, b);
    assert.deepEqual([d.added, d.removed, d.unchanged], [1, 1, 0]);
  });
});
