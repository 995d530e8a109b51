/**
 * diff's typed-array tally and numeric name matching (src/core/diff.ts) against a plain
 * reference (test/helpers/diffReference.ts) on the names a number could confuse (a named VMA
 * against an unnamed one at the same range, a name only one side has). The same check on two real
 * maps of a growing fragmenter is in test/integration/diffTally.test.ts. Sorted dumps are walked in
 * the kernel, B's columns a chunk (about 42,000 VMAs) at a time: the large cases cross chunks and
 * fill the kernel's list of changes; dumps out of order, and a B of many names, take the
 * JavaScript walk.
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

  it('agrees across the kernel walk’s chunks, with runs of changes longer than a chunk, and on the JavaScript walk', () => {
    const hex = (n: number) => n.toString(16).padStart(12, '0');
    // 150,000 4 KiB VMAs with 4 KiB holes; each side drops, re-protects and renames its own.
    const maps = (n: number, edit: (i: number) => string | undefined) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const start = 0x600000000000 + i * 8192;
        const rest = edit(i);
        if (rest !== undefined) out.push(`${hex(start)}-${hex(start + 4096)} ${rest}`);
      }
      return out.join('\n') + '\n';
    };
    const anon = 'rw-p 00000000 00:00 0 ';
    const a = maps(150_000, (i) => (i % 97 === 5 ? undefined : i % 89 === 3 ? 'r--p 00000000 00:00 0 ' : anon));
    const b = maps(150_000, (i) => (i % 101 === 7 ? undefined : i % 83 === 1 ? 'rw-p 00000000 00:00 0 [heap]' : anon));
    checkDiffTally(a, b);
    checkDiffTally(b, a);
    // Every VMA changed (more changes than a chunk holds), and B far shorter or far longer.
    const allReprotected = maps(120_000, () => 'r--p 00000000 00:00 0 ');
    const some = maps(120_000, (i) => (i < 100 ? anon : undefined));
    checkDiffTally(
      maps(120_000, () => anon),
      allReprotected,
    );
    checkDiffTally(some, allReprotected);
    checkDiffTally(allReprotected, some);
    // Changes only past the first chunks: the samples name VMAs of a later chunk.
    checkDiffTally(
      maps(150_000, () => anon),
      maps(150_000, (i) => (i > 100_000 && i % 7 === 0 ? 'rwxp 00000000 00:00 0 ' : anon)),
    );
    // Out of address order: the JavaScript walk.
    const reversed = b.trimEnd().split('\n').reverse().join('\n') + '\n';
    checkDiffTally(a, reversed);
    // B of more distinct names than the kernel walk takes: the JavaScript walk.
    checkDiffTally(
      a,
      maps(60_000, (i) => (i % 2 ? `rw-p 00000000 00:00 0 /tmp/f${i}` : anon)),
    );
  });
});
