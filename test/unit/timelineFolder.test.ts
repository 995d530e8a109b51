import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFolder } from '../../src/timeline/folder';
import { nodeDumpFiles } from '../../src/node/dumpFiles';
import { startProcess } from '../helpers/realProcess';

describe('folder timeline: which processes the dumps show', () => {
  it('plain maps without a header: one process twice is one; a second run of the program is another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-procs-'));
    const runs = [startProcess({ program: 'threads', args: ['1'] }), startProcess({ program: 'threads', args: ['1'] })];
    try {
      await Promise.all(runs.map((p) => p.ready));
      writeFileSync(join(dir, 'maps.1'), readFileSync(`/proc/${runs[0].pid}/maps`));
      writeFileSync(join(dir, 'maps.2'), readFileSync(`/proc/${runs[0].pid}/maps`));
      const one = await loadFolder(nodeDumpFiles, dir);
      assert.equal(one.processes.length, 1, one.processes.join('; '));
      writeFileSync(join(dir, 'maps.3'), readFileSync(`/proc/${runs[1].pid}/maps`));
      const two = await loadFolder(nodeDumpFiles, dir);
      assert.equal(two.processes.length, 2, 'the same program, mapped elsewhere: another run');
      assert.match(two.processes[0], /\/threads at [0-9a-f]+$/);
    } finally {
      await Promise.all(runs.map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
