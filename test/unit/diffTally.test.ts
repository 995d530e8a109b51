/**
 * diff's typed-array tally and numeric name matching (src/core/diff.ts) against a plain
 * reference (test/helpers/diffReference.ts) on the names a number could confuse (a named VMA
 * against an unnamed one at the same range, a name only one side has). The same check on two real
 * maps of a growing fragmenter is in test/integration/diffTally.test.ts.
 */
import { describe, it } from 'node:test';
import { checkDiffTally } from '../helpers/diffReference';

describe('diff tally', () => {
  it('tells a named VMA from an unnamed one at the same range, and a name only one side has, in any order', () => {
    const line = (name: string) => `7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ${name}\n`;
    const other = '7f0000002000-7f0000003000 r--p 00000000 08:01 12 /usr/lib/libz.so\n';
    for (const [x, y] of [
      ['', '[heap]'],
      ['[heap]', ''],
      ['/a', '/b'],
      ['/a', '/a'],
    ]) {
      checkDiffTally(line(x) + other, line(y) + other);
      // Out of address order (hand-made): walked through the sorted order.
      checkDiffTally(other + line(x), line(y) + other);
    }
  });
});
