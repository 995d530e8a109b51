/**
 * The timeline chart (Chart.js, only the parts it uses): VMA count stacked by kind, the
 * max_map_count line, RSS (solid) / PSS (dotted) on a second axis, the forecast as a dashed line, markers on the
 * picked samples. Long series are decimated in the model (whole samples per pixel bucket), so
 * 10,000 samples draw as about two points per pixel.
 */
import * as l10n from '@vscode/l10n';
import {
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
  type TooltipItem,
} from 'chart.js';
import { formatBytes, formatCount, formatPercent } from '../src/core/format';
import { KIND_INFO } from '../src/core/kinds';
import type { VmaKind } from '../src/core/types';
import type { Palette } from './colors';
import type { TimelineModel } from './model';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

type Series = ChartDataset<'line', { x: number; y: number | null }[]> & { id: string };

export interface ChartRender {
  /** Samples in the model. */
  samples: number;
  /** Points per series actually drawn. */
  points: number;
  /** ms spent building the series and drawing. */
  ms: number;
}

export interface ChartCallbacks {
  /** A sample was clicked (index into the model); `add` when Shift/Ctrl/Cmd was held. */
  onPick(index: number, add: boolean): void;
}

function timeFormat(span: number): (ms: number) => string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (ms) => {
    const d = new Date(ms);
    const hms = `${two(d.getHours())}:${two(d.getMinutes())}${span < 6 * 3600_000 ? ':' + two(d.getSeconds()) : ''}`;
    return span >= 86_400_000 ? `${d.getMonth() + 1}-${two(d.getDate())} ${hms}` : hms;
  };
}

/** 1, 2, 5 × 10^n at or above v. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export class TimelineChart {
  readonly chart: Chart<'line', { x: number; y: number | null }[]>;
  /** Sample index of each drawn point (the decimated list). */
  private indices: number[] = [];
  private picked: number[] = [];
  scaleToLimit = false;
  private yMax: number | undefined;
  /** Keyboard cursor over the drawn points. */
  private cursor = -1;
  last: ChartRender = { samples: 0, points: 0, ms: 0 };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly model: TimelineModel,
    private palette: Palette,
    private readonly callbacks: ChartCallbacks,
  ) {
    const markers: Plugin<'line'> = {
      id: 'vmaPicked',
      afterDatasetsDraw: (chart) => this.drawMarkers(chart as Chart<'line', { x: number; y: number | null }[]>),
    };
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: [markers],
      options: this.buildOptions({ xMin: 0, xMax: 1, timed: true, yMax: undefined, bytes: false, pss: false }),
    });
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    // A tooltip left from the last hover would cover the chart once the pointer has gone
    // (clicking a sample opens its dump beside the panel, which resizes it).
    canvas.addEventListener('mouseleave', () => this.hideTooltip());
    window.addEventListener('blur', () => this.hideTooltip());
    new ResizeObserver(() => this.hideTooltip()).observe(canvas);
  }

  private hideTooltip(): void {
    if (!this.chart.tooltip?.getActiveElements().length) return;
    this.chart.tooltip.setActiveElements([], { x: 0, y: 0 });
    this.chart.setActiveElements([]);
    this.chart.update('none');
  }

  setPalette(p: Palette): void {
    this.palette = p;
    this.render(this.picked);
  }

  /**
   * The whole options object, plain (Chart.js turns `chart.options` into resolver proxies, which
   * must not be spread back into it): rebuilt on every render from the palette and the scales.
   */
  private buildOptions(v: { xMin: number; xMax: number; timed: boolean; yMax: number | undefined; bytes: boolean; pss: boolean }): ChartOptions<'line'> {
    const p = this.palette;
    const span = v.xMax - v.xMin;
    const fmt = v.timed ? timeFormat(span) : (x: number) => `#${Math.round(x)}`;
    const font = { family: getComputedStyle(document.body).fontFamily || undefined };
    const axisTitle = (text: string, display = true) => ({ display, text, color: p.foreground, font });
    const ticks = { color: p.foreground, font };
    const grid = { color: p.grid };
    return {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      color: p.foreground,
      borderColor: p.grid,
      font,
      interaction: { mode: 'index', intersect: false, axis: 'x' },
      elements: { point: { radius: 0, hitRadius: 4, hoverRadius: 3 }, line: { borderWidth: 1.5, tension: 0 } },
      scales: {
        x: {
          type: 'linear',
          min: v.xMin,
          max: v.xMax,
          ticks: { ...ticks, maxRotation: 0, autoSkipPadding: 16, ...(v.timed ? {} : { precision: 0 }), callback: (x) => fmt(Number(x)) },
          grid,
          title: axisTitle(v.timed ? 'capture time' : 'sample'),
        },
        y: {
          type: 'linear',
          stacked: true,
          beginAtZero: true,
          ...(v.yMax !== undefined ? { max: v.yMax } : {}),
          ticks,
          grid,
          title: axisTitle('VMAs'),
        },
        bytes: {
          type: 'linear',
          position: 'right',
          display: v.bytes,
          beginAtZero: true,
          ticks: { ...ticks, callback: (x) => formatBytes(Number(x)) },
          grid: { ...grid, drawOnChartArea: false },
          title: axisTitle(v.pss ? 'RSS / PSS' : 'RSS', v.bytes),
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            boxWidth: 12,
            boxHeight: 12,
            color: p.foreground,
            font,
            // Lines show as lines in their own dash (limit solid red, RSS solid, PSS dotted, forecast dashed); kinds as swatches.
            usePointStyle: true,
            pointStyleWidth: 28,
            generateLabels: (chart) =>
              Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
                const ds = chart.data.datasets[item.datasetIndex ?? 0] as Series | undefined;
                if (!ds || ds.id.startsWith('kind:')) return { ...item, pointStyle: 'rect' as const };
                // With point styles Chart.js takes the point's style, which has no dash: the line's own.
                const dash = Array.isArray(ds.borderDash) ? (ds.borderDash as number[]) : [];
                return {
                  ...item,
                  pointStyle: 'line' as const,
                  lineDash: dash,
                  lineWidth: Number(ds.borderWidth) || 1.5,
                  strokeStyle: ds.borderColor as string,
                  fillStyle: ds.borderColor as string,
                };
              }),
          },
        },
        tooltip: {
          backgroundColor: p.background,
          titleColor: p.foreground,
          bodyColor: p.foreground,
          footerColor: p.foreground,
          borderColor: p.muted,
          borderWidth: 1,
          titleFont: font,
          bodyFont: font,
          footerFont: font,
          filter: (item) => {
            const id = (item.dataset as Series).id;
            return id !== 'forecast' && id !== 'limit' && !(id.startsWith('kind:') && !item.parsed.y);
          },
          itemSort: (a, b) => b.datasetIndex - a.datasetIndex,
          callbacks: {
            title: (items) => this.tooltipTitle(items),
            label: (item) => this.tooltipLabel(item),
            footer: (items) => this.tooltipFooter(items),
          },
        },
      },
      onClick: (event, _elements, chart) => {
        const native = event.native as MouseEvent | null;
        if (!native) return;
        const hit = chart.getElementsAtEventForMode(native, 'index', { intersect: false, axis: 'x' }, false);
        if (!hit.length) return;
        const i = this.indices[hit[0].index];
        if (i === undefined) return;
        this.callbacks.onPick(i, native.shiftKey || native.ctrlKey || native.metaKey);
      },
    };
  }

  /** Rebuilds every series from the model and draws. Returns what it drew and how long it took. */
  render(picked: readonly number[]): ChartRender {
    const t0 = performance.now();
    this.picked = [...picked];
    const m = this.model;
    const width = Math.max(200, this.canvas.clientWidth || 800);
    this.indices = m.decimate(Math.round(width * 2), picked);
    const p = this.palette;
    const datasets: Series[] = [];
    const fc = m.forecastLine();
    const n = m.size;
    const lastX = n ? m.x(n - 1) : 0;
    const xEnd = fc?.segment ? fc.segment.to.x : lastX;

    let k = 0;
    for (const [kind, data] of m.kindSeries(this.indices)) {
      datasets.push({
        id: `kind:${kind}`,
        label: KIND_INFO[kind].label,
        data,
        stack: 'kinds',
        // By dataset index: the first kind down to zero, each next one down to the kind below it.
        fill: k++ === 0 ? 'origin' : '-1',
        borderWidth: 0.75,
        borderColor: p.kind[kind],
        backgroundColor: p.kind[kind],
        pointRadius: 0,
        yAxisID: 'y',
        order: 3,
      });
    }
    if (k === 0 && n > 0) {
      // Counts without kinds (Prometheus history): one filled series of the total.
      datasets.push({
        id: 'total',
        label: 'VMAs',
        data: m.totalSeries(this.indices),
        stack: 'kinds',
        fill: 'origin',
        borderWidth: 1.5,
        borderColor: p.kind.anon,
        backgroundColor: p.kind.anon,
        pointRadius: 0,
        yAxisID: 'y',
        order: 3,
      });
    }
    datasets.push({
      id: 'limit',
      label: 'max_map_count',
      data: m.limitSeries(this.indices, xEnd),
      stack: 'limit',
      stepped: 'before',
      fill: false,
      borderColor: p.limit,
      backgroundColor: p.limit,
      borderWidth: 2,
      pointRadius: 0,
      yAxisID: 'y',
      order: 1,
    });
    if (fc?.segment) {
      datasets.push({
        id: 'forecast',
        label: l10n.t('Forecast'),
        data: [fc.segment.from, fc.segment.to],
        stack: 'forecast',
        fill: false,
        borderDash: [8, 5],
        borderColor: p.forecast,
        backgroundColor: p.forecast,
        borderWidth: 2,
        pointRadius: [0, fc.segment.reachesLimit ? 4 : 0],
        pointStyle: 'crossRot',
        yAxisID: 'y',
        order: 0,
      });
    }
    const hasBytes = m.hasRss() || m.hasPss();
    if (m.hasRss()) {
      datasets.push({
        id: 'rss',
        label: 'RSS',
        data: m.bytesSeries(this.indices, 'rss'),
        stack: 'rss',
        fill: false,
        borderColor: p.rss,
        backgroundColor: p.rss,
        borderWidth: 1.5,
        pointRadius: 0,
        yAxisID: 'bytes',
        order: 2,
      });
    }
    if (m.hasPss()) {
      datasets.push({
        id: 'pss',
        label: 'PSS',
        data: m.bytesSeries(this.indices, 'pss'),
        stack: 'pss',
        fill: false,
        borderColor: p.pss,
        backgroundColor: p.pss,
        borderWidth: 1.5,
        borderDash: [1, 3],
        pointRadius: 0,
        yAxisID: 'bytes',
        order: 2,
      });
    }

    const first = n ? m.x(0) : 0;
    // Fit the data unless asked to (or already close to) the limit.
    let dataMax = 0;
    let limitMin = Infinity;
    for (const i of this.indices) {
      dataMax = Math.max(dataMax, m.samples[i].vmaCount);
      limitMin = Math.min(limitMin, m.samples[i].maxMapCount);
    }
    if (fc?.segment) dataMax = Math.max(dataMax, fc.segment.to.y);
    this.yMax = this.scaleToLimit || limitMin <= dataMax * 1.25 ? undefined : niceCeil(dataMax * 1.08);
    this.chart.options = this.buildOptions({
      xMin: first,
      xMax: Math.max(xEnd, first + 1),
      timed: m.timed,
      yMax: this.yMax,
      bytes: hasBytes,
      pss: m.hasPss(),
    });
    this.chart.data.datasets = datasets;
    // How each line is drawn, as the legend shows it (for assistive checks and tests).
    this.canvas.dataset.lines = datasets
      .filter((d) => !d.id.startsWith('kind:'))
      .map((d) => `${d.label}:${Array.isArray(d.borderDash) && d.borderDash.length ? `dash ${(d.borderDash as number[]).join(' ')}` : 'solid'}`)
      .join(', ');
    this.chart.update('none');
    this.last = { samples: n, points: this.indices.length, ms: performance.now() - t0 };
    return this.last;
  }

  /** True when the limit line is above the drawn scale (the legend says so). */
  get limitOffScale(): boolean {
    return this.yMax !== undefined;
  }

  private sampleOf(item: TooltipItem<'line'>) {
    const id = (item.dataset as Series).id;
    if (id === 'forecast') return undefined;
    const i = this.indices[item.dataIndex];
    return i === undefined ? undefined : this.model.samples[i];
  }

  private tooltipTitle(items: TooltipItem<'line'>[]): string {
    const s = items.map((it) => this.sampleOf(it)).find((x) => x);
    if (!s) return '';
    const i = this.model.indexOf(s.source);
    return `#${i + 1} · ${s.label}`;
  }

  private tooltipLabel(item: TooltipItem<'line'>): string {
    const id = (item.dataset as Series).id;
    const y = item.parsed.y ?? 0;
    if (id === 'rss' || id === 'pss') return `${item.dataset.label}: ${formatBytes(y)}`;
    if (id.startsWith('kind:')) {
      const s = this.sampleOf(item);
      const k = s?.kinds[id.slice(5) as VmaKind];
      return `${item.dataset.label}: ${l10n.t('{0} VMAs', formatCount(y))}${k ? `, ${formatBytes(k.bytes)}` : ''}`;
    }
    return `${item.dataset.label}: ${formatCount(y)}`;
  }

  private tooltipFooter(items: TooltipItem<'line'>[]): string[] {
    const s = items.map((it) => this.sampleOf(it)).find((x) => x);
    if (!s) return [];
    const lines = [
      l10n.t('Total: {0} VMAs, {1} of max_map_count {2}', formatCount(s.vmaCount), formatPercent(s.vmaCount / s.maxMapCount), formatCount(s.maxMapCount)),
      l10n.t('Allocator: {0}; threads: {1}', s.allocator, s.threads),
    ];
    const errors = s.findings.filter((f) => f.severity === 'error').length;
    const warnings = s.findings.filter((f) => f.severity === 'warning').length;
    if (errors || warnings) lines.push(l10n.t('Findings: {0} error(s), {1} warning(s)', errors, warnings));
    lines.push(l10n.t('Click: open · Shift+click: compare'));
    return lines;
  }

  private drawMarkers(chart: Chart<'line', { x: number; y: number | null }[]>): void {
    if (!this.picked.length) return;
    const { ctx, chartArea } = chart;
    const x = chart.scales.x;
    ctx.save();
    ctx.strokeStyle = this.palette.selection;
    ctx.fillStyle = this.palette.selection;
    ctx.lineWidth = 1.5;
    ctx.font = `bold 11px ${Chart.defaults.font.family}`;
    ctx.textAlign = 'center';
    this.picked.forEach((i, k) => {
      if (i >= this.model.size) return;
      const px = x.getPixelForValue(this.model.x(i));
      if (px < chartArea.left - 1 || px > chartArea.right + 1) return;
      ctx.setLineDash(k === 0 ? [] : [4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top + 12);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.fillText(this.picked.length > 1 ? (k === 0 ? 'A' : 'B') : '▼', px, chartArea.top + 9);
    });
    ctx.restore();
  }

  /** Left/Right (Home/End) move over the samples, Enter opens, Space adds to the comparison. */
  private onKey(e: KeyboardEvent): void {
    const n = this.indices.length;
    if (!n) return;
    let c = this.cursor < 0 ? n - 1 : this.cursor;
    switch (e.key) {
      case 'ArrowLeft':
        c = Math.max(0, c - 1);
        break;
      case 'ArrowRight':
        c = Math.min(n - 1, c + 1);
        break;
      case 'Home':
        c = 0;
        break;
      case 'End':
        c = n - 1;
        break;
      case 'Enter':
      case ' ':
        if (this.cursor >= 0) this.callbacks.onPick(this.indices[this.cursor], e.key === ' ' || e.shiftKey);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    this.cursor = c;
    const els = this.chart.data.datasets
      .map((d, datasetIndex) => ({ datasetIndex, index: c, id: (d as Series).id }))
      .filter((d) => d.id.startsWith('kind:'))
      .map(({ datasetIndex, index }) => ({ datasetIndex, index }));
    const meta = this.chart.getDatasetMeta(0);
    const pt = meta.data[c];
    this.chart.tooltip?.setActiveElements(els, { x: pt?.x ?? 0, y: pt?.y ?? 0 });
    this.chart.setActiveElements(els);
    this.chart.update('none');
  }

  destroy(): void {
    this.chart.destroy();
  }
}
