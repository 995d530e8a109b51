/**
 * Mutations of real dumps (truncation, junk bytes, CRLF, reordered fields, duplicated and cut
 * lines) through the parser and the analysis: nothing throws, and every line of a maps dump is
 * either a VMA, a header/blank line, or reported as malformed with its own line number.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { DumpParser, parseDump } from '../../src/core/parse';

/** xorshift32: the same mutations on every run, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const maps = fs.readFileSync('/proc/self/maps', 'latin1').split('\n').filter(Boolean);
const smaps = fs.readFileSync('/proc/self/smaps', 'latin1');
const pmap = execFileSync('pmap', ['-X', String(process.pid)], { encoding: 'latin1' });

type Mutator = (lines: string[], r: (n: number) => number) => string[];
const mutators: Record<string, Mutator> = {
  truncateLine: (l, r) => {
    const i = r(l.length);
    l[i] = l[i].slice(0, r(l[i].length));
    return l;
  },
  junkBytes: (l, r) => {
    const i = r(l.length);
    const at = r(l[i].length + 1);
    const junk = Array.from({ length: 1 + r(6) }, () => String.fromCharCode(r(256))).join('').replace(/\n/g, '');
    l[i] = l[i].slice(0, at) + junk + l[i].slice(at);
    return l;
  },
  crlf: (l) => l.map((x) => x + '\r'),
  swapFields: (l, r) => {
    const i = r(l.length);
    const f = l[i].split(' ');
    const a = r(f.length);
    const b = r(f.length);
    [f[a], f[b]] = [f[b], f[a]];
    l[i] = f.join(' ');
    return l;
  },
  duplicate: (l, r) => {
    const i = r(l.length);
    l.splice(i, 0, l[i]);
    return l;
  },
  dropChar: (l, r) => {
    const i = r(l.length);
    const at = r(l[i].length);
    l[i] = l[i].slice(0, at) + l[i].slice(at + 1);
    return l;
  },
  binaryLine: (l, r) => {
    l.splice(r(l.length), 0, '\x00\x7fELF\x02\x01\x01' + String.fromCharCode(r(32)));
    return l;
  },
};

describe('fuzz', () => {
  it('mutated maps: no throw; each line is a VMA, a header or blank, or malformed with its number', () => {
    const r = rng(0xc0ffee);
    for (let round = 0; round < 400; round++) {
      let lines = [...maps];
      const names = Object.keys(mutators);
      const applied: string[] = [];
      for (let k = 0; k < 1 + r(4); k++) {
        const m = names[r(names.length)];
        applied.push(m);
        lines = mutators[m](lines, r);
      }
      const text = lines.join('\n') + (r(2) ? '\n' : '');
      const d = parseDump(Buffer.from(text, 'latin1'));
      assert.doesNotThrow(() => analyze(d), applied.join(','));
      const accounted = new Set<number>([...Array.from(d.line.subarray(0, d.count)), ...d.malformed.map((m) => m.line)]);
      text.split('\n').forEach((line, k) => {
        if (line.replace(/[\r \t]/g, '') === '' || line.trimStart().startsWith('#')) return;
        assert.ok(accounted.has(k + 1), `round ${round} (${applied}): line ${k + 1} ${JSON.stringify(line)} neither parsed nor reported`);
      });
      assert.equal(d.malformedCount, d.malformed.length);
      assert.ok(d.malformed.every((m) => m.reason.length > 0 && !/[\x00-\x1f]/.test(m.text)));
    }
  });

  it('mutated smaps and pmap -X: no throw, same result for any chunking', () => {
    const r = rng(42);
    for (const [source, base] of [['smaps', smaps], ['pmap', pmap]] as const) {
      for (let round = 0; round < 100; round++) {
        let lines = base.split('\n');
        const names = Object.keys(mutators);
        for (let k = 0; k < 1 + r(3); k++) lines = mutators[names[r(names.length)]](lines, r);
        const bytes = Buffer.from(lines.join('\n'), 'latin1');
        const whole = parseDump(bytes);
        assert.doesNotThrow(() => analyze(whole), `${source} round ${round}`);
        const p = new DumpParser();
        const step = 1 + r(97);
        for (let o = 0; o < bytes.length; o += step) p.push(bytes.subarray(o, o + step));
        const chunked = p.end();
        assert.equal(chunked.count, whole.count, `${source} round ${round}`);
        assert.deepEqual(chunked.malformed, whole.malformed, `${source} round ${round}`);
      }
    }
  });

  it('random bytes: no throw, no VMA invented from nothing', () => {
    const r = rng(7);
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from({ length: r(4000) }, () => r(256));
      const d = parseDump(bytes);
      assert.doesNotThrow(() => analyze(d));
      for (let i = 0; i < d.count; i++) assert.ok(d.size(i) >= 0);
    }
  });
});
