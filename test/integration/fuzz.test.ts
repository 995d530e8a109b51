/**
 * Mutations of real dumps (truncation, junk bytes, CRLF, reordered fields, duplicated and cut
 * lines, hostile names) through the parser, the analysis and the CLI's report: nothing throws,
 * every line of a maps dump is either a VMA, a header/blank line, or reported as malformed with
 * its own line number, and no report carries a control character. Big inputs (10 MB lines,
 * distinct smaps field names) run through the built CLI under GNU time: peak memory stays
 * proportional to the input.
 *
 * `npm test` runs a bounded set (about 1,100 inputs); `npm run fuzz` the full one (VMA_LENS_FUZZ=full,
 * over 10,000). VMA_LENS_FUZZ_DISTINCT_FIELDS sets how many distinct smaps field names the
 * memory case has (default 10,000: the parser stores all but the first 64 names sparsely).
 * Run: npm run build && node --import tsx --test test/integration/fuzz.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { renderAnalysis, style } from '../../src/cli/report';
import { analyze } from '../../src/core/analyze';
import type { Dump } from '../../src/core/dump';
import { isOneLine } from '../../src/core/escape';
import { DumpParser, parseDump } from '../../src/core/parse';
import { rng } from '../helpers/rng';

const FULL = process.env.VMA_LENS_FUZZ === 'full';
/** Rounds: the bounded count in npm test, the full one in npm run fuzz. */
const rounds = (bounded: number, full: number) => (FULL ? full : bounded);
const DISTINCT_FIELDS = Number(process.env.VMA_LENS_FUZZ_DISTINCT_FIELDS ?? 10_000);
/** A single input taking longer than this counts as a hang (reported; the run goes on). */
const HANG_MS = 10_000;

const stats = { inputs: 0, crashes: 0, hangs: 0, cliRuns: 0, worstMbPerMb: 0 };
const CLI = path.resolve('dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-fuzz-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No control character but the line feed: what a terminal may safely be sent. */
const TERMINAL_SAFE = (s: string) => s.split('\n').every(isOneLine);

/** Analysis and text report of one input, counted; a throw is a crash (and fails the test). */
function exercise(d: Dump, what: string): void {
  stats.inputs++;
  const t0 = Date.now();
  try {
    const a = analyze(d);
    const text = renderAnalysis(a, 'fuzz', style(false), true);
    JSON.stringify(a);
    assert.ok(TERMINAL_SAFE(text), `${what}: the report has a control character`);
    for (const f of a.findings) for (const fix of f.fixes) assert.ok(fix.text.split('\n').every(isOneLine), `${what}: fix ${fix.id}`);
  } catch (err) {
    stats.crashes++;
    throw err;
  } finally {
    if (Date.now() - t0 > HANG_MS) stats.hangs++;
  }
}

/** The built CLI on a file: exit 0, 1 or 2, no stack trace, nothing a terminal would act on. */
function cliCheck(file: string, what: string): void {
  stats.cliRuns++;
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--fixes', file], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) stats.hangs++;
  assert.ok(r.status === 0 || r.status === 1 || r.status === 2, `${what}: exit ${r.status} ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, what);
  assert.ok(TERMINAL_SAFE(r.stdout + r.stderr), `${what}: control character in the CLI output`);
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
    const junk = Array.from({ length: 1 + r(6) }, () => String.fromCharCode(r(256)))
      .join('')
      .replace(/\n/g, '');
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
    for (let round = 0; round < rounds(400, 6000); round++) {
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
      exercise(d, `maps round ${round} (${applied})`);
      if (round % (FULL ? 100 : 40) === 0) {
        const file = path.join(tmp, 'maps-round.maps');
        fs.writeFileSync(file, text, 'latin1');
        cliCheck(file, `maps round ${round} (${applied})`);
      }
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
    for (const [source, base] of [
      ['smaps', smaps],
      ['pmap', pmap],
    ] as const) {
      for (let round = 0; round < rounds(100, 1500); round++) {
        let lines = base.split('\n');
        const names = Object.keys(mutators);
        for (let k = 0; k < 1 + r(3); k++) lines = mutators[names[r(names.length)]](lines, r);
        const bytes = Buffer.from(lines.join('\n'), 'latin1');
        const whole = parseDump(bytes);
        exercise(whole, `${source} round ${round}`);
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
    for (let round = 0; round < rounds(200, 1000); round++) {
      const bytes = Uint8Array.from({ length: r(4000) }, () => r(256));
      const d = parseDump(bytes);
      exercise(d, `random bytes round ${round}`);
      for (let i = 0; i < d.count; i++) assert.ok(d.size(i) >= 0);
    }
  });
  it('hostile names and headers: fix texts stay one line a line, reports carry no control character', () => {
    const r = rng(0xbad);
    const TOKENS = ['\\012', '\x1b]0;t\x07', '\x1b[2J', '\x9b', '$(touch PWNED)', '`id`', ';', ']', '[mysqld]', '=', '\r', '\u202e', "'", '"', ' ', '/'];
    const name = () => Array.from({ length: 1 + r(6) }, () => (r(2) ? TOKENS[r(TOKENS.length)] : String.fromCharCode(32 + r(200)))).join('');
    const HEADERS = ['host', 'command', 'time', 'kernel', 'arch', 'thp', 'pid', 'max_map_count'];
    for (let round = 0; round < rounds(200, 1000); round++) {
      const lines = [...maps];
      for (let k = 0; k < 1 + r(3); k++) lines.unshift(`# ${HEADERS[r(HEADERS.length)]}: ${name()}`);
      const i = r(lines.length);
      if (/^[0-9a-f]+-/.test(lines[i])) lines[i] = `${lines[i].split(' ').slice(0, 5).join(' ')} /${name()}/${name()}`;
      exercise(parseDump(lines.join('\n') + '\n'), `hostile round ${round}`);
    }
  });

  it('big inputs through the CLI: peak memory proportional to the input, no crash, no hang', (t) => {
    const files: Record<string, string | Buffer> = {};
    const r = rng(99);
    files['10 MB line (maps name)'] = `7f0000000000-7f0000001000 rw-p 00000000 00:00 0 /${'a'.repeat(10_000_000)}\n`;
    files['10 MB line without a newline'] = 'x'.repeat(10_000_000);
    files['10 MB of random bytes'] = Buffer.from(Uint8Array.from({ length: 10_000_000 }, () => r(256)));
    files['10 MB smaps, 1 MB lines'] = Array.from(
      { length: 10 },
      (_, k) =>
        `${(0x7f0000000000 + k * 8192).toString(16)}-${(0x7f0000001000 + k * 8192).toString(16)} rw-p 00000000 00:00 0 \nRss: ${'9'.repeat(1_000_000)} kB\n`,
    ).join('');
    const big: string[] = [];
    for (let k = 0, a = 0x7f0000000000; k < 200_000; k++, a += 8192)
      big.push(`${a.toString(16)}-${(a + 4096).toString(16)} ${k % 2 ? 'rw-p' : '---p'} 00000000 00:00 0 `);
    files['maps of 200,000 VMAs'] = big.join('\n') + '\n';
    files['smaps of 10 MB'] = smaps.repeat(Math.ceil(10_000_000 / smaps.length));
    const distinct: string[] = [];
    for (let k = 0; k < DISTINCT_FIELDS; k++) {
      const a = 0x7f0000000000 + k * 8192;
      distinct.push(`${a.toString(16)}-${(a + 4096).toString(16)} rw-p 00000000 00:00 0 `, 'Size:                  4 kB', `Field${k}x:              4 kB`);
    }
    files[`smaps with ${DISTINCT_FIELDS} distinct field names`] = distinct.join('\n') + '\n';
    const peakKb = (file: string) => {
      stats.cliRuns++;
      const res = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'analyze', '--fixes', file], { encoding: 'utf8', timeout: 120_000 });
      if (res.error) stats.hangs++;
      assert.ok(!res.error, `${file}: ${res.error}`);
      assert.doesNotMatch(res.stderr, /\n\s+at |internal error/);
      return Number(res.stderr.trim().split('\n').pop());
    };
    const empty = path.join(tmp, 'empty.maps');
    fs.writeFileSync(empty, '');
    const base = peakKb(empty);
    for (const [what, content] of Object.entries(files)) {
      const file = path.join(tmp, 'big-input');
      fs.writeFileSync(file, content);
      const mb = fs.statSync(file).size / 1e6;
      stats.inputs++;
      const extraMb = Math.max(0, peakKb(file) - base) / 1024;
      const perMb = extraMb / Math.max(mb, 0.001);
      if (mb >= 1) stats.worstMbPerMb = Math.max(stats.worstMbPerMb, perMb);
      t.diagnostic(`${what}: ${mb.toFixed(2)} MB in, ${extraMb.toFixed(1)} MB more peak memory than an empty input`);
      // Proportional: a few bytes of columns per byte of input, plus the parser's fixed buffers.
      assert.ok(extraMb <= 8 * mb + 48, `${what}: ${extraMb.toFixed(1)} MB for ${mb.toFixed(2)} MB of input`);
    }
  });

  it('figures', (t) => {
    t.diagnostic(
      `fuzz ${FULL ? 'full' : 'bounded'}: ${stats.inputs} inputs (${stats.cliRuns} through the CLI), ${stats.crashes} crashes, ${stats.hangs} hangs, ` +
        `worst peak memory ${stats.worstMbPerMb.toFixed(1)} MB per MB of input (inputs of 1 MB and more)`,
    );
    assert.equal(stats.crashes, 0);
    assert.equal(stats.hangs, 0);
  });
});
