import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { KIND_INDEX } from '../../src/core/kinds';
import { parseDump } from '../../src/core/parse';
import { stripOf } from '../../src/timeline/strip';
import { addressAt, hitTest, layoutStrip, rasterize } from '../../webview/stripLayout';
import { KiB, layout, library, MiB, type Region } from '../helpers/mapsText';

function stripFor(text: string, maxVmas?: number, bins?: number) {
  const dump = parseDump(text);
  const a = analyze(dump);
  return stripOf(dump, '/d/x.maps', 'x', a.addressBits, maxVmas, bins);
}

describe('fragmentation strip', () => {
  it('sends one entry per VMA in address order, with kind and line, never the dump', () => {
    const text = layout([...library('/usr/lib/libc.so.6'), { gap: 64 * KiB, size: 132 * KiB, perms: 'rw-p', name: '[heap]' }], 0x55550000);
    const s = stripFor(text);
    assert.equal(s.vmaCount, 6);
    assert.equal(s.start.length, 6);
    assert.equal(s.binned, false);
    assert.equal(s.start[0], 0x55550000);
    assert.equal(s.size[1], 64 * KiB);
    assert.equal(s.kind[1], KIND_INDEX.text);
    assert.equal(s.kind[5], KIND_INDEX.heap);
    assert.deepEqual(s.line, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Object.keys(s).sort(), ['addressBits', 'binned', 'kind', 'label', 'line', 'size', 'source', 'start', 'vmaCount']);
  });

  it('keeps a small address space linear, and collapses the huge holes of a 64-bit one (saying how many)', () => {
    const small = layoutStrip(
      stripFor(
        layout(
          [
            { size: 4 * KiB, perms: 'rw-p' },
            { gap: 8 * KiB, size: 4 * KiB, perms: 'rw-p' },
          ],
          0x10000,
        ),
      ),
    );
    assert.equal(small.compressed, false);
    assert.equal(small.total, 16 * KiB);
    assert.equal(small.holes, 1);

    // A real process: 64-bit, terabytes between the program, the libraries and the stack.
    const own = stripFor(readFileSync('/proc/self/maps', 'utf8'));
    const L = layoutStrip(own);
    assert.equal(own.addressBits, 64);
    assert.equal(L.compressed, true);
    assert.ok(L.collapsed.length >= 2, `${L.collapsed.length} collapsed holes`);
    assert.ok(L.span > 1e12, 'spans terabytes');
    assert.ok(L.total < L.mapped * 2, 'drawn length is mostly mapped memory');
    for (const h of L.collapsed) assert.ok(h.bytes > L.threshold && h.vEnd - h.vStart === L.threshold);
    // Positions still map back to real addresses, also across a collapsed hole.
    assert.equal(addressAt(own, L, L.vStart[3]), own.start[3]);
    const h = L.collapsed[0];
    const mid = addressAt(own, L, (h.vStart + h.vEnd) / 2);
    const holeStart = own.start[h.after] + own.size[h.after];
    assert.ok(mid > holeStart && mid < own.start[h.after + 1]);
  });

  it('rasterises holes as empty, tiny VMAs as partly filled columns, and counts VMAs per column', () => {
    // 1,000 pages alternating mapped / unmapped (the fragmenter's pattern), then one 4 MiB block.
    const regions: Region[] = [
      ...Array.from({ length: 1000 }, (_, k): Region => ({ ...(k ? { gap: 4 * KiB } : {}), size: 4 * KiB, perms: 'rw-p' })),
      { gap: 4 * KiB, size: 4 * MiB, perms: 'r-xp', name: '/usr/bin/x' },
    ];
    const d = stripFor(layout(regions, 0x7f0000000000));
    const L = layoutStrip(d);
    assert.equal(L.compressed, false);
    const r = rasterize(d, L, 0, L.total, 100, 32);
    // The fragmented part: ~8 MB of 12 MB → about two thirds of the columns, half filled, many VMAs each.
    const fragCols = Math.floor((8000 * KiB) / (L.total / 100));
    assert.ok(r.vmas[0] > 10, `${r.vmas[0]} VMAs in column 0`);
    assert.ok(Math.abs(r.fill[0] - 0.5) < 0.05, `fill ${r.fill[0]}`);
    assert.equal(r.kind[0], KIND_INDEX.anon);
    assert.equal(r.kind[99], KIND_INDEX.text);
    assert.equal(r.fill[99], 1);
    assert.equal(r.vmas[99], 1);
    assert.ok(r.vmas[fragCols + 5] <= 1);
    // Zoomed into the first 8 pages: holes are whole empty columns.
    const z = rasterize(d, L, 0, 8 * 4 * KiB, 8, 32);
    assert.deepEqual([...z.kind], [KIND_INDEX.anon, -1, KIND_INDEX.anon, -1, KIND_INDEX.anon, -1, KIND_INDEX.anon, -1]);
    assert.deepEqual(hitTest(d, L, 4 * KiB + 10), { type: 'hole', after: 0, bytes: 4 * KiB, collapsed: false });
    assert.deepEqual(hitTest(d, L, 10), { type: 'vma', index: 0 });
    assert.equal(hitTest(d, L, L.total + 1), undefined);
  });

  it('bins a huge dump into runs that never swallow a big hole', () => {
    const regions: Region[] = [
      ...Array.from({ length: 5000 }, (_, k): Region => ({ ...(k ? { gap: 4 * KiB } : {}), size: 4 * KiB, perms: 'rw-p' })),
      { gap: 1024 * MiB, size: 8 * MiB, perms: 'rw-p', name: '[stack]' },
    ];
    const d = stripFor(layout(regions), 1000, 100);
    assert.equal(d.binned, true);
    assert.equal(d.vmaCount, 5001);
    assert.ok(d.start.length <= 102, `${d.start.length} runs`);
    assert.equal(
      d.count!.reduce((a, b) => a + b, 0),
      5001,
      'every VMA is in one run',
    );
    // The stack after the 1 GiB hole is a run of its own.
    assert.equal(d.count![d.count!.length - 1], 1);
    assert.equal(d.kind[d.kind.length - 1], KIND_INDEX.stack);
  });
});
