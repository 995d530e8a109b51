/**
 * The fragmentation strip: one snapshot's address space as a bar of VMAs coloured by kind, with
 * holes left empty (collapsed ones hatched), a density row below (VMAs per pixel: where the
 * address space is chopped up), zoom (wheel, buttons, + / - keys) and pan (drag, arrow keys).
 */
import * as l10n from '@vscode/l10n';
import { formatBytes, formatCount } from '../src/core/format';
import { KINDS, KIND_INFO } from '../src/core/kinds';
import type { StripData } from '../src/protocol';
import { css, type Palette } from './colors';
import { addressAt, densestAt, hitTest, layoutStrip, rasterize, type StripLayout } from './stripLayout';

const BAR = 40;
const DENSITY = 10;
const GAP = 3;

const hex = (n: number) => '0x' + Math.round(n).toString(16).padStart(12, '0');

export class StripView {
  private data: StripData | undefined;
  private layout: StripLayout | undefined;
  /** Visible virtual range. */
  private from = 0;
  private to = 1;
  private drag: { x: number; from: number; to: number; moved: boolean } | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tip: HTMLElement,
    private readonly axis: HTMLElement,
    private palette: Palette,
    private readonly onOpenLine: (source: string, line: number) => void,
  ) {
    canvas.height = BAR + GAP + DENSITY;
    canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener('mousedown', (e) => {
      this.drag = { x: e.clientX, from: this.from, to: this.to, moved: false };
    });
    window.addEventListener('mousemove', (e) => this.onMove(e));
    window.addEventListener('mouseup', (e) => {
      const d = this.drag;
      this.drag = undefined;
      if (d && !d.moved && e.target === canvas) this.onClick(e);
    });
    canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => {
      this.tip.hidden = true;
      this.draw();
    }).observe(canvas);
  }

  get source(): string | undefined {
    return this.data?.source;
  }

  setPalette(p: Palette): void {
    this.palette = p;
    this.draw();
  }

  show(data: StripData): void {
    const same = this.data?.source === data.source;
    this.data = data;
    this.layout = layoutStrip(data);
    if (!same) this.reset();
    else this.draw();
  }

  reset(): void {
    this.from = 0;
    this.to = this.layout?.total || 1;
    this.draw();
  }

  /** Zooms by `factor` (< 1 zooms in) around the virtual position `at` (default: the middle). */
  zoom(factor: number, at = (this.from + this.to) / 2): void {
    if (!this.layout) return;
    const total = this.layout.total;
    const minSpan = Math.max(4096, total / 1e9);
    const span = Math.min(total, Math.max(minSpan, (this.to - this.from) * factor));
    const ratio = (at - this.from) / (this.to - this.from || 1);
    this.from = at - ratio * span;
    this.to = this.from + span;
    this.clamp();
    this.draw();
  }

  /** Zooms in ×2 toward the most fragmented part of the view (buttons and keys; the wheel aims at the pointer). */
  zoomIn(): void {
    if (!this.data || !this.layout) return;
    this.zoom(0.5, densestAt(this.data, this.layout, this.from, this.to, this.canvas.clientWidth || 800, KINDS.length));
  }

  pan(fraction: number): void {
    const span = this.to - this.from;
    this.from += span * fraction;
    this.to += span * fraction;
    this.clamp();
    this.draw();
  }

  private clamp(): void {
    const total = this.layout?.total ?? 1;
    const span = this.to - this.from;
    if (this.from < 0) {
      this.from = 0;
      this.to = span;
    }
    if (this.to > total) {
      this.to = total;
      this.from = Math.max(0, total - span);
    }
  }

  get zoomLevel(): number {
    return this.layout ? this.layout.total / (this.to - this.from) : 1;
  }

  draw(): void {
    const { canvas, palette: p } = this;
    const width = canvas.clientWidth;
    if (!width) return;
    const dpr = window.devicePixelRatio || 1;
    const h = BAR + GAP + DENSITY;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, h);
    const d = this.data;
    const L = this.layout;
    if (!d || !L || !d.start.length) {
      this.axis.textContent = '';
      return;
    }
    const r = rasterize(d, L, this.from, this.to, width, KINDS.length);
    // Holes: a faint track, so that the empty space reads as empty address space.
    ctx.fillStyle = p.hole;
    ctx.fillRect(0, 0, width, BAR);
    let maxV = 1;
    for (let c = 0; c < r.width; c++) maxV = Math.max(maxV, r.vmas[c]);
    for (let c = 0; c < r.width; c++) {
      if (r.kind[c] >= 0) {
        const rgb = p.kindRgb[KINDS[r.kind[c]]];
        // A column only partly mapped is drawn lighter: holes between tiny VMAs stay visible.
        ctx.fillStyle = css(rgb, 0.25 + 0.75 * r.fill[c]);
        ctx.fillRect(c, 0, 1, BAR);
      }
      if (r.collapsed[c] && r.kind[c] < 0) {
        // Collapsed hole: diagonal hatching.
        ctx.fillStyle = p.muted;
        for (let y = (c % 6) - 6; y < BAR; y += 6) ctx.fillRect(c, Math.max(0, y), 1, 1);
      }
      if (r.vmas[c]) {
        // Density row: log scale of VMAs per column.
        const t = Math.log1p(r.vmas[c]) / Math.log1p(maxV);
        ctx.fillStyle = css(p.foregroundRgb, 0.12 + 0.88 * t);
        ctx.fillRect(c, BAR + GAP, 1, DENSITY);
      }
    }
    ctx.fillStyle = p.background;
    for (const x of r.boundaries) ctx.fillRect(Math.round(x), 0, 1, BAR);
    const left = addressAt(d, L, this.from);
    const right = addressAt(d, L, this.to);
    this.axis.textContent = '';
    const a = document.createElement('span');
    a.textContent = hex(left);
    const zoom = document.createElement('span');
    zoom.textContent = this.zoomLevel > 1.001 ? l10n.t('zoom ×{0}', formatCount(Math.round(this.zoomLevel))) : '';
    const b = document.createElement('span');
    b.textContent = hex(right);
    this.axis.append(a, zoom, b);
    this.canvas.dataset.zoom = String(this.zoomLevel);
  }

  /** The sentence under the strip: what it shows, and that the scale is compressed when it is. */
  describe(): string {
    const d = this.data;
    const L = this.layout;
    if (!d || !L) return '';
    const parts = [
      l10n.t(
        '{0}: {1} VMAs mapping {2} across {3} of address space, with {4} holes (largest {5}).',
        d.label,
        formatCount(d.vmaCount),
        formatBytes(L.mapped),
        formatBytes(L.span),
        formatCount(L.holes),
        formatBytes(L.largestHole),
      ),
    ];
    if (L.compressed) {
      parts.push(
        l10n.t(
          'Compressed scale: the {0} holes larger than {1} are drawn {1} wide (hatched); everything else is to scale.',
          formatCount(L.collapsed.length),
          formatBytes(L.threshold),
        ),
      );
    } else {
      parts.push(l10n.t('Linear scale.'));
    }
    if (d.binned) parts.push(l10n.t('Over {0} runs of neighbouring VMAs (the dump is too large to send VMA by VMA).', formatCount(d.start.length)));
    parts.push(l10n.t('The lower row shows how many VMAs share each pixel. Scroll or use + and − to zoom, drag to pan, click a VMA to open it.'));
    return parts.join(' ');
  }

  private virtualAt(clientX: number): number {
    const rect = this.canvas.getBoundingClientRect();
    return this.from + ((clientX - rect.left) / rect.width) * (this.to - this.from);
  }

  private onWheel(e: WheelEvent): void {
    if (!this.layout) return;
    e.preventDefault();
    this.zoom(e.deltaY < 0 ? 0.8 : 1.25, this.virtualAt(e.clientX));
  }

  private onMove(e: MouseEvent): void {
    if (this.drag) {
      const rect = this.canvas.getBoundingClientRect();
      const dx = e.clientX - this.drag.x;
      if (Math.abs(dx) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        const span = this.drag.to - this.drag.from;
        this.from = this.drag.from - (dx / rect.width) * span;
        this.to = this.from + span;
        this.clamp();
        this.draw();
      }
      return;
    }
    if (e.target !== this.canvas) return;
    this.showTip(e);
  }

  private showTip(e: MouseEvent): void {
    const d = this.data;
    const L = this.layout;
    if (!d || !L) return;
    const hit = hitTest(d, L, this.virtualAt(e.clientX));
    if (!hit) {
      this.tip.hidden = true;
      return;
    }
    if (hit.type === 'vma') {
      const i = hit.index;
      const kind = KINDS[d.kind[i]];
      const n = d.count?.[i] ?? 1;
      this.tip.textContent =
        `${hex(d.start[i])}–${hex(d.start[i] + d.size[i])} · ${KIND_INFO[kind].label} · ${formatBytes(d.size[i])}` +
        (n > 1 ? ` · ${l10n.t('{0} VMAs', formatCount(n))}` : ` · ${l10n.t('line {0}', d.line[i])}`);
    } else {
      this.tip.textContent = hit.collapsed
        ? l10n.t('hole of {0} (collapsed on this scale)', formatBytes(hit.bytes))
        : l10n.t('hole of {0}', formatBytes(hit.bytes));
    }
    const rect = this.canvas.getBoundingClientRect();
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(e.clientX - rect.left, rect.width - 260)}px`;
  }

  private onClick(e: MouseEvent): void {
    const d = this.data;
    const L = this.layout;
    if (!d || !L) return;
    const hit = hitTest(d, L, this.virtualAt(e.clientX));
    if (hit?.type === 'vma') this.onOpenLine(d.source, d.line[hit.index]);
  }

  private onKey(e: KeyboardEvent): void {
    switch (e.key) {
      case '+':
      case '=':
        this.zoomIn();
        break;
      case '-':
        this.zoom(2);
        break;
      case 'ArrowLeft':
        this.pan(-0.2);
        break;
      case 'ArrowRight':
        this.pan(0.2);
        break;
      case '0':
      case 'Home':
        this.reset();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  clear(): void {
    this.data = undefined;
    this.layout = undefined;
    this.draw();
  }
}
