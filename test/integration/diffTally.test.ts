/**
 * diff's typed-array tally against the plain reference (test/helpers/diffReference.ts) on two
 * real maps of a live fragmenter taken as it grows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkDiffTally } from '../helpers/diffReference';
import { withProcess } from '../helpers/realProcess';

describe('diff tally', () => {
  it('agrees with the reference on two real maps of a fragmenter growing', async () => {
    await withProcess({ program: 'fragmenter', args: ['--target', '3000', '--rate', '4000'] }, async (p) => {
      await p.ready;
      const first = readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      await p.waitFor(/^RESULT/m, 20_000);
      const last = readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      assert.ok(last.split('\n').length - first.split('\n').length > 1000, 'the process grew between the two reads');
      checkDiffTally(first, last);
      checkDiffTally(last, first);
    });
  });
});
