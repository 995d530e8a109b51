/**
 * The parser on the real pmap output of a live process (pmap -x, -X, -XX of `sleep`), against
 * its maps; the hand-made pmap lines are in test/unit/parse.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDump } from '../../src/core/parse';

describe('smaps, smaps_rollup and pmap', () => {
  it('parses the real pmap -x, -X and -XX of a process like its maps', () => {
    const child = spawn('sleep', ['30']);
    try {
      // Wait until sleep has exec'd, loaded libc and its locale files: the maps read the same twice.
      const mapsPath = `/proc/${child.pid}/maps`;
      const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      let last = '';
      for (let k = 0; k < 100; k++) {
        const now = readFileSync(mapsPath, 'utf8');
        if (now === last && /\/sleep\n/.test(now)) break;
        last = now;
        pause();
      }
      const maps = parseDump(readFileSync(mapsPath));
      for (const flag of ['-x', '-X', '-XX']) {
        const d = parseDump(execFileSync('pmap', [flag, String(child.pid)]));
        assert.equal(d.malformedCount, 0, `${flag}: ${JSON.stringify(d.malformed.slice(0, 2))}`);
        assert.equal(d.count, maps.count, flag);
        const starts = (x: typeof d) => Array.from({ length: x.count }, (_, i) => x.vma(i).startHex);
        assert.deepEqual(starts(d), starts(maps), `${flag}: same addresses, whatever the padding`);
      }
    } finally {
      child.kill();
    }
  });
});
