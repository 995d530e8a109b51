/**
 * A VMA timeline from Prometheus history: `process_memory_map_areas` of one process over a time
 * range (query_range), with its host's `process_memory_map_areas_limit`, as the same samples a
 * folder of dumps gives, so the chart, the CLI table and the forecast treat both alike.
 */
import { DEFAULT_MAX_MAP_COUNT, limitSeverity } from '../core/analyze';
import { formatDuration } from '../core/format';
import { t } from '../core/l10n';
import type { ProcessIdentity } from '../core/identity';
import type { TimelineSample } from '../core/timeline';
import { PrometheusError, promString, queryInstant, queryRange, type Labels, type PrometheusOptions } from './client';

export interface PrometheusTimelineRequest extends PrometheusOptions {
  url: string;
  /** A PromQL selector of one process, e.g. `process_memory_map_areas{instance="db1:9100",pid="4242"}`. */
  selector: string;
  /** How far back from `endMs`. */
  sinceMs: number;
  endMs?: number;
  /** Resolution (default: 60 s, coarser for long ranges so a series stays under 1,000 points). */
  stepSec?: number;
}

export interface PrometheusTimeline {
  samples: TimelineSample[];
  /** The labels of the series read. */
  series: Labels;
  /** Where the limit came from: the host's series, or the kernel default when Prometheus has none. */
  limitSource: 'prometheus' | 'default';
}

const MAX_POINTS = 1000;

/** A short description of a series for messages: `mysqld pid 42 on db1:9100`. */
export function describeSeries(l: Labels): string {
  const who = [l.comm, l.pid ? `pid ${l.pid}` : undefined].filter(Boolean).join(' ') || JSON.stringify(l);
  return l.instance ? `${who} on ${l.instance}` : who;
}

/** The selector of one process's series in a fleet row: by every identifying label it has. */
export function selectorOf(l: Labels): string {
  const keys = ['job', 'instance', 'pid', 'comm'].filter((k) => l[k] !== undefined);
  return `process_memory_map_areas{${keys.map((k) => `${k}=${promString(l[k])}`).join(',')}}`;
}

export async function prometheusTimeline(req: PrometheusTimelineRequest): Promise<PrometheusTimeline> {
  const endSec = Math.floor((req.endMs ?? Date.now()) / 1000);
  const rangeSec = Math.max(1, Math.floor(req.sinceMs / 1000));
  const startSec = endSec - rangeSec;
  const stepSec = req.stepSec ?? Math.max(60, Math.ceil(rangeSec / MAX_POINTS));
  const series = await queryRange(req.url, req.selector, startSec, endSec, stepSec, req);
  if (series.length === 0) {
    throw new PrometheusError('empty', t('no series matches {0} at {1} in the last {2}', req.selector, req.url, formatDuration(rangeSec * 1000)));
  }
  if (series.length > 1) {
    const some = series
      .slice(0, 5)
      .map((s) => describeSeries(s.metric))
      .join('; ');
    throw new PrometheusError(
      'query',
      t(
        '{0} matches {1} series ({2}): narrow it to one process, e.g. with pid="…" and instance="…"',
        req.selector,
        series.length,
        some + (series.length > 5 ? '; …' : ''),
      ),
    );
  }
  const [s] = series;
  const labels = s.metric;
  const hostMatch = ['job', 'instance']
    .filter((k) => labels[k] !== undefined)
    .map((k) => `${k}=${promString(labels[k])}`)
    .join(',');
  const [limits, allocators] = await Promise.all([
    queryRange(req.url, `max(process_memory_map_areas_limit{${hostMatch}})`, startSec, endSec, stepSec, req),
    labels.pid !== undefined
      ? queryInstant(req.url, `vma_lens_process_allocator_info{${hostMatch}${hostMatch ? ',' : ''}pid=${promString(labels.pid)}}`, { ...req, timeSec: endSec })
      : Promise.resolve([]),
  ]);
  const limitAt = new Map(limits[0]?.values.map(([t, v]) => [t, v]) ?? []);
  const lastLimit = limits[0]?.values.at(-1)?.[1];
  const allocator = allocators[0]?.metric.allocator ?? 'unknown';
  const name = describeSeries(labels);
  // Who the series is, as the labels of `vma-lens metrics` say: a forecast never spans two processes.
  const process: ProcessIdentity = {
    host: labels.instance,
    pid: labels.pid !== undefined ? Number(labels.pid) : undefined,
    command: labels.comm,
    exe: labels.exe,
  };
  const samples = s.values.map(([t, v]): TimelineSample => {
    const maxMapCount = limitAt.get(t) ?? lastLimit ?? DEFAULT_MAX_MAP_COUNT;
    const severity = limitSeverity(v / maxMapCount);
    const time = t * 1000;
    return {
      source: `${name} @ ${t}`,
      label: new Date(time)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z'),
      time,
      vmaCount: v,
      maxMapCount,
      kinds: {},
      allocator,
      threads: 0,
      findings: severity ? [{ id: 'vma-limit', severity }] : [],
      malformed: 0,
      process,
    };
  });
  return { samples, series: labels, limitSource: lastLimit !== undefined ? 'prometheus' : 'default' };
}
