import type { Dump } from './dump';
import { KERNEL_BATCH } from './kernel';
import { Param, RUN_FIELDS } from './kernelContract';
import { ANON_KINDS, KIND_INDEX, KINDS } from './kinds';

/** Findings list at most this many lines; their lineCount has the total. */
export const MAX_FINDING_LINES = 200;

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

/** What the kernel's tally() reads besides what classify() does (classify.ts tallies with it). */
export function setTallyParams(dump: Dump): void {
  const k = dump.kernel;
  const p = k.params;
  let anonKinds = 0;
  for (const kind of ANON_KINDS) anonKinds |= 1 << KIND_INDEX[kind];
  p[Param.Count] = dump.count;
  p[Param.Order] = k.orderAt;
  p[Param.AnonKinds] = anonKinds;
  p[Param.Runs] = k.runsAt;
  p[Param.RunsMax] = k.runsMax;
}

/** The kernel's tally() over every VMA, as they are classified now. */
export function runTally(dump: Dump): void {
  const k = dump.kernel;
  setTallyParams(dump);
  // At least one call, even for no VMA: the first resets the tallies.
  for (let at = 0; ;) {
    const to = Math.min(dump.count, at + KERNEL_BATCH);
    k.x.tally(at, to);
    if ((at = to) >= dump.count) break;
  }
}

/**
 * One pass over the classified VMAs in address order (tally() in kernel.c): totals per kind, the
 * first lines of each, and the fragmented runs: anonymous private VMAs at most 1 MiB apart, 16
 * or more of them, at least half no bigger than 1 MiB. counted: classify() ran the pass already
 * and no kind has changed since.
 */
export function tally(dump: Dump, counted = false): Tally {
  const k = dump.kernel;
  if (!counted) runTally(dump);
  const nk = KINDS.length;
  const linesMax = k.x.linesMax();
  // Copied by index: Array.from walks a typed array through its iterator, and a timeline of
  // 10,000 small dumps spent more time there than in parsing them.
  const kindLines = KINDS.map((_, kd) => {
    const lines = new Array<number>(k.kindLineCount[kd]);
    for (let j = 0; j < lines.length; j++) lines[j] = k.kindLines[kd * linesMax + j];
    return lines;
  });
  // Listed in line order, as in a dump in address order.
  if (!dump.sorted) for (const lines of kindLines) lines.sort((a, b) => a - b);
  const r = k.u32(k.runsAt, k.x.runCount() * RUN_FIELDS);
  const runs: FragmentedRun[] = [];
  for (let at = 0; at < r.length; at += RUN_FIELDS) {
    runs.push({ first: r[at], last: r[at + 1], vmas: r[at + 2], holes: r[at + 3], splits: r[at + 4] });
  }
  const perKind = (col: Float64Array | undefined) => {
    if (!col) return undefined;
    const sum = new Float64Array(nk);
    for (let i = 0; i < dump.count; i++) if (col[i] === col[i]) sum[dump.kind[i]] += col[i] * 1024;
    return sum;
  };
  return {
    count: Float64Array.from(k.kindCount.subarray(0, nk)),
    bytes: Float64Array.from(k.kindBytes.subarray(0, nk)),
    rss: perKind(dump.fields.get('Rss')),
    pss: perKind(dump.fields.get('Pss')),
    swap: perKind(dump.fields.get('Swap')),
    kindLines,
    runs,
  };
}
