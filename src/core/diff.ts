import { subtract, toHex, toNumber } from './addr';
import type { Dump } from './dump';
import { KERNEL_BATCH } from './kernel';
import { countsTowardLimit, KINDS } from './kinds';
import type { VmaKind } from './types';

export interface KindDelta {
  countA: number;
  countB: number;
  bytesA: number;
  bytesB: number;
}

export interface RangeGrowth {
  startHex: string;
  endHex: string;
  /** VMAs added minus removed in this range. */
  vmaDelta: number;
  byteDelta: number;
  added: number;
  removed: number;
  /** The kind most of the added VMAs have. */
  kind: VmaKind;
  /** First line of the range in dump B (or A when nothing was added). */
  line: number;
}

/** A changed range that gained VMAs, or bytes at an equal count (the rest shrank). */
export function rangeGrew(r: RangeGrowth): boolean {
  return r.vmaDelta > 0 || (r.vmaDelta === 0 && r.byteDelta > 0);
}

export interface VmaRef {
  line: number;
  startHex: string;
  endHex: string;
  perms: string;
  kind: VmaKind;
  name: string;
}

export interface DumpDiff {
  vmaCountA: number;
  vmaCountB: number;
  added: number;
  removed: number;
  unchanged: number;
  kinds: Partial<Record<VmaKind, KindDelta>>;
  /** Address ranges that grew most, by VMA count then bytes. */
  topRanges: RangeGrowth[];
  /** The first added / removed VMAs, for display. */
  addedSample: VmaRef[];
  removedSample: VmaRef[];
}

const SAMPLE = 50;
/** Changed VMAs closer than this are reported as one range. */
const RANGE_GAP = 16 * 1048576;

function ref(d: Dump, i: number): VmaRef {
  return {
    line: d.line[i],
    startHex: toHex(d.startHi[i], d.startLo[i]),
    endHex: toHex(d.endHi[i], d.endLo[i]),
    perms: d.permsText(i),
    kind: d.kindOf(i),
    name: d.name(i) ?? '',
  };
}

/**
 * For each name of a, the id of the same name in b, so that names compare as numbers; -2 when b
 * has no VMA of that name (-1 is an unnamed VMA's id).
 */
function nameIdsIn(a: Dump, b: Dump): Int32Array {
  const ids = new Map(b.names.map((n, id) => [n, id]));
  return Int32Array.from(a.names, (n) => ids.get(n) ?? -2);
}

/**
 * VMAs and bytes per kind number, summed by the kernel in index order; `seen` gets the kind
 * numbers in the order their first VMAs come (the order in which the report lists kinds).
 */
function tallyKinds(d: Dump, seen: number[]): { count: Float64Array; bytes: Float64Array } {
  const k = d.kernel;
  // At least one call, even for no VMA: the first resets the totals.
  for (let at = 0; ;) {
    const to = Math.min(d.count, at + KERNEL_BATCH);
    k.x.kindTotals(at, to, d.count);
    if ((at = to) >= d.count) break;
  }
  const first = k.totalFirst.slice(0, KINDS.length);
  const present = KINDS.map((_, kind) => kind).filter((kind) => first[kind] < d.count);
  seen.push(...present.sort((p, q) => first[p] - first[q]));
  return { count: k.totalCount.slice(0, KINDS.length), bytes: k.totalBytes.slice(0, KINDS.length) };
}

/** By kind number: does a VMA of that kind count toward vm.max_map_count ([vsyscall] does not)? */
const COUNTED = Uint8Array.from(KINDS, (kind) => (countsTowardLimit(kind) ? 1 : 0));

/**
 * The VMAs only one dump has, in the order the walk finds them (ascending start): `side` 0 for
 * removed (an index into A), 1 for added (into B). Typed and grown by doubling: a diff of two
 * million VMAs makes no object per change.
 */
class Changes {
  n = 0;
  side = new Uint8Array(1024);
  index = new Uint32Array(1024);

  push(side: 0 | 1, i: number): void {
    if (this.n === this.side.length) {
      const side = new Uint8Array(this.n * 2);
      const index = new Uint32Array(this.n * 2);
      side.set(this.side);
      index.set(this.index);
      this.side = side;
      this.index = index;
    }
    this.side[this.n] = side;
    this.index[this.n++] = i;
  }

  /** Indices into A (side 0) or B (side 1) of the first `max` changes of that side. */
  first(side: 0 | 1, max: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.n && out.length < max; k++) if (this.side[k] === side) out.push(this.index[k]);
    return out;
  }

  count(side: 0 | 1): number {
    let c = 0;
    for (let k = 0; k < this.n; k++) if (this.side[k] === side) c++;
    return c;
  }
}

/** Name tables larger than this (a hostile dump of distinct names) leave the walk to JavaScript. */
const KERNEL_NAMES_MAX = 16384;

/**
 * walk() for two dumps in address order, in A's kernel (kernel.c's diffWalk): B's columns go a
 * chunk at a time into A's input buffer, which parsing no longer needs; A's are where they live.
 * False (nothing done) when a dump is out of address order or B has too many names.
 */
function kernelWalk(a: Dump, b: Dump, changes: Changes): number | false {
  if (!a.sorted || !b.sorted || b.names.length > KERNEL_NAMES_MAX) return false;
  const k = a.kernel;
  const buf = k.x.memory.buffer;
  // Table of B's name ids, then per VMA of a chunk: start and end halves, name id, changes
  // out (4 bytes each), permissions and kind (1 each).
  const tableAt = k.input.byteOffset;
  const bToA = new Int32Array(buf, tableAt, Math.max(1, b.names.length));
  const idsInA = new Map(a.names.map((name, id) => [name, id]));
  b.names.forEach((name, id) => (bToA[id] = idsInA.get(name) ?? -2));
  const chunkAt = tableAt + bToA.byteLength;
  const chunk = Math.floor((k.input.byteLength - bToA.byteLength) / (6 * 4 + 2)) & ~7;
  const col = <T>(type: new (b: ArrayBufferLike, at: number, n: number) => T, c: number, size: number) => new type(buf, chunkAt + c * chunk * 4, chunk * size);
  const sh = col(Uint32Array, 0, 1);
  const sl = col(Uint32Array, 1, 1);
  const eh = col(Uint32Array, 2, 1);
  const el = col(Uint32Array, 3, 1);
  const nm = col(Int32Array, 4, 1);
  const out = col(Uint32Array, 5, 1);
  const pm = new Uint8Array(buf, chunkAt + 6 * chunk * 4, chunk);
  const kd = new Uint8Array(buf, chunkAt + 6 * chunk * 4 + chunk, chunk);
  let counted = 0;
  COUNTED.forEach((c, kind) => (counted |= c << kind));
  const result = new Uint32Array(buf, k.x.diffResult(), 3);
  let unchanged = 0;
  let x = 0;
  let y = 0;
  while (x < a.count && y < b.count) {
    const nb = Math.min(chunk, b.count - y);
    sh.set(b.startHi.subarray(y, y + nb));
    sl.set(b.startLo.subarray(y, y + nb));
    eh.set(b.endHi.subarray(y, y + nb));
    el.set(b.endLo.subarray(y, y + nb));
    nm.set(b.nameId.subarray(y, y + nb));
    pm.set(b.perms.subarray(y, y + nb));
    kd.set(b.kind.subarray(y, y + nb));
    x = k.x.diffWalk(
      x,
      a.count,
      sh.byteOffset,
      sl.byteOffset,
      eh.byteOffset,
      el.byteOffset,
      pm.byteOffset,
      kd.byteOffset,
      nm.byteOffset,
      nb,
      tableAt,
      counted >>> 0,
      out.byteOffset,
      chunk,
    );
    unchanged += result[1];
    for (let w = 0; w < result[2]; w++) {
      const o = out[w];
      if (o & 0x80000000) changes.push(1, y + (o & 0x7fffffff));
      else changes.push(0, o);
    }
    y += result[0];
  }
  for (; x < a.count; x++) if (COUNTED[a.kind[x]]) changes.push(0, x);
  for (; y < b.count; y++) if (COUNTED[b.kind[y]]) changes.push(1, y);
  return unchanged;
}

/**
 * Both dumps in address order, side by side: pushes the VMAs only one has to changes, returns
 * how many both have (same range, permissions and name). Sorted dumps (as the kernel prints
 * them) are walked by index, without an order array; the columns are locals, for a tight loop.
 * Like a merge, it emits changes by ascending start (A's first on equal starts).
 */
function walk(a: Dump, b: Dump, changes: Changes): number {
  const oa = a.sorted ? undefined : a.order();
  const ob = b.sorted ? undefined : b.order();
  const na = a.count;
  const nb = b.count;
  const nameInB = nameIdsIn(a, b);
  const { startHi: aSH, startLo: aSL, endHi: aEH, endLo: aEL, perms: aP, nameId: aN } = a;
  const { startHi: bSH, startLo: bSL, endHi: bEH, endLo: bEL, perms: bP, nameId: bN } = b;
  const { kind: aK } = a;
  const { kind: bK } = b;
  let unchanged = 0;
  let x = 0;
  let y = 0;
  while (x < na && y < nb) {
    const i = oa ? oa[x] : x;
    const j = ob ? ob[y] : y;
    // Only the VMAs the kernel counts: [vsyscall] is in neither the changes nor the unchanged.
    if (!COUNTED[aK[i]]) {
      x++;
      continue;
    }
    if (!COUNTED[bK[j]]) {
      y++;
      continue;
    }
    const cmp = aSH[i] - bSH[j] || aSL[i] - bSL[j];
    // Unnamed on both sides, or the same name.
    const sameName = aN[i] < 0 ? bN[j] < 0 : nameInB[aN[i]] === bN[j];
    if (cmp === 0 && aEH[i] === bEH[j] && aEL[i] === bEL[j] && aP[i] === bP[j] && sameName) {
      unchanged++;
      x++;
      y++;
    } else if (cmp <= 0) {
      changes.push(0, i);
      x++;
    } else {
      changes.push(1, j);
      y++;
    }
  }
  for (; x < na; x++) {
    const i = oa ? oa[x] : x;
    if (COUNTED[aK[i]]) changes.push(0, i);
  }
  for (; y < nb; y++) {
    const j = ob ? ob[y] : y;
    if (COUNTED[bK[j]]) changes.push(1, j);
  }
  return unchanged;
}

/**
 * What changed between two analysed dumps of one process: VMAs matched by identical range,
 * permissions and name, walked in address order (both dumps are kernel-sorted).
 */
export function diffDumps(a: Dump, b: Dump): DumpDiff {
  const changes = new Changes();
  const inKernel = kernelWalk(a, b, changes);
  const unchanged = inKernel === false ? walk(a, b, changes) : inKernel;

  const seen: number[] = [];
  const { count: countA, bytes: bytesA } = tallyKinds(a, seen);
  const { count: countB, bytes: bytesB } = tallyKinds(b, seen);
  const kinds: Partial<Record<VmaKind, KindDelta>> = {};
  // Only the kinds the kernel counts ([vsyscall] is not a VMA of the process), as in every other count.
  for (const k of seen) if (COUNTED[k]) kinds[KINDS[k]] ??= { countA: countA[k], countB: countB[k], bytesA: bytesA[k], bytesB: bytesB[k] };
  const counted = (count: Float64Array) => count.reduce((n, c, k) => (COUNTED[k] ? n + c : n), 0);

  return {
    vmaCountA: counted(countA),
    vmaCountB: counted(countB),
    added: changes.count(1),
    removed: changes.count(0),
    unchanged,
    kinds,
    topRanges: growthRanges(a, b, changes),
    addedSample: changes.first(1, SAMPLE).map((i) => ref(b, i)),
    removedSample: changes.first(0, SAMPLE).map((i) => ref(a, i)),
  };
}

function growthRanges(a: Dump, b: Dump, changes: Changes): RangeGrowth[] {
  const { n, side, index } = changes;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const bytes = new Float64Array(n);
  let ascending = true;
  for (let k = 0; k < n; k++) {
    const d = side[k] ? b : a;
    const i = index[k];
    starts[k] = toNumber(d.startHi[i], d.startLo[i]);
    ends[k] = toNumber(d.endHi[i], d.endLo[i]);
    bytes[k] = subtract(d.startHi[i], d.startLo[i], d.endHi[i], d.endLo[i]);
    if (k && starts[k] < starts[k - 1]) ascending = false;
  }
  // The walk emits changes by ascending start, so this order is the identity; the stable sort
  // stays for safety's sake, should that ever not hold.
  const byStart = new Uint32Array(n);
  for (let k = 0; k < n; k++) byStart[k] = k;
  if (!ascending) byStart.sort((p, q) => starts[p] - starts[q] || p - q);
  const ranges: RangeGrowth[] = [];
  const kindCount = new Uint32Array(KINDS.length);
  const kindsSeen: number[] = [];
  const flush = (from: number, to: number) => {
    let add = 0;
    let rem = 0;
    let delta = 0;
    let line = 0;
    let last = byStart[from];
    for (let g = from; g < to; g++) {
      const k = byStart[g];
      if (ends[k] > ends[last]) last = k;
      if (side[k]) {
        const i = index[k];
        add++;
        delta += bytes[k];
        const kind = b.kind[i];
        if (kindCount[kind]++ === 0) kindsSeen.push(kind);
        line ||= b.line[i];
      } else {
        rem++;
        delta -= bytes[k];
      }
    }
    // The kind most added VMAs have (the first seen of equals), else the first change's.
    const first = byStart[from];
    const fd = side[first] ? b : a;
    const fi = index[first];
    let kind = kindsSeen.length ? kindsSeen[0] : fd.kind[fi];
    for (const k of kindsSeen) if (kindCount[k] > kindCount[kind]) kind = k;
    for (const k of kindsSeen) kindCount[k] = 0;
    kindsSeen.length = 0;
    const ld = side[last] ? b : a;
    const li = index[last];
    ranges.push({
      startHex: toHex(fd.startHi[fi], fd.startLo[fi]),
      endHex: toHex(ld.endHi[li], ld.endLo[li]),
      vmaDelta: add - rem,
      byteDelta: delta,
      added: add,
      removed: rem,
      kind: KINDS[kind],
      line: line || fd.line[fi],
    });
  };
  let from = 0;
  let groupEnd = -Infinity;
  for (let g = 0; g < n; g++) {
    const k = byStart[g];
    if (g > from && starts[k] - groupEnd > RANGE_GAP) {
      flush(from, g);
      from = g;
    }
    groupEnd = Math.max(groupEnd, ends[k]);
  }
  if (n > from) flush(from, n);
  ranges.sort((p, q) => q.vmaDelta - p.vmaDelta || q.byteDelta - p.byteDelta);
  return ranges.slice(0, 10);
}
