/**
 * Colours from the VS Code theme: the chart palette (`--vscode-charts-*`), the foreground and the
 * editor background, resolved to RGB through a probe element (canvas drawing needs real colours),
 * and one colour per VMA kind mixed from them. Re-read whenever the theme changes.
 */
import type { VmaKind } from '../src/core/types';

export interface Rgb {
  r: number;
  g: number;
  b: number;
  a: number;
}

export function parseColor(text: string): Rgb | undefined {
  const t = text.trim();
  let m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(t);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: +m[1], g: +m[2], b: +m[3], a };
  }
  m = /^#([0-9a-f]{3,8})$/i.exec(t);
  if (m) {
    let h = m[1];
    if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
    if (h.length !== 6 && h.length !== 8) return undefined;
    return {
      r: parseInt(h.slice(0, 2), 16),
      g: parseInt(h.slice(2, 4), 16),
      b: parseInt(h.slice(4, 6), 16),
      a: h.length === 8 ? parseInt(h.slice(6, 8), 16) / 255 : 1,
    };
  }
  return undefined;
}

/** `t` of `a` and `1 - t` of `b`. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const f = (x: number, y: number) => Math.round(x * t + y * (1 - t));
  return { r: f(a.r, b.r), g: f(a.g, b.g), b: f(a.b, b.b), a: 1 };
}

export function css(c: Rgb, alpha = c.a): string {
  return alpha >= 1 ? `rgb(${c.r}, ${c.g}, ${c.b})` : `rgba(${c.r}, ${c.g}, ${c.b}, ${+alpha.toFixed(3)})`;
}

type Base = 'blue' | 'purple' | 'red' | 'orange' | 'yellow' | 'green' | 'foreground';

/** Kind → base chart colour and how much of it (the rest is the editor background). */
const KIND_COLOUR: Record<VmaKind, [Base, number]> = {
  text: ['blue', 1],
  rodata: ['blue', 0.75],
  data: ['blue', 0.55],
  bss: ['blue', 0.4],
  'image-gap': ['blue', 0.25],
  file: ['purple', 0.9],
  shm: ['purple', 0.5],
  hugetlb: ['purple', 0.7],
  deleted: ['red', 0.5],
  heap: ['orange', 1],
  anon: ['orange', 0.55],
  stack: ['green', 1],
  'thread-stack': ['green', 0.7],
  guard: ['green', 0.38],
  arena: ['yellow', 1],
  'arena-reserve': ['yellow', 0.5],
  allocator: ['red', 1],
  reserved: ['foreground', 0.3],
  vdso: ['foreground', 0.6],
  vvar: ['foreground', 0.5],
  vsyscall: ['foreground', 0.45],
  rollup: ['foreground', 0.4],
};

const FALLBACK: Record<Base | 'background' | 'lines', string> = {
  blue: '#3794ff',
  purple: '#b180d7',
  red: '#f14c4c',
  orange: '#d18616',
  yellow: '#cca700',
  green: '#89d185',
  foreground: '#cccccc',
  background: '#1e1e1e',
  lines: 'rgba(128, 128, 128, 0.5)',
};

export interface Palette {
  kind: Record<VmaKind, string>;
  kindRgb: Record<VmaKind, Rgb>;
  foreground: string;
  foregroundRgb: Rgb;
  muted: string;
  background: string;
  backgroundRgb: Rgb;
  grid: string;
  limit: string;
  forecast: string;
  rss: string;
  pss: string;
  selection: string;
  hole: string;
  highContrast: boolean;
}

/** Builds the palette from resolved base colours (pure; see readPalette for the DOM part). */
export function buildPalette(base: Record<Base | 'background' | 'lines', Rgb>, highContrast: boolean): Palette {
  const kindRgb = {} as Record<VmaKind, Rgb>;
  const kind = {} as Record<VmaKind, string>;
  for (const [k, [b, t]] of Object.entries(KIND_COLOUR) as [VmaKind, [Base, number]][]) {
    // High contrast themes: keep the colours strong rather than blending them into the background.
    kindRgb[k] = mix(base[b], base.background, highContrast ? Math.max(t, 0.7) : t);
    kind[k] = css(kindRgb[k]);
  }
  return {
    kind,
    kindRgb,
    foreground: css(base.foreground),
    foregroundRgb: base.foreground,
    muted: css(mix(base.foreground, base.background, 0.6)),
    background: css(base.background),
    backgroundRgb: base.background,
    grid: css(base.lines),
    limit: css(base.red),
    forecast: css(base.foreground),
    rss: css(base.foreground),
    pss: css(mix(base.foreground, base.background, 0.55)),
    selection: css(base.foreground),
    hole: css(mix(base.foreground, base.background, 0.12)),
    highContrast,
  };
}

/** Reads the theme's colours from the CSS variables VS Code sets on the webview's root. */
export function readPalette(doc: Document = document): Palette {
  const probe = doc.createElement('span');
  probe.style.display = 'none';
  doc.body.appendChild(probe);
  const resolve = (cssVar: string, fallback: string): Rgb => {
    probe.style.color = fallback;
    probe.style.color = `var(${cssVar}, ${fallback})`;
    return parseColor(getComputedStyle(probe).color) ?? parseColor(fallback)!;
  };
  const base = {
    blue: resolve('--vscode-charts-blue', FALLBACK.blue),
    purple: resolve('--vscode-charts-purple', FALLBACK.purple),
    red: resolve('--vscode-charts-red', FALLBACK.red),
    orange: resolve('--vscode-charts-orange', FALLBACK.orange),
    yellow: resolve('--vscode-charts-yellow', FALLBACK.yellow),
    green: resolve('--vscode-charts-green', FALLBACK.green),
    foreground: resolve('--vscode-foreground', FALLBACK.foreground),
    background: resolve('--vscode-editor-background', FALLBACK.background),
    lines: resolve('--vscode-charts-lines', FALLBACK.lines),
  };
  probe.remove();
  const cls = doc.body.classList;
  return buildPalette(base, cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light'));
}
