/**
 * A plain reference for diff's typed-array tally (string keys, one object per VMA), shared by the
 * unit test on hand-made names and the integration test on a live fragmenter.
 */
import assert from 'node:assert/strict';
import { analyze } from '../../src/core/analyze';
import { diffDumps, type DumpDiff } from '../../src/core/diff';
import type { Dump } from '../../src/core/dump';
import { countsTowardLimit } from '../../src/core/kinds';
import { parseDump } from '../../src/core/parse';

function reference(a: Dump, b: Dump) {
  const key = (d: Dump, i: number) => `${d.vma(i).startHex}-${d.vma(i).endHex} ${d.permsText(i)} ${d.name(i) ?? ''}`;
  // Only the VMAs the kernel counts ([vsyscall] is not one), as in every count.
  const counts = (d: Dump, i: number) => countsTowardLimit(d.kindOf(i));
  const inA = new Set(
    Array.from({ length: a.count }, (_, i) => i)
      .filter((i) => counts(a, i))
      .map((i) => key(a, i)),
  );
  const inB = new Set(
    Array.from({ length: b.count }, (_, i) => i)
      .filter((i) => counts(b, i))
      .map((i) => key(b, i)),
  );
  const kinds: Record<string, { countA: number; countB: number; bytesA: number; bytesB: number }> = {};
  for (const [d, side] of [
    [a, 'A'],
    [b, 'B'],
  ] as const) {
    for (let i = 0; i < d.count; i++) {
      if (!counts(d, i)) continue;
      const e = (kinds[d.kindOf(i)] ??= { countA: 0, countB: 0, bytesA: 0, bytesB: 0 });
      e[`count${side}`]++;
      e[`bytes${side}`] += d.size(i);
    }
  }
  // The first 50 each side has alone, in address order (the report's samples).
  const firstAlone = (d: Dump, other: Set<string>) =>
    Array.from({ length: d.count }, (_, i) => i)
      .filter((i) => counts(d, i) && !other.has(key(d, i)))
      .sort((i, j) => d.startHi[i] - d.startHi[j] || d.startLo[i] - d.startLo[j] || i - j)
      .slice(0, 50)
      .map((i) => key(d, i));
  const counted = (d: Dump) => Array.from({ length: d.count }, (_, i) => d.kindOf(i)).filter(countsTowardLimit).length;
  return {
    added: [...inB].filter((k) => !inA.has(k)).length,
    removed: [...inA].filter((k) => !inB.has(k)).length,
    kinds,
    addedSample: firstAlone(b, inA),
    removedSample: firstAlone(a, inB),
    vmaCountA: counted(a),
    vmaCountB: counted(b),
  };
}

/** Asserts that diffDumps agrees with the plain reference on two maps texts. */
export function checkDiffTally(textA: string, textB: string): void {
  const a = parseDump(textA);
  const b = parseDump(textB);
  analyze(a);
  analyze(b);
  const got = diffDumps(a, b);
  const want = reference(a, b);
  assert.equal(got.added, want.added, 'added');
  assert.equal(got.removed, want.removed, 'removed');
  assert.equal(got.unchanged, want.vmaCountA - want.removed, 'unchanged');
  assert.deepEqual(got.kinds, want.kinds);
  // In the order the kinds first appear, A's then B's (the text report lists them so).
  assert.deepEqual(Object.keys(got.kinds), Object.keys(want.kinds));
  const keys = (refs: DumpDiff['addedSample']) => refs.map((r) => `${r.startHex}-${r.endHex} ${r.perms} ${r.name}`);
  assert.deepEqual(keys(got.addedSample), want.addedSample, 'the first VMAs added');
  assert.deepEqual(keys(got.removedSample), want.removedSample, 'the first VMAs removed');
  assert.equal(got.vmaCountA, want.vmaCountA);
  assert.equal(got.vmaCountB, want.vmaCountB);
}
