/**
 * The fleet: every process in Prometheus's latest scrape of `vma-lens metrics`, ranked by its
 * share of its host's vm.max_map_count, with its allocator and how fast it grows (the last hour).
 */
import { formatCount, formatDuration } from '../core/format';
import { t } from '../core/l10n';
import type { FleetRow } from '../protocol';
import { PrometheusError, queryInstant, type Labels, type PrometheusOptions } from './client';
import { selectorOf } from './timeline';

export type { FleetRow };

export interface Fleet {
  rows: FleetRow[];
  /** Series in the scrape, before the cut to `top`. */
  total: number;
}

const SHARE = 'process_memory_map_areas / on(instance) group_left process_memory_map_areas_limit';

const keyOf = (l: Labels) => [l.instance ?? '', l.job ?? '', l.pid ?? '', l.comm ?? ''].join('\u0000');

export function forecastText(count: number, limit: number, ratePerHour: number | undefined): { text: string; etaHours?: number } {
  if (ratePerHour === undefined || !Number.isFinite(ratePerHour)) return { text: t('too little history') };
  if (count >= limit) return { text: t('at the limit now'), etaHours: 0 };
  const rounded = Math.round(ratePerHour);
  if (rounded <= 0) return { text: rounded < 0 ? t('shrinking ({0}/h)', formatCount(rounded)) : t('not growing') };
  const etaHours = (limit - count) / ratePerHour;
  return { text: t('limit in {0} (+{1}/h)', formatDuration(etaHours * 3600_000), formatCount(rounded)), etaHours };
}

/** The processes nearest their limit (the first `top`, 200 by default), highest share first. */
export async function fleetRows(url: string, opts: PrometheusOptions & { top?: number } = {}): Promise<Fleet> {
  const top = opts.top ?? 200;
  const [shares, limits, rates, allocators, total] = await Promise.all([
    queryInstant(url, `topk(${top}, ${SHARE})`, opts),
    queryInstant(url, 'process_memory_map_areas_limit', opts),
    queryInstant(url, `deriv(process_memory_map_areas[1h]) * 3600 and on(instance, job, pid, comm) topk(${top}, ${SHARE})`, opts),
    queryInstant(url, 'vma_lens_process_allocator_info', opts),
    queryInstant(url, 'count(process_memory_map_areas)', opts),
  ]);
  if (shares.length === 0) {
    throw new PrometheusError(
      'empty',
      t(
        "Prometheus at {0} has no process_memory_map_areas with a process_memory_map_areas_limit of the same instance in its latest scrape: is vma-lens metrics writing into node_exporter's textfile directory, and is that node_exporter scraped?",
        url,
      ),
    );
  }
  const limitOf = new Map(limits.map((s) => [s.metric.instance ?? '', s.value]));
  const rateOf = new Map(rates.map((s) => [keyOf(s.metric), s.value]));
  const allocOf = new Map(allocators.map((s) => [keyOf({ ...s.metric }), s.metric.allocator]));
  const rows = shares.map((s): FleetRow => {
    const l = s.metric;
    const limit = limitOf.get(l.instance ?? '') ?? NaN;
    const vmaCount = Math.round(s.value * limit);
    const ratePerHour = rateOf.get(keyOf(l));
    const fc = forecastText(vmaCount, limit, ratePerHour);
    return {
      key: keyOf(l),
      instance: l.instance ?? '',
      ...(l.job !== undefined ? { job: l.job } : {}),
      pid: l.pid ?? '',
      comm: l.comm ?? '',
      ...(l.exe ? { exe: l.exe } : {}),
      ...(l.unit ? { unit: l.unit } : {}),
      vmaCount,
      limit,
      share: s.value,
      ...(allocOf.get(keyOf(l)) ? { allocator: allocOf.get(keyOf(l))! } : {}),
      ...(ratePerHour !== undefined ? { ratePerHour } : {}),
      ...(fc.etaHours !== undefined ? { etaHours: fc.etaHours } : {}),
      forecast: fc.text,
      selector: selectorOf(l),
    };
  });
  rows.sort((a, b) => b.share - a.share || a.instance.localeCompare(b.instance) || Number(a.pid) - Number(b.pid));
  return { rows, total: total[0]?.value ?? rows.length };
}

/**
 * The SSH host of a Prometheus instance: the mapping's entry when there is one, else the instance
 * without its port (`db1:9100` → `db1`, `[::1]:9100` → `::1`).
 */
export function sshHostOf(instance: string, mapping: Record<string, string> | undefined): string {
  const mapped = mapping?.[instance];
  if (typeof mapped === 'string' && mapped.trim()) return mapped.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1];
  return instance.replace(/:\d+$/, '');
}
