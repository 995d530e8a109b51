/** The text summary above the table and the forecast line: what the samples say, in words. */
import { formatBytes, formatCount, formatDuration, formatPercent } from '../src/core/format';
import { $ } from './dom';
import { model, view } from './host';

export function renderForecast(): void {
  const fc = model.forecastLine();
  const p = $('forecast');
  p.textContent = fc ? fc.text : '';
  p.dataset.eta = fc?.forecast.etaMs !== undefined ? String(fc.forecast.etaMs) : '';
  p.dataset.rate = fc?.forecast.ratePerHour !== undefined ? String(fc.forecast.ratePerHour) : '';
  p.dataset.basis = fc?.forecast.basis ?? '';
  p.dataset.reason = fc?.forecast.reason ?? '';
}

function range(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function renderSummary(): void {
  const s = model.samples;
  const p = $('summary');
  p.dataset.sampleCount = String(s.length);
  if (!s.length) {
    p.textContent = view.loading && !view.loading.finished ? 'Loading…' : 'No samples.';
    return;
  }
  const first = s[0];
  const last = s[s.length - 1];
  const [lo, hi] = range(s.map((x) => x.vmaCount));
  const parts = [
    `${formatCount(s.length)} sample${s.length === 1 ? '' : 's'}` +
      (model.timed && s.length > 1 ? ` over ${formatDuration(model.x(s.length - 1) - model.x(0))}, from ${first.label} to ${last.label}.` : '.'),
    `VMAs: ${formatCount(first.vmaCount)} in the first, ${formatCount(last.vmaCount)} in the last (${formatPercent(last.vmaCount / last.maxMapCount)} of max_map_count ${formatCount(last.maxMapCount)}); lowest ${formatCount(lo)}, highest ${formatCount(hi)}.`,
  ];
  const allocators = [...new Set(s.map((x) => x.allocator))];
  parts.push(`Allocator: ${allocators.join(', ')}.`);
  if (last.rss !== undefined) parts.push(`RSS in the last sample: ${formatBytes(last.rss)}.`);
  p.textContent = parts.join(' ');
}
