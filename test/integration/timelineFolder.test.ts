import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadFolder } from '../../src/timeline/folder';
import { nodeDumpFiles } from '../../src/node/dumpFiles';
import { captureSeries } from '../helpers/captureSeries';
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

const tmp = mkdtempSync(join(tmpdir(), 'vma-lens-watch-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('capture folder of a watch', () => {
  it('loads a folder of real dumps of a growing process as ordered samples, skipping what is not a dump', async () => {
    const dir = mkdtempSync(join(tmp, 'real-'));
    const p = startProcess({ program: 'fragmenter', args: ['--rate', '2000', '--target', '20000'] });
    try {
      await p.ready;
      await captureSeries(p.pid, dir, 6, 150);
    } finally {
      await p.stop();
    }
    writeFileSync(join(dir, 'notes.txt'), 'not a dump\n');
    const batches: number[] = [];
    const r = await loadFolder(nodeDumpFiles, dir, { onBatch: (s) => batches.push(s.length), batchMs: 0, concurrency: 2 });
    assert.equal(r.files, 7);
    assert.equal(r.samples.length, 6);
    assert.deepEqual(
      r.skipped.map((s) => s.file.split('/').pop()),
      ['notes.txt'],
    );
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      6,
      'every sample is handed over once',
    );
    assert.equal(r.processes.length, 1);
    const counts = r.samples.sort((a, b) => a.source.localeCompare(b.source)).map((s) => s.vmaCount);
    assert.ok(counts[5] > counts[0] + 200, `grows: ${counts.join(' ')}`);
    assert.ok(r.samples.every((s) => s.rss !== undefined && s.time !== undefined && s.maxMapCount > 0));
    assert.ok(readdirSync(dir).length === 7);
    // Reading can be cancelled.
    const ac = new AbortController();
    ac.abort();
    assert.equal((await loadFolder(nodeDumpFiles, dir, { signal: ac.signal })).cancelled, true);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'not a dump\n');
  });
});
