import { toHex } from './addr';
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

interface Change {
  side: 0 | 1; // 0 removed (from A), 1 added (in B)
  i: number;
}

/**
 * Both dumps in address order, side by side: pushes the VMAs only one has to changes, returns
 * how many both have (same range, permissions and name). Sorted dumps (as the kernel prints
 * them) are walked by index, without an order array; the columns are locals, for a tight loop.
 */
function walk(a: Dump, b: Dump, changes: Change[]): number {
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
      changes.push({ side: 0, i });
      x++;
    } else {
      changes.push({ side: 1, i: j });
      y++;
    }
  }
  for (; x < na; x++) {
    const i = oa ? oa[x] : x;
    if (COUNTED[aK[i]]) changes.push({ side: 0, i });
  }
  for (; y < nb; y++) {
    const j = ob ? ob[y] : y;
    if (COUNTED[bK[j]]) changes.push({ side: 1, i: j });
  }
  return unchanged;
}

/**
 * What changed between two analysed dumps of one process: VMAs matched by identical range,
 * permissions and name, walked in address order (both dumps are kernel-sorted).
 */
export function diffDumps(a: Dump, b: Dump): DumpDiff {
  const changes: Change[] = [];
  const unchanged = walk(a, b, changes);

  const seen: number[] = [];
  const { count: countA, bytes: bytesA } = tallyKinds(a, seen);
  const { count: countB, bytes: bytesB } = tallyKinds(b, seen);
  const kinds: Partial<Record<VmaKind, KindDelta>> = {};
  // Only the kinds the kernel counts ([vsyscall] is not a VMA of the process), as in every other count.
  for (const k of seen) if (COUNTED[k]) kinds[KINDS[k]] ??= { countA: countA[k], countB: countB[k], bytesA: bytesA[k], bytesB: bytesB[k] };
  const counted = (count: Float64Array) => count.reduce((n, c, k) => (COUNTED[k] ? n + c : n), 0);

  const added = changes.filter((c) => c.side === 1);
  const removed = changes.filter((c) => c.side === 0);
  return {
    vmaCountA: counted(countA),
    vmaCountB: counted(countB),
    added: added.length,
    removed: removed.length,
    unchanged,
    kinds,
    topRanges: growthRanges(a, b, changes),
    addedSample: added.slice(0, SAMPLE).map((c) => ref(b, c.i)),
    removedSample: removed.slice(0, SAMPLE).map((c) => ref(a, c.i)),
  };
}

function growthRanges(a: Dump, b: Dump, changes: Change[]): RangeGrowth[] {
  const dumpOf = (c: Change) => (c.side ? b : a);
  const start = (c: Change) => dumpOf(c).start(c.i);
  const end = (c: Change) => dumpOf(c).end(c.i);
  // Sorted by start through a typed index (stable, as the comparator sort was), each start and
  // end read once: this runs once per diff, cold, and calls are what cold code pays for.
  const starts = Float64Array.from(changes, start);
  const ends = Float64Array.from(changes, end);
  const byStart = Uint32Array.from(changes.keys()).sort((p, q) => starts[p] - starts[q] || p - q);
  const ranges: RangeGrowth[] = [];
  let group: number[] = [];
  let groupEnd = -Infinity;
  const flush = () => {
    if (!group.length) return;
    let add = 0;
    let rem = 0;
    let bytes = 0;
    const kindCount = new Map<VmaKind, number>();
    let line = 0;
    for (const k of group) {
      const c = changes[k];
      const d = dumpOf(c);
      if (c.side) {
        add++;
        bytes += d.size(c.i);
        kindCount.set(d.kindOf(c.i), (kindCount.get(d.kindOf(c.i)) ?? 0) + 1);
        line ||= d.line[c.i];
      } else {
        rem++;
        bytes -= d.size(c.i);
      }
    }
    const first = changes[group[0]];
    const last = changes[group.reduce((m, k) => (ends[k] > ends[m] ? k : m), group[0])];
    const fd = dumpOf(first);
    const ld = dumpOf(last);
    const kind = [...kindCount.entries()].sort((p, q) => q[1] - p[1])[0]?.[0] ?? fd.kindOf(first.i);
    ranges.push({
      startHex: toHex(fd.startHi[first.i], fd.startLo[first.i]),
      endHex: toHex(ld.endHi[last.i], ld.endLo[last.i]),
      vmaDelta: add - rem,
      byteDelta: bytes,
      added: add,
      removed: rem,
      kind,
      line: line || fd.line[first.i],
    });
    group = [];
  };
  for (const k of byStart) {
    if (group.length && starts[k] - groupEnd > RANGE_GAP) flush();
    group.push(k);
    groupEnd = Math.max(groupEnd, ends[k]);
  }
  flush();
  ranges.sort((p, q) => q.vmaDelta - p.vmaDelta || q.byteDelta - p.byteDelta);
  return ranges.slice(0, 10);
}
