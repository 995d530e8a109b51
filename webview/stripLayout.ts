/**
 * Geometry of the fragmentation strip (pure: unit-tested in Node).
 *
 * The strip lays the VMAs of one snapshot side by side in address order. A 64-bit address space
 * is almost all hole (a few GiB mapped across 128 TiB), so when the holes dwarf what is mapped the
 * scale is compressed: every hole larger than a threshold is drawn as if it were that threshold
 * (and marked as collapsed), everything else keeps its true size. Coordinates on that scale are
 * "virtual bytes".
 */
import type { StripData } from '../src/protocol';
import { upperBound } from '../src/core/search';

export interface StripLayout {
  /** Virtual start and end of each entry. */
  vStart: Float64Array;
  vEnd: Float64Array;
  /** Virtual length of the whole strip. */
  total: number;
  /** Holes drawn shorter than they are: virtual extent and real size. */
  collapsed: { vStart: number; vEnd: number; bytes: number; after: number }[];
  /** Holes above this many bytes are collapsed to it (Infinity: linear scale). */
  threshold: number;
  compressed: boolean;
  mapped: number;
  /** Real bytes from the first VMA's start to the last one's end. */
  span: number;
  holes: number;
  largestHole: number;
}

/** Holes up to this share of the mapped bytes keep their size on a compressed scale. */
const HOLE_SHARE = 1 / 40;
/** The scale is compressed when the span is this many times what is mapped (or more). */
const COMPRESS_WHEN = 8;
/** All collapsed holes together are drawn at most this share of the mapped length. */
const COLLAPSED_SHARE = 1 / 4;
const MIN_THRESHOLD = 65536;

export function layoutStrip(d: StripData): StripLayout {
  const n = d.start.length;
  const vStart = new Float64Array(n);
  const vEnd = new Float64Array(n);
  let mapped = 0;
  for (let i = 0; i < n; i++) mapped += d.size[i];
  const span = n ? d.start[n - 1] + d.size[n - 1] - d.start[0] : 0;
  const compressed = n > 1 && span > COMPRESS_WHEN * mapped;
  let threshold = Infinity;
  if (compressed) {
    // Start at a small share of what is mapped; lower it until the collapsed holes together take
    // at most COLLAPSED_SHARE of it (a process with a hundred big holes must not be mostly hatching).
    const gaps: number[] = [];
    for (let i = 1; i < n; i++) gaps.push(d.start[i] - (d.start[i - 1] + d.size[i - 1]));
    threshold = Math.max(mapped * HOLE_SHARE, MIN_THRESHOLD);
    while (threshold > MIN_THRESHOLD && gaps.filter((g) => g > threshold).length * threshold > mapped * COLLAPSED_SHARE) {
      threshold = Math.max(MIN_THRESHOLD, threshold / 2);
    }
    // Whole pages, so that virtual positions stay exact integers.
    threshold = Math.max(MIN_THRESHOLD, Math.round(threshold / 4096) * 4096);
  }
  const collapsed: StripLayout['collapsed'] = [];
  let v = 0;
  let holes = 0;
  let largestHole = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const hole = d.start[i] - (d.start[i - 1] + d.size[i - 1]);
      if (hole > 0) {
        holes++;
        if (hole > largestHole) largestHole = hole;
        if (hole > threshold) {
          collapsed.push({ vStart: v, vEnd: v + threshold, bytes: hole, after: i - 1 });
          v += threshold;
        } else {
          v += hole;
        }
      }
    }
    vStart[i] = v;
    v += d.size[i];
    vEnd[i] = v;
  }
  return { vStart, vEnd, total: v, collapsed, threshold, compressed: collapsed.length > 0, mapped, span, holes, largestHole };
}

/** One pixel column's content, for drawing. */
export interface Raster {
  width: number;
  /** Dominant kind index per column, -1 for nothing mapped. */
  kind: Int16Array;
  /** Share of the column covered by VMAs, 0..1. */
  fill: Float32Array;
  /** VMAs that touch the column (fragmentation density). */
  vmas: Uint32Array;
  /** 1 where the column shows part of a collapsed hole. */
  collapsed: Uint8Array;
  /** VMA boundaries wider apart than a few pixels: draw separators there. */
  boundaries: number[];
}

/** First entry whose end is after `v` (binary search). */
export function firstEndingAfter(layout: StripLayout, v: number): number {
  return upperBound(layout.vEnd, v);
}

/**
 * Rasterises the virtual range [from, to) into `width` columns: per column, the kind covering the
 * most of it, how much of it is mapped, how many VMAs touch it, and whether it is a collapsed hole.
 */
export function rasterize(d: StripData, layout: StripLayout, from: number, to: number, width: number, kinds: number): Raster {
  const w = Math.max(1, Math.floor(width));
  const scale = (to - from) / w; // virtual bytes per column
  const cover = new Float32Array(w * kinds);
  const fill = new Float32Array(w);
  const vmas = new Uint32Array(w);
  const kind = new Int16Array(w).fill(-1);
  const collapsed = new Uint8Array(w);
  const boundaries: number[] = [];
  const n = layout.vStart.length;
  for (let i = firstEndingAfter(layout, from); i < n && layout.vStart[i] < to; i++) {
    const a = (Math.max(layout.vStart[i], from) - from) / scale;
    const b = (Math.min(layout.vEnd[i], to) - from) / scale;
    const c0 = Math.floor(a);
    const c1 = Math.min(w - 1, Math.ceil(b) - 1);
    const k = d.kind[i];
    const count = d.count?.[i] ?? 1;
    for (let c = c0; c <= c1; c++) {
      const part = Math.min(b, c + 1) - Math.max(a, c);
      if (part <= 0) continue;
      cover[c * kinds + k] += part;
      fill[c] += part;
      vmas[c] += count;
    }
    // Separator lines only when VMAs are wide enough for a line between them to mean something.
    if (b - a >= 4 && layout.vStart[i] >= from) boundaries.push(a);
  }
  for (let c = 0; c < w; c++) {
    let best = -1;
    let bestV = 0;
    for (let k = 0; k < kinds; k++) {
      const v = cover[c * kinds + k];
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    kind[c] = best;
    if (fill[c] > 1) fill[c] = 1;
  }
  for (const h of layout.collapsed) {
    if (h.vEnd <= from || h.vStart >= to) continue;
    const c0 = Math.max(0, Math.floor((h.vStart - from) / scale));
    const c1 = Math.min(w - 1, Math.ceil((h.vEnd - from) / scale) - 1);
    for (let c = c0; c <= c1; c++) collapsed[c] = 1;
  }
  return { width: w, kind, fill, vmas, collapsed, boundaries };
}

/**
 * Where zooming in should aim when no pointer says where: the middle of the column of [from, to)
 * with the most VMAs (the fragmented part, not one huge mapping in the middle); the middle of the
 * view when no column has more than one.
 */
export function densestAt(d: StripData, layout: StripLayout, from: number, to: number, width: number, kinds: number): number {
  const r = rasterize(d, layout, from, to, width, kinds);
  let best = -1;
  let most = 1;
  for (let c = 0; c < r.width; c++) {
    if (r.vmas[c] > most) {
      most = r.vmas[c];
      best = c;
    }
  }
  return best < 0 ? (from + to) / 2 : from + ((best + 0.5) * (to - from)) / r.width;
}

export type StripHit = { type: 'vma'; index: number } | { type: 'hole'; after: number; bytes: number; collapsed: boolean } | undefined;

/** What is at virtual position `v`: a VMA (entry index) or the hole after entry `after`. */
export function hitTest(d: StripData, layout: StripLayout, v: number): StripHit {
  const n = layout.vStart.length;
  if (n === 0 || v < 0 || v >= layout.total) return undefined;
  const i = firstEndingAfter(layout, v);
  if (i >= n) return undefined;
  if (layout.vStart[i] <= v) return { type: 'vma', index: i };
  const bytes = d.start[i] - (d.start[i - 1] + d.size[i - 1]);
  return { type: 'hole', after: i - 1, bytes, collapsed: bytes > layout.threshold };
}

/** The real address at virtual position `v` (inside a collapsed hole: proportionally). */
export function addressAt(d: StripData, layout: StripLayout, v: number): number {
  const n = layout.vStart.length;
  if (n === 0) return 0;
  const i = Math.min(firstEndingAfter(layout, v), n - 1);
  if (v >= layout.vStart[i]) return d.start[i] + (v - layout.vStart[i]);
  // In the hole before entry i.
  const holeStart = d.start[i - 1] + d.size[i - 1];
  const holeBytes = d.start[i] - holeStart;
  const vHole = layout.vStart[i] - layout.vEnd[i - 1];
  return holeStart + ((v - layout.vEnd[i - 1]) / vHole) * holeBytes;
}
