/** The VMA-count chart: samples against max_map_count, stacked by kind; a click picks a sample. */
import * as l10n from '@vscode/l10n';
import { formatCount } from '../src/core/format';
import { TimelineChart } from './chart';
import type { Palette } from './colors';
import { $ } from './dom';
import { model, render } from './host';
import { pick, pickedIndices } from './picking';

let chart: TimelineChart;
let firstPaintMs: number | undefined;

export function initChart(palette: Palette): void {
  $('chart-box').dataset.foreground = palette.foreground;
  chart = new TimelineChart($<HTMLCanvasElement>('chart'), model, palette, { onPick: (i, add) => pick(model.samples[i].source, add, true) });
  $('scale-limit').addEventListener('change', (e) => {
    chart.scaleToLimit = (e.target as HTMLInputElement).checked;
    render.schedule();
  });
}

export function setChartPalette(palette: Palette): void {
  $('chart-box').dataset.foreground = palette.foreground;
  chart.setPalette(palette);
}

/** Draws the chart; its figures go into data- attributes of #chart-box (the e2e tests read them). */
export function renderChart(): void {
  const box = $('chart-box');
  const r = chart.render(pickedIndices());
  box.dataset.samples = String(r.samples);
  box.dataset.points = String(r.points);
  box.dataset.renderMs = r.ms.toFixed(1);
  if (r.samples > 0 && firstPaintMs === undefined) {
    firstPaintMs = performance.now();
    box.dataset.firstPaintMs = firstPaintMs.toFixed(1);
  }
  $('limit-note').textContent = chart.limitOffScale
    ? l10n.t('max_map_count ({0}) is above this scale.', formatCount(model.samples[model.size - 1]?.maxMapCount ?? 0))
    : '';
}
