/** The text summary above the table and the forecast line: what the samples say, in words. */
import * as l10n from '@vscode/l10n';
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
    p.textContent = view.loading && !view.loading.finished ? l10n.t('Loading…') : l10n.t('No samples.');
    return;
  }
  const first = s[0];
  const last = s[s.length - 1];
  const [lo, hi] = range(s.map((x) => x.vmaCount));
  const parts = [
    model.timed && s.length > 1
      ? l10n.t('{0} samples over {1}, from {2} to {3}.', formatCount(s.length), formatDuration(model.x(s.length - 1) - model.x(0)), first.label, last.label)
      : l10n.t(s.length === 1 ? '{0} sample.' : '{0} samples.', formatCount(s.length)),
    l10n.t(
      'VMAs: {0} in the first, {1} in the last ({2} of max_map_count {3}); lowest {4}, highest {5}.',
      formatCount(first.vmaCount),
      formatCount(last.vmaCount),
      formatPercent(last.vmaCount / last.maxMapCount),
      formatCount(last.maxMapCount),
      formatCount(lo),
      formatCount(hi),
    ),
  ];
  const allocators = [...new Set(s.map((x) => x.allocator))];
  parts.push(l10n.t('Allocator: {0}.', allocators.join(', ')));
  if (last.rss !== undefined) parts.push(l10n.t('RSS in the last sample: {0}.', formatBytes(last.rss)));
  p.textContent = parts.join(' ');
}
