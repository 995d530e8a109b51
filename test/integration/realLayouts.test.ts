/**
 * Classification and findings on real layouts, each against the truth of the live process: a
 * 32-bit (i386) program's 1 MiB glibc heaps and a 64-bit one under MALLOC_ARENA_MAX=2 (counted by
 * glibc's own malloc_info), a JVM with 64 threads with and without MALLOC_ARENA_MAX=2 (its heaps
 * from malloc_info through gdb), a mimalloc program with many threads, and jemalloc with
 * thp:always, under vm.overcommit_memory=2 (as the process sees it) and with retain:false. Thread
 * stacks are checked against the VMAs the threads' own stack pointers are in.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { parseDump } from '../../src/core/parse';
import type { Analysis, FindingId } from '../../src/core/types';
import {
  captureLayout,
  captureWithStacks,
  liveThreadStacks,
  mallocInfoByGdb,
  startJvm,
  startWithOvercommitView,
  type StackTruth,
} from '../helpers/realLayouts';
import { buildGoFixture, I386, MUSL_DYNAMIC } from '../helpers/realPrograms';
import { buildFixture, captureMaps, capturePmap, parseMaps, startProcess, withProcess, type RealProcess } from '../helpers/realProcess';

const find = (a: Analysis, id: FindingId) => a.findings.find((f) => f.id === id);

/** The analysis, and the start addresses (hex, no leading zeros) of the VMAs it calls thread stacks. */
function analyseWithStacks(text: string): { a: Analysis; stacks: Set<string> } {
  const dump = parseDump(text);
  const a = analyze(dump);
  const stacks = new Set<string>();
  for (let i = 0; i < dump.count; i++) if (dump.kindOf(i) === 'thread-stack') stacks.add(dump.vma(i).startHex.replace(/^0+(?=.)/, ''));
  dump.release();
  return { a, stacks };
}

function assertStacks(found: Set<string>, truth: StackTruth, what: string): void {
  assert.equal(truth.unread, 0, `${what}: every thread blocked, its stack pointer read`);
  assert.equal(truth.stacks, truth.threads - 1, `${what}: one stack VMA per thread but main`);
  assert.deepEqual([...found].sort(), [...truth.starts].sort(), `${what}: the stacks are the VMAs the threads' stack pointers are in`);
}

const ARENA_FIXES = new Set(['malloc-arena-max', 'jvm-malloc-arena-max']);
const capOf = (a: Analysis) =>
  find(a, 'glibc-arenas')!
    .fixes.filter((f) => ARENA_FIXES.has(f.id))
    .map((f) => Number(/^Environment="MALLOC_ARENA_MAX=(\d+)"$/m.exec(f.text)![1]));

describe('glibc heaps and thread stacks, 32- and 64-bit', () => {
  it('i386, 12 threads: 1 MiB heaps as malloc_info counts them, 12 stacks where the stack pointers are', async () => {
    const program = buildFixture('heaps', I386);
    // Small blocks fill each heap to its end: full heaps merge into multi-MiB rw-p VMAs.
    await withProcess({ program, args: ['12', '--size', '4k', '--count', '2000'] }, (p) => {
      const r = p.result()!;
      const truth = liveThreadStacks(p.pid);
      assert.equal(truth.threads, 13);
      assert.equal(Number(r.threads), 13);
      const heaps = Number(r.heaps);
      assert.ok(heaps > 12, `glibc made ${heaps} heaps`);
      const text = captureLayout(p.pid);
      const merged = parseMaps(text).filter((e) => e.inode === 0 && e.path === '' && e.perms === 'rw-p' && e.end - e.start > 1n << 20n);
      assert.ok(merged.length > 0, 'some rw-p VMAs span more than one 1 MiB heap');
      const { a, stacks } = analyseWithStacks(text);
      assert.equal(a.addressBits, 32);
      assert.equal(a.arenas, heaps, 'heaps: maps vs malloc_info');
      assertStacks(stacks, truth, 'with the header');
      assert.equal(a.threads, 13);
      const f = find(a, 'glibc-arenas')!;
      assert.match(f.message, /1 MiB \(HEAP_MAX_SIZE on 32-bit\)/);
      assert.match(f.message, /up to 2 per core/);
      // Without a header (no thread count to bound it), the layout rules alone; also from smaps and pmap -x.
      const bare = analyseWithStacks(captureMaps(p.pid, { header: false }));
      assert.equal(bare.a.arenas, heaps);
      assertStacks(bare.stacks, truth, 'without the header');
      for (const other of [captureLayout(p.pid, 'smaps'), capturePmap(p.pid, '-x')]) {
        const o = analyseWithStacks(other).a;
        assert.equal(o.arenas, heaps, o.format);
        assert.equal(o.threads, 13, o.format);
      }
    });
  });

  it('i386 under READ_IMPLIES_EXEC (setarch -X): rwxp heaps and stacks, as old kernels and exec-heap setups map them', async () => {
    const p = startProcess({ cmd: 'setarch', args: ['i386', '-X', buildFixture('heaps', I386), '8'], readyLine: /^READY$/m });
    try {
      await p.ready;
      const text = captureLayout(p.pid);
      assert.ok(
        parseMaps(text).some((e) => e.perms === 'rwxp' && e.inode === 0),
        'the live maps have rwxp anonymous memory',
      );
      const { a, stacks } = analyseWithStacks(text);
      assert.equal(a.arenas, Number(p.result()!.heaps), 'heaps: maps vs malloc_info');
      assertStacks(stacks, liveThreadStacks(p.pid), 'rwxp stacks');
    } finally {
      await p.stop();
    }
  });

  it('64-bit, 12 threads with MALLOC_ARENA_MAX=2: heaps past 64 MiB counted as glibc does; no cap proposed at or above 2', async () => {
    await withProcess({ program: 'heaps', args: ['12', '--size', '100k', '--count', '700'], env: { MALLOC_ARENA_MAX: '2' } }, (p) => {
      const r = p.result()!;
      assert.equal(Number(r.arenas), 2, 'main arena and one thread arena');
      const { a, stacks } = analyseWithStacks(captureLayout(p.pid));
      assert.equal(a.header.mallocArenaMax, 2);
      assert.equal(a.arenas, Number(r.heaps), 'heaps: maps vs malloc_info');
      assert.ok(a.arenas > 1, 'the one thread arena grew into several heaps');
      assertStacks(stacks, liveThreadStacks(p.pid), 'MALLOC_ARENA_MAX=2');
      const f = find(a, 'glibc-arenas')!;
      assert.match(f.message, /MALLOC_ARENA_MAX=2 is set: at most 1 thread arena/);
      assert.deepEqual(capOf(a), [], 'half of 2 is 1: no cap offered');
      assert.ok(
        f.fixes.some((x) => x.id === 'systemd-ld-preload'),
        'the switch to jemalloc is still offered',
      );
    });
    await withProcess({ program: 'heaps', args: ['12', '--count', '50'], env: { MALLOC_ARENA_MAX: '8' } }, (p) => {
      const a = analyseWithStacks(captureLayout(p.pid)).a;
      assert.equal(a.arenas, Number(p.result()!.heaps));
      assert.deepEqual(capOf(a), [4], 'below the 8 in force');
    });
  });
});

describe('a JVM with 64 threads allocating native memory', () => {
  for (const arenaMax of [undefined, '2'] as const) {
    it(`${arenaMax ? 'with' : 'without'} MALLOC_ARENA_MAX=2: stacks per the threads, heaps per glibc (gdb malloc_info)`, async () => {
      const jvm: RealProcess = startJvm(64, { env: { MALLOC_ARENA_MAX: arenaMax } });
      try {
        await jvm.ready;
        const { text, truth } = captureWithStacks(jvm.pid);
        const glibc = mallocInfoByGdb(jvm.pid);
        assert.ok(truth.threads >= 65, `${truth.threads} threads: 64 of ours and the JVM's own`);
        const { a, stacks } = analyseWithStacks(text);
        assertStacks(stacks, truth, 'JVM');
        assert.equal(a.threads, truth.threads);
        const bare = captureWithStacks(jvm.pid);
        const noHeader = bare.text
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n');
        assertStacks(analyseWithStacks(noHeader).stacks, bare.truth, 'JVM, no header');
        assert.equal(a.arenas, glibc.heaps, `heaps: maps vs malloc_info (${glibc.arenas} arenas)`);
        if (arenaMax) {
          assert.equal(glibc.arenas, 2);
          assert.deepEqual(capOf(a), []);
        } else {
          assert.ok(glibc.arenas > 2);
          const fix = find(a, 'glibc-arenas')!.fixes.find((f) => f.id === 'jvm-malloc-arena-max')!;
          assert.match(fix.text, /Environment="MALLOC_ARENA_MAX=2"/);
          assert.match(fix.text, /Cloud Foundry and SAP JVMs/);
          assert.doesNotMatch(fix.path, /classes\.jsa/, 'never named after a mapped data file');
        }
      } finally {
        await jvm.stop();
      }
    });
  }
});

describe('mimalloc with many threads', () => {
  it('32 threads: 32 stacks, its segments neither arenas nor stacks nor decommit holes', async () => {
    await withProcess({ program: 'threads', args: ['32', '--size', '64k', '--count', '200'], preload: 'mimalloc' }, (p) => {
      const { a, stacks } = analyseWithStacks(captureLayout(p.pid));
      assert.equal(a.allocator.name, 'mimalloc');
      assert.equal(a.arenas, 0);
      assertStacks(stacks, liveThreadStacks(p.pid), 'mimalloc');
      assert.equal(find(a, 'mimalloc-decommit'), undefined);
    });
  });
});

describe('musl', () => {
  it("its malloc's guard page at the start of the brk area is heap, also in pmap -x where [heap] has no name", async () => {
    const program = buildFixture('threads', MUSL_DYNAMIC);
    await withProcess({ program, args: ['8', '--size', '1k', '--count', '20000'] }, (p) => {
      const truth = liveThreadStacks(p.pid);
      const maps = captureLayout(p.pid);
      const heap = parseMaps(maps).filter((e) => e.path === '[heap]');
      assert.ok(
        heap.some((e) => e.perms === '---p'),
        'the live maps show a ---p [heap] page',
      );
      const { a, stacks } = analyseWithStacks(maps);
      assertStacks(stacks, truth, 'musl maps');
      assert.equal(a.kinds.heap?.count, heap.length);
      const pmap = analyseWithStacks(capturePmap(p.pid, '-x'));
      assertStacks(pmap.stacks, truth, 'musl pmap -x');
      assert.equal(pmap.a.kinds.heap?.count, heap.length, 'the unnamed brk area is the heap');
    });
  });
});

describe('a static Go program', () => {
  it("its heap at 0xc000000000 is the Go runtime's, not glibc heaps; its threads have no pthread stacks", async () => {
    await withProcess({ program: buildGoFixture('golayout') }, (p) => {
      const text = captureLayout(p.pid);
      const truth = liveThreadStacks(p.pid);
      assert.ok(truth.threads > 1, `${truth.threads} OS threads`);
      const arena = parseMaps(text).filter((e) => e.start >= 0xc000000000n && e.start < 0xc100000000n);
      assert.ok(arena.length > 0 && arena[0].start === 0xc000000000n, 'the live maps have the arena at 0xc000000000');
      const dump = parseDump(text);
      const a = analyze(dump);
      assert.equal(a.arenas, 0, 'no glibc heaps');
      assert.equal(find(a, 'thread-stacks'), undefined, 'Go maps its thread stacks without guard pages');
      for (let i = 0; i < dump.count; i++) {
        const start = BigInt(`0x${dump.vma(i).startHex}`);
        if (arena.some((e) => e.start === start)) assert.match(dump.kindOf(i), /^(allocator|reserved)$/);
        if (truth.starts.has(start.toString(16))) assert.notEqual(dump.kindOf(i), 'thread-stack');
      }
      dump.release();
    });
  });
});

/** AnonHugePages of the whole process, from smaps_rollup, in bytes. */
const anonHugeBytes = (pid: number) => 1024 * Number(/^AnonHugePages:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);

describe('jemalloc settings read from the capture', () => {
  const program = 'freehalf';

  it('thp:always,metadata_thp:always: jemalloc-thp from smaps AnonHugePages as the kernel reports it', async () => {
    const THP = 'thp:always,metadata_thp:always';
    await withProcess({ program, args: ['--size', '1m', '--blocks', '256', '--keep'], preload: 'jemalloc', env: { MALLOC_CONF: THP } }, (p) => {
      const huge = anonHugeBytes(p.pid);
      const a = analyseWithStacks(captureLayout(p.pid, 'smaps')).a;
      assert.equal(a.header.mallocConf, THP);
      const f = find(a, 'jemalloc-thp');
      if (huge > 0) {
        assert.ok(f, `${huge} bytes in huge pages`);
        assert.equal(f.data.anonHugeBytes, huge, 'the same total as smaps_rollup');
        assert.match(f.fixes[0].text, /Environment="MALLOC_CONF=thp:never,metadata_thp:disabled"/);
      } else {
        assert.equal(f, undefined, 'THP off on this host: smaps shows none, so no finding');
      }
      // A maps capture has no AnonHugePages: the configuration alone, as info.
      const m = find(analyseWithStacks(captureLayout(p.pid)).a, 'jemalloc-thp')!;
      assert.equal(m.severity, 'info');
      assert.match(m.message, /MALLOC_CONF asks for thp:always,metadata_thp:always/);
    });
    await withProcess({ program, args: ['--size', '1m', '--blocks', '256', '--keep'], preload: 'jemalloc' }, (p) => {
      const huge = anonHugeBytes(p.pid);
      const f = find(analyseWithStacks(captureLayout(p.pid, 'smaps')).a, 'jemalloc-thp');
      assert.equal(f !== undefined, huge > 0, `default MALLOC_CONF: finding only if the kernel made huge pages (${huge})`);
    });
  });

  it(
    'vm.overcommit_memory=2 as jemalloc sees it: alternating rw-p/---p runs, jemalloc-overcommit; not at 0',
    { skip: process.getuid?.() !== 0 && 'needs root (unshare -m)' },
    async () => {
      const conf = { MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' };
      const p = startWithOvercommitView(2, { program: buildFixture(program), preload: 'jemalloc', env: conf });
      try {
        await p.ready;
        const text = captureLayout(p.pid);
        const a = analyseWithStacks(text).a;
        assert.equal(a.header.overcommitMemory, 2, 'the value the process sees');
        assert.ok(Math.abs(a.vmaCount - Number(p.result()!.vmas)) <= 2, `${a.vmaCount} vs the process's own count ${p.result()!.vmas}`);
        // Independently: anonymous ---p pieces with rw-p on both sides, two boundaries each.
        const e = parseMaps(text);
        const anon = (i: number) => e[i] && e[i].inode === 0 && e[i].path === '';
        let inner = 0;
        for (let i = 1; i + 1 < e.length; i++)
          if (
            anon(i) &&
            anon(i - 1) &&
            anon(i + 1) &&
            e[i].perms === '---p' &&
            e[i - 1].perms === 'rw-p' &&
            e[i + 1].perms === 'rw-p' &&
            e[i - 1].end === e[i].start &&
            e[i].end === e[i + 1].start
          )
            inner++;
        assert.ok(inner > 1000, `${inner} decommitted pieces`);
        const f = find(a, 'jemalloc-overcommit')!;
        assert.ok(Math.abs(Number(f.data.boundaries) - 2 * inner) <= 4, `${f.data.boundaries} boundaries vs ${inner} pieces`);
        assert.deepEqual(
          f.fixes.slice(0, 2).map((x) => x.id),
          ['overcommit-memory', 'jemalloc-lg-page'],
        );
        assert.match(f.fixes[0].text, /vm\.overcommit_memory = 0/);
      } finally {
        await p.stop();
      }
      await withProcess({ program, preload: 'jemalloc', env: conf }, (q) => {
        const a = analyseWithStacks(captureLayout(q.pid)).a;
        assert.equal(a.header.overcommitMemory, Number(fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8')));
        assert.equal(find(a, 'jemalloc-overcommit'), undefined);
      });
    },
  );

  it('retain:false with zero decay: jemalloc-retain with the fix back to retain:true; none with the defaults', async () => {
    const conf = 'retain:false,dirty_decay_ms:0,muzzy_decay_ms:0';
    await withProcess({ program, preload: 'jemalloc', env: { MALLOC_CONF: conf } }, (p) => {
      const a = analyseWithStacks(captureLayout(p.pid)).a;
      const f = find(a, 'jemalloc-retain')!;
      assert.equal(f.severity, 'warning', 'the freed half left holes: fragmented runs');
      assert.equal(f.data.decay, 'dirty_decay_ms,muzzy_decay_ms');
      assert.ok(find(a, 'vma-fragmentation'), 'the holes are there too');
      assert.match(f.fixes[0].text, /Environment="MALLOC_CONF=retain:true"/);
    });
    await withProcess({ program, preload: 'jemalloc' }, (p) => {
      assert.equal(find(analyseWithStacks(captureLayout(p.pid)).a, 'jemalloc-retain'), undefined);
    });
  });
});
