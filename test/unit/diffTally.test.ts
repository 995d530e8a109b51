/**
 * diff's typed-array tally and numeric name matching (src/core/diff.ts) against a plain
 * reference (string keys, one object per VMA): on two real maps of a live fragmenter taken as it
 * grows, and on the names a number could confuse (a named VMA against an unnamed one at the same
 * range, a name only one side has).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { diffDumps } from '../../src/core/diff';
import type { Dump } from '../../src/core/dump';
import { countsTowardLimit } from '../../src/core/kinds';
import { parseDump } from '../../src/core/parse';
import { withProcess } from '../helpers/realProcess';

function reference(a: Dump, b: Dump) {
  const key = (d: Dump, i: number) => `${d.vma(i).startHex}-${d.vma(i).endHex} ${d.permsText(i)} ${d.name(i) ?? ''}`;
  // Only the VMAs the kernel counts ([vsyscall] is not one), as in every count.
  const counts = (d: Dump, i: number) => countsTowardLimit(d.kindOf(i));
  const inA = new Set(Array.from({ length: a.count }, (_, i) => i).filter((i) => counts(a, i)).map((i) => key(a, i)));
  const inB = new Set(Array.from({ length: b.count }, (_, i) => i).filter((i) => counts(b, i)).map((i) => key(b, i)));
  const kinds: Record<string, { countA: number; countB: number; bytesA: number; bytesB: number }> = {};
  for (const [d, side] of [[a, 'A'], [b, 'B']] as const) {
    for (let i = 0; i < d.count; i++) {
      if (!counts(d, i)) continue;
      const e = (kinds[d.kindOf(i)] ??= { countA: 0, countB: 0, bytesA: 0, bytesB: 0 });
      e[`count${side}`]++;
      e[`bytes${side}`] += d.size(i);
    }
  }
  const counted = (d: Dump) => Array.from({ length: d.count }, (_, i) => d.kindOf(i)).filter(countsTowardLimit).length;
  return {
    added: [...inB].filter((k) => !inA.has(k)).length,
    removed: [...inA].filter((k) => !inB.has(k)).length,
    kinds,
    vmaCountA: counted(a),
    vmaCountB: counted(b),
  };
}

function check(textA: string, textB: string): void {
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
  assert.equal(got.vmaCountA, want.vmaCountA);
  assert.equal(got.vmaCountB, want.vmaCountB);
}

describe('diff tally', () => {
  it('agrees with the reference on two real maps of a fragmenter growing', async () => {
    await withProcess({ program: 'fragmenter', args: ['--target', '3000', '--rate', '4000'] }, async (p) => {
      await p.ready;
      const first = readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      await p.waitFor(/^RESULT/m, 20_000);
      const last = readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      assert.ok(last.split('\n').length - first.split('\n').length > 1000, 'the process grew between the two reads');
      check(first, last);
      check(last, first);
    });
  });

  it('tells a named VMA from an unnamed one at the same range, and a name only one side has, in any order', () => {
    const line = (name: string) => `7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ${name}\n`;
    const other = '7f0000002000-7f0000003000 r--p 00000000 08:01 12 /usr/lib/libz.so\n';
    for (const [x, y] of [
      ['', '[heap]'],
      ['[heap]', ''],
      ['/a', '/b'],
      ['/a', '/a'],
    ]) {
      check(line(x) + other, line(y) + other);
      // Out of address order (hand-made): walked through the sorted order.
      check(other + line(x), line(y) + other);
    }
  });
});
