/**
 * The WebAssembly kernel (src/core/kernel.c): the maps-line scanner agrees with the reference
 * grammar below (the JavaScript scanner it replaced) on every prefix of real and hand-made lines;
 * released kernels are reused clean; the columns survive the memory growing under them. (That the
 * committed binary is what clang makes of the source: test/integration/kernelBuild.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, analyzeText } from '../../src/core/analyze';
import { DumpParser, parseDump, REASONS } from '../../src/core/parse';
import { KINDS } from '../../src/core/kinds';
import { MAX_FINDING_LINES, runTally } from '../../src/core/tally';
import type { Kernel } from '../../src/core/kernel';
import { RUN_FIELDS } from '../../src/core/kernelContract';

// @ts-expect-error: a plain .mjs script, typed by use (contractText reads C text: no toolchain)
import { contractText } from '../../scripts/build-wasm.mjs';

/**
 * The reference grammar of a maps line, written for clarity: the reason code (an index into the
 * parser's REASONS) of the first check that fails, in the order the parser has always checked,
 * or the fields.
 */
type Ref = { reason: number } | { start: bigint; end: bigint; perms: string; offset: number; dev: number; inode: number; name: string };
function reference(line: string): Ref {
  const HEX = /^[0-9a-fA-F]*/;
  const hexRun = (s: string) => HEX.exec(s)![0];
  let rest = line;
  const start = hexRun(rest);
  if (start.length > 16) return { reason: 2 };
  if (start.length === 0 || rest[start.length] !== '-') return { reason: 1 };
  rest = rest.slice(start.length + 1);
  const end = hexRun(rest);
  if (end.length === 0) return { reason: 1 };
  if (end.length > 16) return { reason: 2 };
  if (BigInt('0x' + end) < BigInt('0x' + start)) return { reason: 3 };
  rest = rest.slice(end.length);
  if (rest.length < 5 || rest[0] !== ' ' || !/^[r-][w-][x-][ps]$/.test(rest.slice(1, 5))) return { reason: 4 };
  const perms = rest.slice(1, 5);
  if (rest.length === 5) return { reason: 5 };
  if (rest[5] !== ' ') return { reason: 4 };
  rest = rest.slice(6);
  const off = hexRun(rest);
  if (off.length === 0 || off.length > 16) return { reason: 5 };
  rest = rest.slice(off.length);
  if (rest.length === 0) return { reason: 6 };
  if (rest[0] !== ' ') return { reason: 5 };
  rest = rest.slice(1);
  const major = hexRun(rest);
  if (major.length === 0 || major.length > 3 || rest[major.length] !== ':') return { reason: 6 };
  rest = rest.slice(major.length + 1);
  const minor = hexRun(rest);
  if (minor.length === 0 || minor.length > 5) return { reason: 6 };
  rest = rest.slice(minor.length);
  if (rest[0] !== ' ') return { reason: 7 };
  rest = rest.slice(1);
  const inode = /^\d*/.exec(rest)![0];
  if (inode.length === 0 || (rest.length > inode.length && !' \r'.includes(rest[inode.length]))) return { reason: 7 };
  const name = rest.slice(inode.length).replace(/^ +/, '');
  if (name.includes('\0')) return { reason: 8 };
  return {
    start: BigInt('0x' + start),
    end: BigInt('0x' + end),
    perms,
    offset: Number(BigInt('0x' + off)),
    dev: parseInt(major, 16) * 1048576 + parseInt(minor, 16),
    inode: [...inode].reduce((v, d) => v * 10 + Number(d), 0),
    name: name.replace(/ +$/, ''),
  };
}

function parsed(line: string, eol: string): Ref {
  const d = parseDump(line + eol);
  if (d.count === 1) {
    const v = d.vma(0);
    return {
      start: BigInt('0x' + v.startHex),
      end: BigInt('0x' + v.endHex),
      perms: v.perms,
      offset: v.offset,
      dev: d.dev[0],
      inode: v.inode,
      name: (d.names[d.nameId[0]] ?? '') + (v.deleted ? ' (deleted)' : ''),
    };
  }
  assert.equal(d.malformed.length, 1, JSON.stringify(line));
  return { reason: -1 };
}

describe('kernel', () => {
  it('takes its contract from kernel.c: the committed kernelContract.ts is what kernel.c declares now', () => {
    const c = readFileSync('src/core/kernel.c', 'utf8');
    const ts = contractText(c) as string;
    assert.equal(readFileSync('src/core/kernelContract.ts', 'utf8'), ts, 'src/core/kernelContract.ts is stale: run npm run build:wasm');
    // Every named enum, the column table and the exported constants made it across, with their values.
    assert.match(ts, /export const enum Reason \{[^}]*LineTooLong = 13,/);
    assert.match(ts, /export const enum Param \{[^}]*Allocator = 25,\n {2}CountOf = 26,/);
    assert.match(ts, /\['nameId', Int32Array\],\n {2}\['line', Uint32Array\],\n\] as const;/);
    assert.match(ts, /export const NO_OWNER = 0xffffffff;/);
    // A changed enum in kernel.c changes the contract (the generator reads, it does not copy).
    const moved = contractText(c.replace('enum Stat { S_THREAD_STACKS, S_GUARDS,', 'enum Stat { S_GUARDS, S_THREAD_STACKS,')) as string;
    assert.match(moved, /Guards = 0,\n {2}ThreadStacks = 1,/);
  });

  it('works on a column host, not on the Dump: kernel.ts imports neither dump.ts nor parse.ts', () => {
    const imports = [...readFileSync('src/core/kernel.ts', 'utf8').matchAll(/^import .* from '(.*)';$/gm)].map((m) => m[1]);
    assert.deepEqual(imports.sort(), ['./kernelContract', './kernelWasm']);
  });

  it('has room for every kind, and keeps as many lines per kind as a finding lists', () => {
    const k = parseDump('1000-2000 r--p 0 0:0 0\n').kernel;
    assert.ok(KINDS.length <= k.x.kindsMax(), `${KINDS.length} kinds, room for ${k.x.kindsMax()}`);
    assert.equal(k.x.linesMax(), MAX_FINDING_LINES);
  });

  it('scans every prefix of real and hand-made maps lines as the reference grammar does', () => {
    const real = readFileSync('/proc/self/maps', 'latin1').split('\n').filter(Boolean).slice(0, 40);
    const made = [
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
      'FFFFFFFFFF600000-FFFFFFFFFF601000 --xp 0000ABCD 0A:1F 12 /x y (deleted)',
      '0-1 r--p 0 0:0 0',
      '123456789abcdef0-123456789abcdef1 rw-s 123456789abcdef 123:12345 18446744073709551615 n',
      '-1000 r--p 0 0:0 0',
      '1000-2000 r--p 0 0:0 0 a\u0000b',
      '1234567890abcdef1-ffffffffffffffffff r--p 0 0:0 0',
      '1000-0fff r--p 0 0:0 0',
      '1000-2000 rwxq 0 0:0 0',
      '1000-2000 r--p 0 1234:0 0',
      '1000-2000 r--p 0 0:123456 0',
      '1000-2000 r--p 0 00:00 0x',
      '1000-2000  r--p 0 0:0 0',
      '1000-2000 r--p  0 0:0 0',
      '7f0000000000-7f0000001000 rw-p 00000000 00:00 0  \r trailing CR in the name',
    ];
    let checked = 0;
    for (const eol of ['\n', '\r\n']) {
      for (const full of [...real, ...made]) {
        for (let cut = 1; cut <= full.length; cut++) {
          const line = full.slice(0, cut);
          // A CR right before the newline ends the line, whatever eol adds.
          const want = reference(eol === '\n' ? line.replace(/\r$/, '') : line);
          const got = parsed(line, eol);
          if ('reason' in want) assert.ok('reason' in got, `${JSON.stringify(line)}: the reference rejects it, the kernel took it`);
          else assert.deepEqual(got, want, JSON.stringify(line));
          checked++;
        }
      }
    }
    assert.ok(checked > 5000, `${checked} prefixes`);
  });

  it('gives each malformed prefix the reason the reference grammar gives', () => {
    const full = '7f2c1a000000-7f2c1a021000 rw-p 0001f000 fe:01 1234567 /usr/lib/x86_64-linux-gnu/libc.so.6';
    for (const eol of ['\n', '\r\n']) {
      for (let cut = 1; cut < full.length; cut++) {
        const line = full.slice(0, cut);
        const want = reference(line);
        if (!('reason' in want)) continue;
        const d = parseDump(line + eol);
        assert.equal(d.malformed[0]?.reason, REASONS[want.reason], JSON.stringify(line));
      }
    }
  });

  it('reuses a released kernel with nothing of the last dump left in it', () => {
    // A dump with offsets, devices and inodes everywhere, then one with none: the kernel does not
    // write zeros, so the second must find its columns zeroed.
    const files = readFileSync('/proc/self/maps', 'latin1');
    const first = parseDump(files);
    const count = first.count;
    first.release();
    assert.equal(first.count, 0);
    assert.throws(() => first.kernel, /after release/);
    const anon = Array.from({ length: count }, (_, i) => {
      const a = (0x600000000000 + i * 8192).toString(16);
      const b = (0x600000000000 + i * 8192 + 4096).toString(16);
      return `${a}-${b} rw-p 00000000 00:00 0 `;
    }).join('\n');
    const second = parseDump(anon);
    assert.equal(second.count, count);
    for (let i = 0; i < count; i++) {
      assert.equal(second.offset[i], 0);
      assert.equal(second.dev[i], 0);
      assert.equal(second.inode[i], 0);
      assert.equal(second.nameId[i], -1);
      assert.equal(second.kind[i], 0);
    }
  });

  it('gives an analysis nothing of the dump its kernel served before', () => {
    const busy = analyzeText(readFileSync('/proc/self/maps')); // Node's worker threads have stacks
    assert.ok(busy.threads > 1, `${busy.threads} threads`);
    for (const text of ['', '7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n']) {
      const a = analyzeText(text);
      assert.equal(a.threads, 0, JSON.stringify(text));
      assert.equal(a.arenas, 0);
      assert.equal(a.totals.count, a.vmaCount);
    }
  });

  it('keeps every column as the memory grows under a dump fed in small pieces', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => {
      const a = (0x500000000000 + i * 0x3000).toString(16);
      const b = (0x500000000000 + i * 0x3000 + 0x1000).toString(16);
      return `${a}-${b} r-xp ${(i * 4096).toString(16).padStart(8, '0')} 08:0${i % 10} ${i} /lib/${i % 7}.so`;
    });
    const text = Buffer.from(lines.join('\n') + '\n');
    const p = new DumpParser(); // no size hint: the columns start at 1,024 VMAs and move as they grow
    for (let o = 0; o < text.length; o += 777) p.push(text.subarray(o, o + 777));
    const d = p.end();
    assert.equal(d.count, 50_000);
    for (const i of [0, 1023, 1024, 4095, 31_000, 49_999]) {
      const v = d.vma(i);
      assert.equal(v.start, 0x500000000000 + i * 0x3000);
      assert.equal(v.offset, i * 4096);
      assert.equal(v.inode, i);
      assert.equal(v.dev, `08:0${i % 10}`);
      assert.equal(v.name, `/lib/${i % 7}.so`);
      assert.equal(v.line, i + 1);
    }
    const a = analyzeText(text);
    assert.equal(a.kinds.text?.count, 50_000);
  });
});

/** The kernel's tally as it stands: counts, bytes and lines per kind, and the fragmented runs. */
function tallyState(k: Kernel): unknown {
  const lines = k.x.linesMax();
  return {
    count: [...k.kindCount],
    bytes: [...k.kindBytes],
    lines: KINDS.map((_, kd) => [...k.kindLines.subarray(kd * lines, kd * lines + k.kindLineCount[kd])]),
    runs: [...k.u32(k.runsAt, k.x.runCount() * RUN_FIELDS)],
  };
}

const hexAt = (n: number) => n.toString(16).padStart(12, '0');
const anonLine = (start: number, size: number, perms: string) => `${hexAt(start)}-${hexAt(start + size)} ${perms} 00000000 00:00 0 `;

describe('classify and tally in one pass', () => {
  const MIB = 1 << 20;
  // Thread stacks: a 4 KiB ---p guard under an 8 MiB rw-p stack, six of them, and fragmented anonymous runs.
  const stacks = Array.from({ length: 6 }, (_, t) => [
    anonLine(0x7f1000000000 + t * 16 * MIB, 4096, '---p'),
    anonLine(0x7f1000000000 + t * 16 * MIB + 4096, 8 * MIB, 'rw-p'),
  ]).flat();
  const runs = Array.from({ length: 40 }, (_, i) => anonLine(0x7f2000000000 + i * 8192, 4096, 'rw-p'));
  const cases: Record<string, string> = {
    ...Object.fromEntries(
      readdirSync('samples')
        .filter((f) => !f.endsWith('.md'))
        .map((f) => [f, readFileSync(join('samples', f), 'latin1')]),
    ),
    // The capture's thread count bounds the stacks: classify.ts gives pairs back to the allocator.
    'fewer threads than stacks': ['# threads: 3', '555555554000-555555556000 r-xp 00000000 08:01 42 /usr/bin/prog', ...stacks, ...runs].join('\n') + '\n',
    // No library, 2 MiB-aligned extents, no arenas: static jemalloc, anonymous memory re-kinded by analyze.ts.
    'static jemalloc layout':
      [
        '555555554000-555555556000 r-xp 00000000 08:01 42 /usr/bin/prog',
        ...Array.from({ length: 10 }, (_, i) => anonLine(0x7f3000000000 + i * 8 * MIB, 4 * MIB, 'rw-p')),
        ...stacks,
        ...runs,
      ].join('\n') + '\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`reads the tally of the final kinds: ${name}`, () => {
      const d = parseDump(text);
      const a = analyze(d);
      if (name === 'static jemalloc layout') assert.match(a.allocator.evidence, /2 MiB-aligned/, 'the re-kinding path ran');
      if (name === 'fewer threads than stacks') assert.equal(a.threads, 2 + (a.kinds.stack ? 1 : 0), 'the bounding path ran');
      const used = tallyState(d.kernel);
      runTally(d); // afresh, over the kinds as analyze() left them
      assert.deepEqual(used, tallyState(d.kernel));
      d.release();
    });
  }
});
