import { formatCount, formatDuration } from './format';
import type { Analysis, Severity, VmaKind } from './types';

/** One sample of a timeline: what the webview and the CLI need, never the whole dump. */
export interface TimelineSample {
  /** Where the dump came from (file path or capture name). */
  source: string;
  label: string;
  /** Capture time in ms since the epoch, when the dump says. */
  time?: number;
  vmaCount: number;
  maxMapCount: number;
  kinds: Partial<Record<VmaKind, { count: number; bytes: number }>>;
  rss?: number;
  pss?: number;
  allocator: string;
  threads: number;
  findings: { id: string; severity: Severity }[];
  malformed: number;
}

export interface Forecast {
  /** VMAs per hour over the fitted window (negative when shrinking). */
  ratePerHour: number;
  /** ms from the last sample until the limit is reached; undefined when not growing. */
  etaMs?: number;
  /** Epoch ms at which the limit is reached. */
  reachAt?: number;
  /** Samples used for the fit. */
  basedOn: number;
  text: string;
}

export function sampleOf(source: string, a: Analysis, fallbackTime?: number): TimelineSample {
  const parsed = a.header.time ? Date.parse(a.header.time) : NaN;
  const time = Number.isFinite(parsed) ? parsed : fallbackTime;
  const kinds: TimelineSample['kinds'] = {};
  for (const [k, s] of Object.entries(a.kinds)) kinds[k as VmaKind] = { count: s.count, bytes: s.bytes };
  const base = source.slice(source.lastIndexOf('/') + 1);
  return {
    source,
    label: time !== undefined ? new Date(time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : base,
    ...(time !== undefined ? { time } : {}),
    vmaCount: a.vmaCount,
    maxMapCount: a.maxMapCount,
    kinds,
    ...(a.totals.rss !== undefined ? { rss: a.totals.rss } : a.header.rss !== undefined ? { rss: a.header.rss } : {}),
    ...(a.totals.pss !== undefined ? { pss: a.totals.pss } : a.header.pss !== undefined ? { pss: a.header.pss } : {}),
    allocator: a.allocator.name,
    threads: a.threads,
    findings: a.findings.map((f) => ({ id: f.id, severity: f.severity })),
    malformed: a.malformedCount,
  };
}

let collator: Intl.Collator | undefined;

/** Natural order of names ("maps.9" before "maps.10"). The collator is made on first use: it loads ICU data. */
export function compareNames(a: string, b: string): number {
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(a, b);
}

/** Orders samples by capture time when every sample has one, else by source name (natural order). */
export function orderSamples(samples: TimelineSample[]): TimelineSample[] {
  const timed = samples.every((s) => s.time !== undefined);
  return [...samples].sort((a, b) => (timed ? a.time! - b.time! : 0) || compareNames(a.source, b.source));
}

/**
 * Least-squares line through the VMA counts of the recent samples (the last `window` ones, 20 by
 * default), extended to the limit. Samples without a time use their index × `intervalMs`.
 */
export function forecast(samples: TimelineSample[], options: { window?: number; intervalMs?: number } = {}): Forecast | undefined {
  const window = options.window ?? 20;
  const recent = samples.slice(-window);
  if (recent.length < 3) return undefined;
  const start = samples.length - recent.length;
  const xs = recent.map((s, k) => s.time ?? (start + k) * (options.intervalMs ?? 60000));
  const ys = recent.map((s) => s.vmaCount);
  const n = xs.length;
  const mx = xs.reduce((p, v) => p + v, 0) / n;
  const my = ys.reduce((p, v) => p + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx; // VMAs per ms
  const ratePerHour = slope * 3600000;
  const last = recent[n - 1];
  const lastX = xs[n - 1];
  const rounded = Math.round(ratePerHour);
  if (slope <= 0 || last.vmaCount >= last.maxMapCount) {
    const text =
      last.vmaCount >= last.maxMapCount
        ? 'at the limit now'
        : slope < 0
          ? `shrinking by about ${formatCount(Math.abs(rounded))} VMAs per hour`
          : 'not growing';
    return { ratePerHour, basedOn: n, text, ...(last.vmaCount >= last.maxMapCount ? { etaMs: 0, reachAt: lastX } : {}) };
  }
  // Where the fitted line (not the last point) meets the limit, counted from the last sample.
  const fittedLast = my + slope * (lastX - mx);
  const etaMs = Math.max(0, (last.maxMapCount - fittedLast) / slope);
  return {
    ratePerHour,
    etaMs,
    reachAt: lastX + etaMs,
    basedOn: n,
    text: `limit in about ${formatDuration(etaMs)} at the current rate (+${formatCount(rounded)} VMAs/h)`,
  };
}
