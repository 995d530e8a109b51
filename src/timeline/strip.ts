import type { Dump } from '../core/dump';
import { KIND_INDEX } from '../core/kinds';
import { STRIP_BINS, STRIP_MAX_VMAS, type StripData } from '../protocol';

/**
 * The fragmentation strip's data for one analysed dump: a compact array per column, never the
 * dump. Above `maxVmas` VMAs, neighbours are merged into at most about `bins` runs (a run never
 * spans a hole bigger than the holes between its VMAs would be at that scale: it stops at any
 * hole larger than one bin's share of the mapped bytes), and `count` says how many VMAs each holds.
 */
export function stripOf(dump: Dump, source: string, label: string, addressBits: 32 | 64, maxVmas = STRIP_MAX_VMAS, bins = STRIP_BINS): StripData {
  // [vsyscall] is not a VMA of the process (and sits at the very top of a 64-bit address space).
  const all = dump.order();
  const skip = (i: number) => dump.kind[i] === KIND_INDEX.vsyscall || dump.kind[i] === KIND_INDEX.rollup;
  const order = all.filter((i) => !skip(i));
  const n = order.length;
  const start: number[] = [];
  const size: number[] = [];
  const kind: number[] = [];
  const line: number[] = [];
  if (n <= maxVmas) {
    for (let k = 0; k < n; k++) {
      const i = order[k];
      start.push(dump.start(i));
      size.push(dump.size(i));
      kind.push(dump.kind[i]);
      line.push(dump.line[i]);
    }
    return { source, label, addressBits, vmaCount: n, start, size, kind, line, binned: false };
  }
  const perBin = Math.ceil(n / bins);
  let mapped = 0;
  for (let k = 0; k < n; k++) mapped += dump.size(order[k]);
  const maxInnerHole = mapped / bins;
  const count: number[] = [];
  const kindTally = new Float64Array(KIND_INDEX.rollup + 1);
  let runStart = 0;
  const flush = (from: number, to: number) => {
    // VMAs order[from..to] become one entry.
    kindTally.fill(0);
    for (let k = from; k <= to; k++) kindTally[dump.kind[order[k]]] += dump.size(order[k]);
    let best = 0;
    for (let c = 1; c < kindTally.length; c++) if (kindTally[c] > kindTally[best]) best = c;
    const first = order[from];
    const last = order[to];
    start.push(dump.start(first));
    size.push(dump.end(last) - dump.start(first));
    kind.push(best);
    line.push(dump.line[first]);
    count.push(to - from + 1);
  };
  for (let k = 1; k <= n; k++) {
    const endRun = k === n || k - runStart >= perBin || dump.gap(order[k - 1], order[k]) > maxInnerHole;
    if (endRun) {
      flush(runStart, k - 1);
      runStart = k;
    }
  }
  return { source, label, addressBits, vmaCount: n, start, size, kind, line, count, binned: true };
}
