import { toHex } from './addr';
import type { Dump } from './dump';
import { countsTowardLimit } from './kinds';
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

function same(a: Dump, i: number, b: Dump, j: number): boolean {
  return (
    a.endHi[i] === b.endHi[j] &&
    a.endLo[i] === b.endLo[j] &&
    a.perms[i] === b.perms[j] &&
    (a.name(i) ?? '') === (b.name(j) ?? '')
  );
}

interface Change {
  side: 0 | 1; // 0 removed (from A), 1 added (in B)
  i: number;
}

/**
 * What changed between two analysed dumps of one process: VMAs matched by identical range,
 * permissions and name, walked in address order (both dumps are kernel-sorted).
 */
export function diffDumps(a: Dump, b: Dump): DumpDiff {
  // Only the VMAs the kernel counts ([vsyscall] is not one), as in every other count.
  const counted = (d: Dump) => d.order().filter((i) => countsTowardLimit(d.kindOf(i)));
  const oa = counted(a);
  const ob = counted(b);
  const changes: Change[] = [];
  let unchanged = 0;
  let x = 0;
  let y = 0;
  while (x < oa.length || y < ob.length) {
    const i = oa[x];
    const j = ob[y];
    if (y >= ob.length) {
      changes.push({ side: 0, i });
      x++;
      continue;
    }
    if (x >= oa.length) {
      changes.push({ side: 1, i: j });
      y++;
      continue;
    }
    const cmp = a.startHi[i] - b.startHi[j] || a.startLo[i] - b.startLo[j];
    if (cmp === 0 && same(a, i, b, j)) {
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

  const kinds: Partial<Record<VmaKind, KindDelta>> = {};
  const tally = (d: Dump, side: 'A' | 'B', order: Uint32Array) => {
    for (const i of order) {
      const k = d.kindOf(i);
      const e = (kinds[k] ??= { countA: 0, countB: 0, bytesA: 0, bytesB: 0 });
      e[`count${side}`]++;
      e[`bytes${side}`] += d.size(i);
    }
  };
  tally(a, 'A', oa);
  tally(b, 'B', ob);

  const added = changes.filter((c) => c.side === 1);
  const removed = changes.filter((c) => c.side === 0);
  return {
    vmaCountA: oa.length,
    vmaCountB: ob.length,
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
  const sorted = [...changes].sort((p, q) => start(p) - start(q));
  const ranges: RangeGrowth[] = [];
  let group: Change[] = [];
  let groupEnd = -Infinity;
  const flush = () => {
    if (!group.length) return;
    let add = 0;
    let rem = 0;
    let bytes = 0;
    const kindCount = new Map<VmaKind, number>();
    let line = 0;
    for (const c of group) {
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
    const first = group[0];
    const last = group.reduce((m, c) => (end(c) > end(m) ? c : m), first);
    const fd = dumpOf(first);
    const ld = dumpOf(last);
    const kind =
      [...kindCount.entries()].sort((p, q) => q[1] - p[1])[0]?.[0] ?? fd.kindOf(first.i);
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
  for (const c of sorted) {
    if (group.length && start(c) - groupEnd > RANGE_GAP) flush();
    group.push(c);
    groupEnd = Math.max(groupEnd, end(c));
  }
  flush();
  ranges.sort((p, q) => q.vmaDelta - p.vmaDelta || q.byteDelta - p.byteDelta);
  return ranges.slice(0, 10);
}
