/**
 * The timeline message's samples as columns (core/sampleColumns): every sample of the repository's
 * real dumps comes back from the columns exactly as it went in, absent fields stay absent, and
 * columns that do not hold together are refused before the webview's model reads them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { parseDump } from '../../src/core/parse';
import { columnsProblem, fromColumns, toColumns, type SampleColumns } from '../../src/core/sampleColumns';
import { sampleOf, type TimelineSample } from '../../src/core/timeline';
import { processIdentity } from '../../src/core/identity';
import { TimelineModel } from '../../webview/model';

const dir = path.join(__dirname, '..', '..', 'samples');

function realSamples(): TimelineSample[] {
  const out: TimelineSample[] = [];
  let k = 0;
  for (const f of fs.readdirSync(dir).filter((n) => /\.(maps|smaps|pmap)$/.test(n))) {
    const file = path.join(dir, f);
    const dump = parseDump(fs.readFileSync(file, 'utf8'));
    out.push(sampleOf(file, analyze(dump), { mtime: fs.statSync(file).mtimeMs, ...(k++ % 2 ? { process: processIdentity(dump) } : {}) }));
  }
  return out;
}

describe('timeline samples as columns', () => {
  it('gives back every real sample unchanged, in order, with absent fields absent', () => {
    const samples = realSamples();
    assert.ok(samples.length >= 6, `${samples.length} sample dumps`);
    assert.ok(
      samples.some((s) => s.findings.length > 0),
      'some samples have findings',
    );
    // One without optional fields at all, and one with a kind of count 0.
    const bare: TimelineSample = {
      source: 'b',
      label: 'b',
      vmaCount: 0,
      maxMapCount: 65530,
      kinds: { anon: { count: 0, bytes: 0 } },
      allocator: '',
      threads: 0,
      findings: [],
      malformed: 2,
    };
    const all = [...samples, bare];
    const back = fromColumns(toColumns(all));
    assert.deepStrictEqual(back, all);
    assert.ok(!('time' in back[back.length - 1]) && !('process' in back[back.length - 1]), 'absent fields are not set to undefined');
    assert.deepStrictEqual(fromColumns(toColumns([])), []);
  });

  it('is a much smaller message than the objects were (10,000 samples)', (t) => {
    const base = realSamples();
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      ...base[i % base.length],
      source: `/dumps/sample-${i}.maps`,
      label: `sample-${i}`,
      time: 1e12 + i * 10_000,
    }));
    const c = toColumns(many);
    // What VS Code stringifies: everything but the typed arrays (sent as binary).
    const json = JSON.stringify(c, (_k, v: unknown) => (ArrayBuffer.isView(v) ? 0 : v)).length;
    const binary = Object.values(c).reduce((a: number, v: unknown) => a + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0);
    const objects = JSON.stringify(many).length;
    t.diagnostic(`10,000 samples: objects ${objects} B of JSON; columns ${json} B of JSON + ${binary} B binary`);
    assert.ok(json < objects / 4, `columns' JSON ${json} B vs objects' ${objects} B`);
    assert.deepStrictEqual(fromColumns(c), many);
  });

  it('refuses columns that do not hold together, and the model adds nothing from them', () => {
    const good = toColumns(realSamples());
    assert.equal(columnsProblem(good), undefined);
    const bad: [string, Partial<Record<keyof SampleColumns, unknown>>][] = [
      ['count', { count: -1 }],
      ['count too big', { count: good.count + 1 }],
      ['plain array', { vmaCount: Array.from(good.vmaCount) }],
      ['short column', { time: good.time.subarray(1) }],
      ['string index out of range', { allocator: new Uint32Array(good.count).fill(good.strings.length) }],
      ['finding ranges going backwards', { findingStart: new Uint32Array(good.count + 1).fill(1) }],
      ['kinds not strings', { kinds: [1] }],
    ];
    for (const [what, patch] of bad) assert.ok(columnsProblem({ ...good, ...patch }), what);
    assert.ok(columnsProblem(null) && columnsProblem('x') && columnsProblem([]));
    const m = new TimelineModel();
    assert.throws(() => m.addColumns({ ...good, count: good.count + 1 }), /unreadable samples/);
    assert.equal(m.size, 0);
    m.addColumns(good);
    assert.equal(m.size, good.count);
  });
});
