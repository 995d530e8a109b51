import { subtract } from './addr';
import { Dump, PERM_SHARED } from './dump';
import { ANON_KINDS, KIND_INDEX, KINDS } from './kinds';

/** Findings list at most this many lines; their lineCount has the total. */
export const MAX_FINDING_LINES = 200;

const MIB = 1048576;
/** A fragmented run: anonymous VMAs at most this far apart… */
const RUN_HOLE = MIB;
/** …at least this many of them, half or more no bigger than RUN_SMALL. */
const RUN_MIN_VMAS = 16;
const RUN_SMALL = MIB;

/** A run of small anonymous VMAs split by holes or permission changes (the munmap-splitting signature). */
export interface FragmentedRun {
  /** Indices of its first and last VMA. */
  first: number;
  last: number;
  vmas: number;
  holes: number;
  splits: number;
}

export interface Tally {
  /** Per kind index. */
  count: Float64Array;
  bytes: Float64Array;
  /** From smaps (or pmap -x) when the dump has the field. */
  rss?: Float64Array;
  pss?: Float64Array;
  swap?: Float64Array;
  /** Per kind index: the lines of its first MAX_FINDING_LINES VMAs (by address), in line order. */
  kindLines: number[][];
  runs: FragmentedRun[];
}

/**
 * One pass over the classified VMAs in address order: totals per kind and the fragmented runs.
 * A million-VMA dump is analysed cold, once, so every separate loop over it costs its own JIT
 * warm-up; this is the only one after classify().
 */
export function tally(dump: Dump): Tally {
  const { kind, perms, startHi, startLo, endHi, endLo, line } = dump;
  const order = dump.orderIfUnsorted();
  const nk = KINDS.length;
  const count = new Float64Array(nk);
  const bytes = new Float64Array(nk);
  const kindLines = KINDS.map((): number[] => []);
  const anon = new Uint8Array(nk);
  for (const k of ANON_KINDS) anon[KIND_INDEX[k]] = 1;
  const runs: FragmentedRun[] = [];
  // The current run: its first VMA and the previous one, its length, small VMAs, holes, splits.
  let first = -1;
  let prev = -1;
  let n = 0;
  let small = 0;
  let holes = 0;
  let splits = 0;
  for (let k = 0; k <= dump.count; k++) {
    const i = k === dump.count ? -1 : order === undefined ? k : order[k];
    let isAnon = false;
    let size = 0;
    if (i >= 0) {
      const kd = kind[i];
      size = subtract(startHi[i], startLo[i], endHi[i], endLo[i]);
      count[kd]++;
      bytes[kd] += size;
      const lines = kindLines[kd];
      if (lines.length < MAX_FINDING_LINES) lines.push(line[i]);
      isAnon = anon[kd] === 1 && (perms[i] & PERM_SHARED) === 0;
    }
    const gap = isAnon && first >= 0 ? subtract(endHi[prev], endLo[prev], startHi[i], startLo[i]) : -1;
    if (gap >= 0 && gap <= RUN_HOLE) {
      n++;
      if (gap > 0) holes++;
      else splits++;
    } else {
      if (first >= 0 && n >= RUN_MIN_VMAS && small * 2 >= n) runs.push({ first, last: prev, vmas: n, holes, splits });
      first = isAnon ? i : -1;
      n = 1;
      small = 0;
      holes = 0;
      splits = 0;
    }
    if (isAnon && size <= RUN_SMALL) small++;
    prev = i;
  }
  // Listed in line order, as in a dump in address order.
  if (order !== undefined) for (const lines of kindLines) lines.sort((a, b) => a - b);
  const perKind = (col: Float64Array | undefined) => {
    if (!col) return undefined;
    const sum = new Float64Array(nk);
    for (let i = 0; i < dump.count; i++) if (col[i] === col[i]) sum[kind[i]] += col[i] * 1024;
    return sum;
  };
  return {
    count,
    bytes,
    rss: perKind(dump.fields.get('Rss')),
    pss: perKind(dump.fields.get('Pss')),
    swap: perKind(dump.fields.get('Swap')),
    kindLines,
    runs,
  };
}
