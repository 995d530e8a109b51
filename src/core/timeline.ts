import { formatCount, formatDuration } from './format';
import { processDifferences, type ProcessIdentity } from './identity';
import { t } from './l10n';
import type { Analysis, Severity, VmaKind } from './types';

/** One sample of a timeline: what the webview and the CLI need, never the whole dump. */
export interface TimelineSample {
  /** Where the dump came from (file path or capture name). */
  source: string;
  label: string;
  /** Capture time in ms since the epoch, when the dump says. */
  time?: number;
  /** Modification time of the file, ms since the epoch (folder samples). */
  mtime?: number;
  /** Who the dump shows, to tell when a series switches process. */
  process?: ProcessIdentity;
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

/** Where the forecast's time axis comes from. */
export type TimeBasis = 'capture' | 'mtime' | 'interval';

/** Why there is no estimate of when the limit is reached. */
export type NoForecastReason = 'samples' | 'time' | 'processes' | 'flat' | 'shrinking' | 'at-limit';

export interface Forecast {
  /** VMAs per hour over the fitted window (negative when shrinking); absent without a time axis. */
  ratePerHour?: number;
  /** ms from the last sample until the limit is reached; undefined when not growing. */
  etaMs?: number;
  /** When the limit is reached, in the basis's ms (epoch ms for capture and mtime). */
  reachAt?: number;
  /** Samples used for the fit. */
  basedOn: number;
  basis?: TimeBasis;
  /** Set when there is no estimate: the text says why. */
  reason?: NoForecastReason;
  /** One sentence: the estimate and where its times come from, or why there is none. */
  text: string;
}

export interface ForecastOptions {
  /** Samples fitted, the most recent ones (20). */
  window?: number;
  /** Time between samples, used only when they carry no capture time and no usable mtime. */
  intervalMs?: number;
  /** Who set the interval, for the text ("--interval", a setting name). */
  intervalFrom?: string;
  /** What the samples' times are, for the text: "the capture headers" unless said ("Prometheus"). */
  timesFrom?: string;
}

export type SampleTimes = { basis: TimeBasis; xs: number[]; note: string } | { basis?: undefined; why: string };

/** Files written closer together than this were copied or unpacked, not captured one by one. */
const MIN_MTIME_GAP_MS = 100;

/**
 * The time of each sample, by one rule for the CLI and the panel: the capture header's `time`,
 * else the file's modification time (when the files were plainly written one after another),
 * else sample number × an interval the user gave.
 */
export function sampleTimes(samples: readonly TimelineSample[], options: ForecastOptions = {}): SampleTimes {
  // Header times all alike (a clock with whole seconds, samples taken faster) tell no rate.
  if (samples.length && samples.every((s) => s.time !== undefined) && (samples.length < 2 || samples.some((s) => s.time !== samples[0].time))) {
    return {
      basis: 'capture',
      xs: samples.map((s) => s.time!),
      note: options.timesFrom ? t('times from {0}', options.timesFrom) : t('times from the capture headers'),
    };
  }
  let mtimeProblem = t('the files have no modification times');
  if (samples.length && samples.every((s) => s.mtime !== undefined)) {
    let minGap = Infinity;
    for (let k = 1; k < samples.length; k++) minGap = Math.min(minGap, samples[k].mtime! - samples[k - 1].mtime!);
    if (minGap >= MIN_MTIME_GAP_MS) return { basis: 'mtime', xs: samples.map((s) => s.mtime!), note: t("times from the files' modification times") };
    mtimeProblem =
      minGap < 0
        ? t("the files' modification times do not follow their order")
        : t("the files' modification times are {0} apart (copied or unpacked together?)", minGap < 1 ? t('less than 1 ms') : `${Math.round(minGap)} ms`);
  }
  if (options.intervalMs && options.intervalMs > 0) {
    const from = options.intervalFrom ? ` (${options.intervalFrom})` : '';
    return {
      basis: 'interval',
      xs: samples.map((_, k) => k * options.intervalMs!),
      note: t('assuming one sample every {0}', formatDuration(options.intervalMs)) + from,
    };
  }
  const hint = options.intervalFrom ? `; ${t('give the time between samples with {0}', options.intervalFrom)}` : '';
  return { basis: undefined, why: t('the samples have no "# time:" header and {0}', mtimeProblem) + hint };
}

/** Index of the first sample of the trailing run that shows one process, and what changed before it. */
function lastProcessRun(samples: readonly TimelineSample[]): { from: number; change?: string[] } {
  for (let k = samples.length - 1; k > 0; k--) {
    const diffs = processDifferences(samples[k - 1].process, samples[k].process);
    if (diffs.length) return { from: k, change: diffs };
  }
  return { from: 0 };
}

/** A sample of an analysed dump; `file` adds what only the file and the dump itself tell. */
export function sampleOf(source: string, a: Analysis, file: { mtime?: number; process?: ProcessIdentity } = {}): TimelineSample {
  const parsed = a.header.time ? Date.parse(a.header.time) : NaN;
  const time = Number.isFinite(parsed) ? parsed : undefined;
  const kinds: TimelineSample['kinds'] = {};
  for (const [k, s] of Object.entries(a.kinds)) kinds[k as VmaKind] = { count: s.count, bytes: s.bytes };
  const base = source.slice(source.lastIndexOf('/') + 1);
  return {
    source,
    label:
      time !== undefined
        ? new Date(time)
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, 'Z')
        : base,
    ...(time !== undefined ? { time } : {}),
    ...(file.mtime !== undefined ? { mtime: file.mtime } : {}),
    ...(file.process ? { process: file.process } : {}),
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

/** The file names a folder timeline reads as dumps (maps, smaps, pmap, *.txt), in either extension host. */
export const DUMP_FILE_NAME = /(^|[./_-])(maps|smaps|smaps_rollup|pmap)([._-]|$)|\.(maps|smaps|pmap|txt)$/;

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
 * default) of the last process in the series, against the times of `sampleTimes`, extended to
 * the limit. Without three samples of one process, a time axis or growth, it says why instead.
 */
export function forecast(samples: readonly TimelineSample[], options: ForecastOptions = {}): Forecast {
  const window = options.window ?? 20;
  const run = lastProcessRun(samples);
  const recent = samples.slice(Math.max(run.from, samples.length - window));
  const n = recent.length;
  if (n < 3) {
    const text = run.change
      ? t(
          n === 1
            ? 'no forecast: the last sample is of another process than the one before ({1}), and a trend needs 3 samples of one process'
            : 'no forecast: the last {0} samples are of another process than the one before ({1}), and a trend needs 3 samples of one process',
          n,
          run.change.join(', '),
        )
      : t(n === 1 ? 'no forecast: a trend needs at least 3 samples (there is 1)' : 'no forecast: a trend needs at least 3 samples (there are {0})', n);
    return { basedOn: n, reason: run.change ? 'processes' : 'samples', text };
  }
  const times = sampleTimes(samples, options);
  if (times.basis === undefined) return { basedOn: n, reason: 'time', text: t('no forecast: {0}', times.why) };
  const start = samples.length - n;
  const xs = times.xs.slice(start);
  const ys = recent.map((s) => s.vmaCount);
  const mx = xs.reduce((p, v) => p + v, 0) / n;
  const my = ys.reduce((p, v) => p + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  const base = { basedOn: n, basis: times.basis };
  const since = run.change ? `; ${t('only the samples since the process changed ({0})', run.change.join(', '))}` : '';
  const note = `${times.note}${since}`;
  if (sxx === 0) return { ...base, reason: 'time', text: t('no forecast: the last {0} samples share one time ({1})', n, times.note) };
  const slope = sxy / sxx; // VMAs per ms
  const ratePerHour = slope * 3600000;
  const last = recent[n - 1];
  const lastX = xs[n - 1];
  const rounded = Math.round(ratePerHour);
  if (last.vmaCount >= last.maxMapCount) return { ...base, ratePerHour, etaMs: 0, reachAt: lastX, reason: 'at-limit', text: t('at the limit now ({0})', note) };
  if (rounded <= 0) {
    const text =
      rounded < 0 ? t('no limit ahead: shrinking by about {0} VMAs per hour ({1})', formatCount(-rounded), note) : t('no limit ahead: not growing ({0})', note);
    return { ...base, ratePerHour, reason: rounded < 0 ? 'shrinking' : 'flat', text };
  }
  // Where the fitted line (not the last point) meets the limit, counted from the last sample.
  const fittedLast = my + slope * (lastX - mx);
  const etaMs = Math.max(0, (last.maxMapCount - fittedLast) / slope);
  return {
    ...base,
    ratePerHour,
    etaMs,
    reachAt: lastX + etaMs,
    text: t('limit in about {0} at the current rate (+{1} VMAs/h; {2})', formatDuration(etaMs), formatCount(rounded), note),
  };
}
