/**
 * The timeline as the webview holds it: the per-sample summaries in display order, the x value of
 * each, decimation for long series, and the series the chart draws. Pure (no DOM), so unit tests
 * run it in Node.
 */
import { KINDS, countsTowardLimit } from '../src/core/kinds';
import { columnsProblem, fromColumns, type SampleColumns } from '../src/core/sampleColumns';
import { forecast, orderSamples, sampleTimes, type Forecast, type ForecastOptions, type TimelineSample } from '../src/core/timeline';
import type { VmaKind } from '../src/core/types';

export interface Point {
  x: number;
  y: number | null;
}

export interface ForecastLine {
  forecast: Forecast;
  /** The sentence shown under the chart. */
  text: string;
  /** The dashed segment, when the count grows: from the fitted value at the last sample toward the limit. */
  segment?: {
    from: { x: number; y: number };
    to: { x: number; y: number };
    /** True when `to` is where the line meets the limit (false: clipped at the chart's edge). */
    reachesLimit: boolean;
  };
}

export class TimelineModel {
  private list: TimelineSample[] = [];
  private readonly bySource = new Map<string, TimelineSample>();
  private xs: number[] = [];
  /** The samples have times (capture headers or file mtimes): the x axis is time; else it is the sample number. */
  timed = true;

  /** The interval the user set for samples without times, and where it was set (for the text). */
  constructor(public interval: Pick<ForecastOptions, 'intervalMs' | 'intervalFrom' | 'timesFrom'> = {}) {}

  get samples(): readonly TimelineSample[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Adds (or replaces, by source) samples and puts them in order. */
  add(samples: readonly TimelineSample[]): void {
    let appendOnly = true;
    const last = this.list[this.list.length - 1];
    for (const s of samples) {
      const had = this.bySource.has(s.source);
      this.bySource.set(s.source, s);
      if (had || last === undefined || s.time === undefined || last.time === undefined || s.time < last.time) appendOnly = false;
    }
    if (appendOnly && this.timed && samples.every((s, k) => k === 0 || s.time! >= samples[k - 1].time!)) {
      // The live-watch case: new samples after the last one; no re-sort of thousands.
      this.list.push(...samples);
    } else {
      this.list = orderSamples([...this.bySource.values()]);
    }
    this.placeOnAxis();
  }

  /** Adds the samples of a host message (columns, see core/sampleColumns); throws on columns that do not hold together. */
  addColumns(c: SampleColumns): void {
    const problem = columnsProblem(c);
    if (problem) throw new Error(`unreadable samples from the host: ${problem}`);
    this.add(fromColumns(c));
  }

  /** x of each sample: its time by the forecast's rule (core sampleTimes), else its number. */
  private placeOnAxis(): void {
    const t = sampleTimes(this.list);
    this.timed = t.basis !== undefined;
    this.xs = t.basis !== undefined ? t.xs : this.list.map((_, i) => i + 1);
  }

  clear(): void {
    this.list = [];
    this.bySource.clear();
    this.xs = [];
    this.timed = true;
  }

  get(source: string): TimelineSample | undefined {
    return this.bySource.get(source);
  }

  indexOf(source: string): number {
    const s = this.bySource.get(source);
    return s ? this.list.indexOf(s) : -1;
  }

  x(i: number): number {
    return this.xs[i];
  }

  /** Kinds counted toward the limit that any sample has, in report order. */
  kinds(): VmaKind[] {
    const seen = new Set<VmaKind>();
    for (const s of this.list) for (const k of Object.keys(s.kinds) as VmaKind[]) if (s.kinds[k]!.count > 0) seen.add(k);
    return KINDS.filter((k) => seen.has(k) && countsTowardLimit(k));
  }

  hasRss(): boolean {
    return this.list.some((s) => s.rss !== undefined);
  }

  hasPss(): boolean {
    return this.list.some((s) => s.pss !== undefined);
  }

  /**
   * Indices of the samples to draw: all of them up to `maxPoints`, else per bucket of
   * neighbouring samples the one with the fewest and the one with the most VMAs (whole samples,
   * so the stacked kinds stay consistent and every peak and dip is kept), plus the first, the
   * last and `keep`.
   */
  decimate(maxPoints: number, keep: readonly number[] = []): number[] {
    const n = this.list.length;
    if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
    return decimateMinMax(n, maxPoints, (i) => this.list[i].vmaCount, keep);
  }

  /** Stacked series per kind, over the given sample indices. */
  kindSeries(indices: readonly number[]): Map<VmaKind, Point[]> {
    const out = new Map<VmaKind, Point[]>();
    for (const k of this.kinds())
      out.set(
        k,
        indices.map((i) => ({ x: this.xs[i], y: this.list[i].kinds[k]?.count ?? 0 })),
      );
    return out;
  }

  /** The VMA count alone, for samples that do not say which kinds (timelines from Prometheus). */
  totalSeries(indices: readonly number[]): Point[] {
    return indices.map((i) => ({ x: this.xs[i], y: this.list[i].vmaCount }));
  }

  /** The max_map_count line as steps (it changes when someone raises the sysctl), out to `xEnd`. */
  limitSeries(indices: readonly number[], xEnd: number): Point[] {
    const pts = indices.map((i) => ({ x: this.xs[i], y: this.list[i].maxMapCount }));
    if (pts.length && xEnd > pts[pts.length - 1].x) pts.push({ x: xEnd, y: pts[pts.length - 1].y });
    return pts;
  }

  bytesSeries(indices: readonly number[], field: 'rss' | 'pss'): Point[] {
    return indices.map((i) => ({ x: this.xs[i], y: this.list[i][field] ?? null }));
  }

  forecast(window = 20): Forecast {
    return forecast(this.list, { window, ...this.interval });
  }

  /**
   * The forecast as a dashed segment in chart coordinates. The segment ends at the limit when that
   * is within `horizon` × the timeline's span after the last sample, else at that horizon.
   */
  forecastLine(window = 20, horizon = 1): ForecastLine | undefined {
    const n = this.list.length;
    if (n === 0) return undefined;
    const fc = this.forecast(window);
    const text = `Forecast: ${fc.reason ? fc.text.replace(/^no forecast: /, 'none, ') : `${fc.text}, fitted over the last ${fc.basedOn} samples`}.`;
    if (fc.reachAt === undefined || fc.ratePerHour === undefined || fc.ratePerHour <= 0 || !fc.etaMs) return { forecast: fc, text };
    const last = this.list[n - 1];
    // In x units: ms when the samples have times, sample numbers when the interval stands in (core then uses index × interval).
    const intervalMs = fc.basis === 'interval' ? this.interval.intervalMs! : 1;
    const slope = (fc.ratePerHour / 3_600_000) * intervalMs; // VMAs per x unit
    const lastX = this.xs[n - 1];
    const reachX = fc.basis === 'interval' ? fc.reachAt / intervalMs + 1 : fc.reachAt;
    const fromY = last.maxMapCount - slope * (reachX - lastX);
    const span = Math.max(this.xs[n - 1] - this.xs[0], fc.basis === 'interval' ? 1 : 1000);
    const endX = Math.min(reachX, lastX + span * horizon);
    return {
      forecast: fc,
      text,
      segment: { from: { x: lastX, y: fromY }, to: { x: endX, y: fromY + slope * (endX - lastX) }, reachesLimit: endX === reachX },
    };
  }
}

/** Min/max decimation by buckets of neighbouring indices; see TimelineModel.decimate. */
export function decimateMinMax(n: number, maxPoints: number, value: (i: number) => number, keep: readonly number[] = []): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2 - keep.length) / 2));
  const width = n / buckets;
  const picked = new Uint8Array(n);
  picked[0] = 1;
  picked[n - 1] = 1;
  for (const k of keep) if (k >= 0 && k < n) picked[k] = 1;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * width);
    const to = Math.min(n, Math.floor((b + 1) * width));
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      const v = value(i);
      if (v < value(lo)) lo = i;
      if (v > value(hi)) hi = i;
    }
    picked[lo] = 1;
    picked[hi] = 1;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (picked[i]) out.push(i);
  return out;
}
