import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { KINDS } from '../../src/core/kinds';
import { parseDump } from '../../src/core/parse';
import { stripOf } from '../../src/timeline/strip';
import { densestAt, firstEndingAfter, layoutStrip } from '../../webview/stripLayout';
import { KiB, layout, MiB, type Region } from '../helpers/mapsText';

describe('fragmentation strip zoom', () => {
  it('the zoom buttons aim at the fragmented part, not at one big mapping in the middle', () => {
    // 2,000 small VMAs, then a 275 MiB mapping that fills the middle of the bar, then a few more.
    const regions: Region[] = [
      ...Array.from({ length: 2000 }, (_, k) => ({ size: 4 * KiB, perms: 'rw-p', gap: k ? 4 * KiB : 0 })),
      { gap: 4 * KiB, size: 275 * MiB, perms: 'rw-p' },
      ...Array.from({ length: 3 }, () => ({ gap: 1 * MiB, size: 8 * MiB, perms: 'rw-p' })),
    ];
    const dump = parseDump(layout(regions));
    const strip = stripOf(dump, '/d/x.maps', 'x', analyze(dump).addressBits);
    const L = layoutStrip(strip);
    const v = densestAt(strip, L, 0, L.total, 600, KINDS.length);
    const i = firstEndingAfter(L, v);
    assert.ok(i < 2000, `aimed at entry ${i}, the fragmented run is entries 0-1999`);
    assert.ok(Math.abs(v - L.total / 2) > L.total / 4, 'not the middle');
    // Nothing fragmented: the middle, as before.
    const plain = stripOf(parseDump(layout([{ size: 8 * MiB, perms: 'rw-p' }])), '/d/y.maps', 'y', 64);
    const P = layoutStrip(plain);
    assert.equal(densestAt(plain, P, 0, P.total, 600, KINDS.length), P.total / 2);
  });
});
