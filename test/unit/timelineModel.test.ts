import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TimelineSample } from '../../src/core/timeline';
import { isWebviewMessage, MessageType } from '../../src/protocol';
import { buildPalette, mix, parseColor } from '../../webview/colors';
import { decimateMinMax, TimelineModel } from '../../webview/model';

const H = 3_600_000;

function sample(vmaCount: number, time?: number, extra: Partial<TimelineSample> = {}): TimelineSample {
  const source = extra.source ?? `/d/${String(vmaCount).padStart(6, '0')}-${time ?? 'x'}.maps`;
  return {
    source,
    label: source,
    vmaCount,
    maxMapCount: 65530,
    kinds: { anon: { count: vmaCount - 10, bytes: (vmaCount - 10) * 4096 }, text: { count: 10, bytes: 40960 } },
    allocator: 'glibc',
    threads: 1,
    findings: [],
    malformed: 0,
    ...(time !== undefined ? { time } : {}),
    ...extra,
  };
}

describe('timeline model (webview)', () => {
  it('keeps samples in capture-time order, replaces a sample sent twice, and appends live samples in place', () => {
    const m = new TimelineModel();
    m.add([sample(300, 3 * H), sample(100, 1 * H)]);
    m.add([sample(200, 2 * H)]);
    assert.deepEqual(
      m.samples.map((s) => s.vmaCount),
      [100, 200, 300],
    );
    assert.equal(m.timed, true);
    assert.equal(m.x(0), 1 * H);
    // Same source again: replaced, not duplicated.
    m.add([{ ...sample(200, 2 * H), vmaCount: 250 }]);
    assert.equal(m.size, 3);
    assert.equal(m.samples[1].vmaCount, 250);
    // A live sample after the last one is appended.
    m.add([sample(400, 4 * H)]);
    assert.deepEqual(
      m.samples.map((s) => s.vmaCount),
      [100, 250, 300, 400],
    );
    assert.equal(m.indexOf(m.samples[3].source), 3);
  });

  it('uses sample numbers as x when a sample has no capture time, in natural name order', () => {
    const m = new TimelineModel();
    m.add([sample(5, undefined, { source: '/d/maps.10' }), sample(3, undefined, { source: '/d/maps.9' }), sample(1, 100, { source: '/d/maps.1' })]);
    assert.equal(m.timed, false);
    assert.deepEqual(
      m.samples.map((s) => s.source),
      ['/d/maps.1', '/d/maps.9', '/d/maps.10'],
    );
    assert.deepEqual([m.x(0), m.x(1), m.x(2)], [1, 2, 3]);
  });

  it('lists the kinds counted toward the limit, in report order, and builds stacked series that add up to the VMA count', () => {
    const m = new TimelineModel();
    m.add([
      sample(110, 1, { kinds: { text: { count: 10, bytes: 1 }, anon: { count: 100, bytes: 1 }, vsyscall: { count: 1, bytes: 4096 } } }),
      sample(120, 2, { kinds: { text: { count: 10, bytes: 1 }, anon: { count: 100, bytes: 1 }, heap: { count: 10, bytes: 1 } } }),
    ]);
    assert.deepEqual(m.kinds(), ['text', 'heap', 'anon']);
    const series = m.kindSeries([0, 1]);
    const tops = [0, 1].map((i) => [...series.values()].reduce((sum, pts) => sum + (pts[i].y ?? 0), 0));
    assert.deepEqual(tops, [110, 120]);
    assert.deepEqual(m.limitSeries([0, 1], 5), [
      { x: 1, y: 65530 },
      { x: 2, y: 65530 },
      { x: 5, y: 65530 },
    ]);
  });

  it('decimates 10,000 samples to whole samples, keeping every peak, dip, the ends and the picked ones', () => {
    const n = 10_000;
    const values = Array.from({ length: n }, (_, i) => 1000 + Math.round(500 * Math.sin(i / 300)) + (i === 4321 ? 9000 : 0) - (i === 7777 ? 900 : 0));
    const idx = decimateMinMax(n, 2000, (i) => values[i], [1234]);
    assert.ok(idx.length <= 2000, `${idx.length} points`);
    assert.ok(idx.length > 1000);
    for (const must of [0, n - 1, 4321, 7777, 1234]) assert.ok(idx.includes(must), `keeps ${must}`);
    assert.deepEqual(
      idx,
      [...idx].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(idx).size, idx.length, 'no duplicates');
    // The drawn maximum and minimum are the true ones.
    assert.equal(Math.max(...idx.map((i) => values[i])), Math.max(...values));
    assert.equal(Math.min(...idx.map((i) => values[i])), Math.min(...values));
    // Short series are not touched.
    assert.deepEqual(
      decimateMinMax(5, 100, () => 0),
      [0, 1, 2, 3, 4],
    );
  });

  it('draws the forecast from the fitted value at the last sample to the limit, when the limit is near', () => {
    const m = new TimelineModel();
    // +1000 VMAs an hour from 60,000: the limit (65,530) is 5.53 h after the last sample.
    m.add(Array.from({ length: 10 }, (_, k) => sample(51_000 + 1000 * k, k * H)));
    const f = m.forecastLine()!;
    assert.ok(f.segment);
    assert.equal(Math.round(f.forecast.ratePerHour!), 1000);
    assert.equal(f.segment.from.x, 9 * H);
    assert.equal(Math.round(f.segment.from.y), 60_000);
    assert.equal(f.segment.reachesLimit, true);
    assert.equal(Math.round(f.segment.to.y), 65_530);
    assert.equal(Math.round((f.segment.to.x - 9 * H) / 60_000), Math.round(5.53 * 60));
    assert.match(
      f.text,
      /^Forecast: limit in about 5 h 31 min at the current rate \(\+1,000 VMAs\/h; times from the capture headers\), fitted over the last 10 samples\.$/,
    );
  });

  it('clips a far forecast at one timeline span; says which times it used, or why there is no forecast', () => {
    const m = new TimelineModel();
    m.add(Array.from({ length: 5 }, (_, k) => sample(100 + k, k * H)));
    const f = m.forecastLine()!;
    assert.equal(f.segment!.reachesLimit, false);
    assert.equal(f.segment!.to.x, 4 * H + 4 * H);
    const untimed = Array.from({ length: 5 }, (_, k) => sample(100 + 10 * k, undefined, { source: `/d/maps.${k}` }));
    const noInterval = new TimelineModel({ intervalFrom: 'the setting X' });
    noInterval.add(untimed);
    assert.equal(noInterval.timed, false);
    assert.match(
      noInterval.forecastLine()!.text,
      /^Forecast: none, the samples have no "# time:" header and the files have no modification times; give the time between samples with the setting X\.$/,
    );
    assert.equal(noInterval.forecastLine()!.segment, undefined);
    const withInterval = new TimelineModel({ intervalMs: 10_000, intervalFrom: 'the setting X' });
    withInterval.add(untimed);
    assert.match(withInterval.forecastLine()!.text, /\+3,600 VMAs\/h; assuming one sample every 10 s \(the setting X\)/);
    const byMtime = new TimelineModel({ intervalMs: 10_000 });
    byMtime.add(untimed.map((s, k) => ({ ...s, mtime: 1e12 + k * 1000 })));
    assert.equal(byMtime.timed, true, 'file times make a time axis');
    assert.equal(byMtime.x(1) - byMtime.x(0), 1000);
    assert.match(byMtime.forecastLine()!.text, /\+36,000 VMAs\/h; times from the files' modification times/);
    const flat = new TimelineModel();
    flat.add(Array.from({ length: 5 }, (_, k) => sample(100, k * H)));
    const ff = flat.forecastLine()!;
    assert.equal(ff.segment, undefined);
    assert.match(ff.text, /not growing/);
    const few = new TimelineModel();
    few.add([sample(1, 1), sample(2, 2)]);
    assert.match(few.forecastLine()!.text, /a trend needs at least 3 samples \(there are 2\)/);
    assert.equal(few.forecastLine()!.segment, undefined);
  });
});

describe('theme colours', () => {
  it('parses the colours getComputedStyle returns and mixes kinds from the chart palette', () => {
    assert.deepEqual(parseColor('rgb(55, 148, 255)'), { r: 55, g: 148, b: 255, a: 1 });
    assert.deepEqual(parseColor('rgba(1, 2, 3, 0.5)'), { r: 1, g: 2, b: 3, a: 0.5 });
    assert.deepEqual(parseColor('#fff'), { r: 255, g: 255, b: 255, a: 1 });
    assert.equal(parseColor('color(srgb 1 0 0)'), undefined);
    assert.deepEqual(mix({ r: 200, g: 0, b: 100, a: 1 }, { r: 0, g: 0, b: 0, a: 1 }, 0.5), { r: 100, g: 0, b: 50, a: 1 });
    const c = (hex: string) => parseColor(hex)!;
    const base = {
      blue: c('#0000ff'),
      purple: c('#800080'),
      red: c('#ff0000'),
      orange: c('#ffa500'),
      yellow: c('#ffff00'),
      green: c('#00ff00'),
      foreground: c('#000000'),
      background: c('#ffffff'),
      lines: c('#cccccc'),
    };
    const light = buildPalette(base, false);
    assert.equal(light.kind.text, 'rgb(0, 0, 255)');
    assert.equal(light.kind['image-gap'], 'rgb(191, 191, 255)');
    // High contrast keeps faint kinds strong.
    assert.equal(buildPalette(base, true).kind['image-gap'], 'rgb(77, 77, 255)');
    assert.equal(light.limit, 'rgb(255, 0, 0)');
  });
});

describe('protocol', () => {
  it('accepts only well-formed webview messages', () => {
    assert.ok(isWebviewMessage({ type: MessageType.Ready }));
    assert.ok(isWebviewMessage({ type: MessageType.OpenSample, source: '/a.maps', line: 3 }));
    assert.ok(!isWebviewMessage({ type: MessageType.OpenSample, source: '/a.maps', line: -1 }));
    assert.ok(!isWebviewMessage({ type: MessageType.OpenSample }));
    assert.ok(isWebviewMessage({ type: MessageType.WatchControl, action: 'pause' }));
    assert.ok(!isWebviewMessage({ type: MessageType.WatchControl, action: 'rm -rf' }));
    assert.ok(!isWebviewMessage({ type: MessageType.Init }), 'host messages are not webview messages');
    assert.ok(!isWebviewMessage(null));
  });
});
