/**
 * Allocator verdicts, their evidence and the fixes offered, on real programs that are not the
 * mariadbd/fixture-under-glibc the analysis was first built around: a static Go binary, a static
 * musl binary, a program linked with libjemalloc_pic.a, an i386 program with threads, a JVM,
 * redis-server under redis-benchmark and PostgreSQL under pgbench. Each is read twice: plain
 * /proc/PID/maps (what a user pastes) and a capture through the real capture script (with the
 * header's exe, exe_static, exe_symbols, environment and unit). The truth each verdict is held
 * to comes from the live system: readelf, nm, ldd, /proc/PID/status, environ, cgroup.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { captureLocal } from '../../src/capture/capture';
import { analyze, analyzeText } from '../../src/core/analyze';
import { fixContext, systemdLdPreload, type FixContext } from '../../src/core/fixes';
import { parseDump } from '../../src/core/parse';
import type { Analysis, Fix } from '../../src/core/types';
import { buildFixture, captureMaps, capturePmap, captureSmaps, captureSmapsRollup, startProcess, type RealProcess } from '../helpers/realProcess';
import {
  environOf,
  hasInterpreter,
  I386,
  JEMALLOC_PIC,
  lddLibraries,
  MUSL_STATIC,
  nmDefined,
  postgresVersion,
  ready,
  startGoStatic,
  startJava,
  startPostgres,
  startRedis,
  threadCount,
} from '../helpers/realPrograms';

/** Plain maps (no header) and a capture through the product's script, both analysed. */
async function readBoth(pid: number): Promise<{ plain: Analysis; captured: Analysis }> {
  const plain = analyzeText(captureMaps(pid, { header: false }));
  const captured = analyzeText((await captureLocal(pid)).text);
  return { plain, captured };
}

const allFixes = (a: Analysis): Fix[] => a.findings.flatMap((f) => f.fixes);
const PRELOAD_FIXES = ['systemd-ld-preload', 'mysqld-safe-malloc-lib'];
const preloadFixes = (a: Analysis) => allFixes(a).filter((f) => PRELOAD_FIXES.includes(f.id));
const exeOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/exe`);
/** The fixes' context of a dump, as analyze() builds it (unit, program, distribution). */
function contextOf(text: string): FixContext {
  const d = parseDump(text);
  const a = analyze(d);
  const ctx = fixContext(d.names, d.header, a.vmaCount, a.maxMapCount, { addressBits: a.addressBits, allocator: a.allocator });
  d.release();
  return ctx;
}

/** A fixture variant with `threads` threads, ready once they all malloc'd. */
async function startThreads(variant: typeof I386, threads: number, env: Record<string, string> = {}): Promise<RealProcess> {
  return ready(startProcess({ program: buildFixture('threads', variant), args: [String(threads), '--count', '64'], env }));
}

describe('allocator verdicts on real programs', () => {
  it('a static Go binary: Go suspected from its arena at 0xc000000000, linked statically with the header, never an LD_PRELOAD fix', async () => {
    const p = await startGoStatic(8);
    try {
      const exe = exeOf(p.pid);
      // Truth: no program interpreter, no library at all, the Go allocator defined in the binary.
      assert.equal(hasInterpreter(exe), false);
      assert.deepEqual(lddLibraries(exe), []);
      assert.ok(nmDefined(exe).has('runtime.mallocgc'));
      const maps = fs.readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      assert.match(maps, /^c000000000-/m, 'the Go heap arena is where the runtime puts it');
      assert.doesNotMatch(maps, /libc\.so|ld-linux/);

      const { plain, captured } = await readBoth(p.pid);
      assert.deepEqual([plain.allocator.name, plain.allocator.confidence], ['go', 'suspected']);
      assert.match(plain.allocator.evidence, /0xc000000000/);
      assert.match(plain.allocator.preloadBlocked ?? '', /statically linked/);
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['go', 'static']);
      assert.equal(captured.header.exeStatic, true);
      assert.deepEqual(captured.header.exeSymbols, ['runtime.mallocgc']);
      for (const a of [plain, captured]) assert.deepEqual(preloadFixes(a), [], 'a static executable never reads LD_PRELOAD');
      const finding = captured.findings.find((f) => f.id === 'allocator')!;
      assert.match(finding.message, /No LD_PRELOAD fix is offered: goheap is statically linked/);

      // smaps and pmap -x (basenames, `[ anon ]`) give the same verdict as maps.
      for (const [format, text] of [
        ['smaps', captureSmaps(p.pid, { header: false })],
        ['pmap-x', capturePmap(p.pid, '-x')],
      ] as const) {
        const a = analyzeText(text);
        assert.deepEqual([a.format, a.allocator.name, a.allocator.confidence], [format, 'go', 'suspected']);
      }

      // smaps_rollup names no library: no verdict, and it says why.
      const rollup = analyzeText(captureSmapsRollup(p.pid, { header: false }));
      assert.deepEqual([rollup.allocator.name, rollup.allocator.confidence], ['unknown', 'unknown']);
      assert.match(rollup.allocator.evidence, /smaps_rollup names no library/);
    } finally {
      await p.stop();
    }
  });

  it('plain cat: glibc loaded, and no allocator switch offered (nothing shown for it to fix), the finding says why', async () => {
    const p = startProcess({ cmd: 'cat' });
    try {
      await p.ready;
      const exe = exeOf(p.pid);
      // Truth: a dynamically linked glibc program, no other allocator, one thread (no arena heap).
      assert.ok(hasInterpreter(exe));
      assert.ok(lddLibraries(exe).some((l) => /libc\.so\.6$/.test(l)));
      assert.ok(!lddLibraries(exe).some((l) => /jemalloc|tcmalloc|mimalloc/.test(l)));
      assert.ok(!nmDefined(exe).has('malloc'));
      assert.equal(threadCount(p.pid), 1);

      const { plain, captured } = await readBoth(p.pid);
      assert.deepEqual([plain.allocator.name, plain.allocator.confidence], ['glibc', 'suspected']);
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['glibc', 'loaded']);
      for (const a of [plain, captured]) {
        assert.deepEqual(preloadFixes(a), [], 'no "Preload jemalloc in cat.service"');
        assert.deepEqual(allFixes(a), [], 'nothing to fix at all');
        assert.match(
          a.findings.find((f) => f.id === 'allocator')!.message,
          /No allocator switch is offered: nothing in this dump shows glibc malloc trouble for it to fix\.$/,
        );
      }
    } finally {
      await p.stop();
    }
  });

  it('a static musl binary: unknown from maps alone, musl linked statically with the header', async () => {
    const p = await startThreads(MUSL_STATIC, 4);
    try {
      const exe = exeOf(p.pid);
      assert.equal(hasInterpreter(exe), false);
      const syms = nmDefined(exe);
      assert.ok(syms.has('malloc') && syms.has('__libc_malloc_impl'), 'musl mallocng is linked in');
      assert.equal(threadCount(p.pid), 5);

      const { plain, captured } = await readBoth(p.pid);
      assert.deepEqual([plain.allocator.name, plain.allocator.confidence], ['unknown', 'unknown']);
      assert.match(plain.allocator.evidence, /statically linked: cannot tell from maps alone/);
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['musl', 'static']);
      assert.match(captured.allocator.evidence, /defines .*__libc_malloc_impl.*malloc/);
      for (const a of [plain, captured]) assert.deepEqual(preloadFixes(a), []);
    } finally {
      await p.stop();
    }
  });

  it('a program linked with libjemalloc_pic.a: jemalloc linked statically; a preloaded tcmalloc is mapped but does not serve malloc', async () => {
    const p = await startThreads(JEMALLOC_PIC, 8);
    const q = await ready(startProcess({ program: buildFixture('threads', JEMALLOC_PIC), args: ['4'], preload: 'tcmalloc' }));
    try {
      const exe = exeOf(p.pid);
      assert.equal(hasInterpreter(exe), true, 'dynamically linked (libc is a shared library)');
      const syms = nmDefined(exe);
      assert.ok(syms.has('malloc') && syms.has('mallctl'), 'jemalloc is inside the executable');
      assert.ok(!lddLibraries(exe).some((l) => /jemalloc/.test(l)), 'no libjemalloc.so');

      const { plain, captured } = await readBoth(p.pid);
      assert.notEqual(plain.allocator.confidence, 'loaded', 'maps alone cannot tell the executable defines malloc');
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['jemalloc', 'static']);
      assert.match(captured.allocator.preloadBlocked ?? '', /defines malloc itself/);
      assert.deepEqual(preloadFixes(captured), []);
      assert.equal(
        captured.findings.find((f) => f.id === 'glibc-arenas'),
        undefined,
      );

      const shadowed = analyzeText((await captureLocal(q.pid)).text);
      assert.match(fs.readFileSync(`/proc/${q.pid}/maps`, 'utf8'), /libtcmalloc_minimal\.so/, 'truth: the preload is mapped');
      assert.deepEqual([shadowed.allocator.name, shadowed.allocator.confidence], ['jemalloc', 'static']);
      assert.match(shadowed.allocator.evidence, /libtcmalloc_minimal\.so\.4.* is mapped too, but the executable's own malloc comes first/);
      assert.deepEqual(
        shadowed.allocator.others.map((o) => o.name),
        ['tcmalloc'],
      );
    } finally {
      await Promise.all([p.stop(), q.stop()]);
    }
  });

  it('an i386 program with threads: fixes name the 32-bit library and package, and the proposed preload really loads', async () => {
    const p = await startThreads(I386, 12);
    try {
      const exe = exeOf(p.pid);
      assert.match(fs.readFileSync(exe).subarray(4, 5).toString('hex'), /^01$/, 'ELFCLASS32');
      const libc = lddLibraries(exe).find((l) => /libc\.so\.6$/.test(l))!;
      assert.match(libc, /^\/usr\/lib\/i386-linux-gnu\//);
      assert.equal(threadCount(p.pid), 13);

      const { plain, captured } = await readBoth(p.pid);
      assert.deepEqual([plain.allocator.name, plain.allocator.confidence], ['glibc', 'suspected']);
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['glibc', 'loaded']);
      assert.equal(captured.allocator.library, libc);
      assert.equal(captured.addressBits, 32);
      // Its 12 threads' glibc arena heaps are the trouble the switch addresses: that finding offers it.
      const preload = captured.findings.find((f) => f.id === 'glibc-arenas')?.fixes.find((f) => f.id === 'systemd-ld-preload')!;
      assert.ok(preload, 'a dynamic glibc program with arena heaps can be switched');
      assert.match(preload.text, /Environment="LD_PRELOAD=\/usr\/lib\/i386-linux-gnu\/libjemalloc\.so\.2"/);
      assert.match(preload.text, /apt-get install libjemalloc2:i386/);
      assert.doesNotMatch(preload.text, /lib64|dnf/);
      assert.match(preload.path, /^\/etc\/systemd\/system\/threads-i386\.service\.d\//);

      // The library the fix names loads into a 32-bit process: the verdict after it is jemalloc, loaded from there.
      const lib = /LD_PRELOAD=([^"]+)/.exec(preload.text)![1];
      const fixed = await startThreads(I386, 4, { LD_PRELOAD: lib });
      try {
        const after = analyzeText((await captureLocal(fixed.pid)).text);
        assert.deepEqual([after.allocator.name, after.allocator.confidence, after.allocator.library], ['jemalloc', 'loaded', fs.realpathSync(lib)]);
      } finally {
        await fixed.stop();
      }

      // The 64-bit library is refused by ld.so ("wrong ELF class"): the header shows the preload, the maps do not.
      const wrong = await startThreads(I386, 2, { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' });
      try {
        // ld.so writes it on stderr, which may arrive after the fixture's READY on stdout.
        await wrong.waitFor(/wrong ELF class/, 10_000);
        const a = analyzeText((await captureLocal(wrong.pid)).text);
        assert.equal(a.header.ldPreload, environOf(wrong.pid, 'LD_PRELOAD'));
        assert.deepEqual([a.allocator.name, a.allocator.confidence], ['glibc', 'loaded']);
        assert.match(a.allocator.evidence, /LD_PRELOAD names \/usr\/lib\/x86_64-linux-gnu\/libjemalloc\.so\.2 but it is not mapped/);
      } finally {
        await wrong.stop();
      }
    } finally {
      await p.stop();
    }
  });

  it('MALLOC_ARENA_MAX already set: the arena fix proposes less than the current cap', async () => {
    const p = await ready(startProcess({ program: 'threads', args: ['8', '--count', '64'], env: { MALLOC_ARENA_MAX: '8' } }));
    try {
      assert.equal(environOf(p.pid, 'MALLOC_ARENA_MAX'), '8');
      const a = analyzeText((await captureLocal(p.pid)).text);
      assert.equal(a.header.mallocArenaMax, 8);
      const fix = a.findings.find((f) => f.id === 'glibc-arenas')?.fixes.find((f) => f.id === 'malloc-arena-max');
      assert.ok(fix, 'threads that malloc at once get arenas up to the cap');
      assert.match(fix.text, /Environment="MALLOC_ARENA_MAX=4"/);
      assert.match(fix.text, /already runs with MALLOC_ARENA_MAX=8/);
    } finally {
      await p.stop();
    }
  });
});

describe('capturing executable facts without binutils', () => {
  it('exe_static comes from od and exe_symbols from the ELF reader, the same as readelf and nm say', async () => {
    const p = await startThreads(MUSL_STATIC, 2);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-nobinutils-'));
    const savedPath = process.env.PATH;
    try {
      // Everything the script runs, except readelf and nm.
      for (const tool of ['sh', 'sed', 'grep', 'tr', 'od', 'cat', 'head', 'awk', 'sort', 'uname', 'date', 'getconf', 'id', 'readlink']) {
        fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
      }
      process.env.PATH = bin;
      const text = (await captureLocal(p.pid)).text;
      process.env.PATH = savedPath;
      const exe = exeOf(p.pid);
      const a = analyzeText(text);
      // The script wrote exe_static (with od) among its keys; the extension added exe_symbols after them.
      const { lines } = a.header;
      assert.ok(lines.exe_static < lines.cpus && lines.exe_symbols > lines.cpus, JSON.stringify(lines));
      assert.equal(a.header.exeStatic, !hasInterpreter(exe));
      const truth = ['__libc_malloc', '__libc_malloc_impl', 'malloc'].filter((s) => nmDefined(exe).has(s));
      assert.deepEqual(a.header.exeSymbols, truth);
      assert.deepEqual([a.allocator.name, a.allocator.confidence], ['musl', 'static']);
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(bin, { recursive: true, force: true });
      await p.stop();
    }
  });
});

describe('allocator verdicts and fix targets on real servers', () => {
  it('a JVM: glibc, and fixes target the java executable, never the first mapped file (classes.jsa)', async () => {
    const p = await startJava(16);
    try {
      const exe = exeOf(p.pid);
      assert.match(exe, /\/bin\/java$/);
      assert.ok(lddLibraries(exe).some((l) => /libc\.so\.6$/.test(l)));
      assert.ok(!nmDefined(exe).has('malloc'));
      const maps = fs.readFileSync(`/proc/${p.pid}/maps`, 'utf8');
      const firstFile = /\s(\/\S+)$/m.exec(maps)![1];
      assert.match(firstFile, /classes\.jsa$/, 'truth: the CDS archive is mapped below the executable');

      const { plain, captured } = await readBoth(p.pid);
      assert.deepEqual([plain.allocator.name, plain.allocator.confidence], ['glibc', 'suspected']);
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['glibc', 'loaded']);
      for (const a of [plain, captured]) {
        const preload = preloadFixes(a).find((f) => f.id === 'systemd-ld-preload')!;
        assert.equal(preload.path, '/etc/systemd/system/java.service.d/vma-lens-malloc.conf');
        assert.doesNotMatch(JSON.stringify(allFixes(a)), /classes\.jsa/);
      }
    } finally {
      await p.stop();
    }
  });

  it('redis-server under redis-benchmark: jemalloc loaded from the library ldd resolves', async () => {
    const r = await startRedis();
    try {
      r.benchmark(20_000);
      const exe = exeOf(r.pid);
      const truth = lddLibraries(exe).find((l) => /libjemalloc\.so/.test(l));
      assert.ok(truth, "Debian's redis-server links libjemalloc dynamically");
      assert.ok(!nmDefined(exe).has('malloc'));

      const { plain, captured } = await readBoth(r.pid);
      for (const a of [plain, captured]) {
        assert.deepEqual([a.allocator.name, a.allocator.confidence, a.allocator.library], ['jemalloc', 'loaded', truth]);
        assert.equal(a.allocator.preloadBlocked, undefined);
      }
      assert.deepEqual(captured.header.exeSymbols, []);
      // pmap -x prints the library's basename only: still jemalloc, loaded.
      const pmap = analyzeText(capturePmap(r.pid, '-x'));
      assert.deepEqual(
        [pmap.format, pmap.allocator.name, pmap.allocator.confidence, pmap.allocator.library],
        ['pmap-x', 'jemalloc', 'loaded', 'libjemalloc.so.2'],
      );
    } finally {
      await r.stop();
    }
  });

  it('PostgreSQL under pgbench: a backend with a process title gets the unit from its cgroup, else from the executable', async () => {
    const unit = `postgresql@${postgresVersion()}-main.service`;
    const pg = await startPostgres({ unit });
    try {
      const bench = pg.pgbench(3, 4);
      // Awaited below; an assertion failing first stops the server, and pgbench's complaint must not hide it.
      bench.catch(() => undefined);
      let child: { pid: number; title: string } | undefined;
      // One of the 4 clients' backends (pgbench's first, short-lived connection only checks the scale).
      for (let i = 0; i < 100 && !child; i++) {
        const backends = pg.children().filter((c) => /\[local\]/.test(c.title));
        child = backends.length >= 4 ? backends.at(-1) : undefined;
        if (!child) await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(child, 'a pgbench backend is running');
      // Truth: the title replaces argv, /proc/PID/exe is the postgres binary, the cgroup names the unit.
      assert.match(child.title, /^postgres: /);
      assert.match(exeOf(child.pid), /\/bin\/postgres$/);
      assert.match(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`/${unit.replace(/[.@]/g, '\\$&')}$`, 'm'));
      assert.ok(!lddLibraries(exeOf(child.pid)).some((l) => /jemalloc|tcmalloc|mimalloc/.test(l)));

      const threads = threadCount(child.pid);
      const plainText = captureMaps(child.pid, { header: false });
      const capturedText = (await captureLocal(child.pid)).text;
      const [plain, captured] = [analyzeText(plainText), analyzeText(capturedText)];
      await bench;
      assert.deepEqual([captured.allocator.name, captured.allocator.confidence], ['glibc', 'loaded']);
      assert.equal(captured.header.unit, unit);
      // A backend is one thread on glibc's main arena (truth: /proc/PID/status), with no arena heap:
      // nothing shown for a switch to fix, so none is offered, and the finding says so.
      assert.equal(threads, 1);
      for (const a of [plain, captured]) {
        assert.equal(
          a.findings.find((f) => f.id === 'glibc-arenas'),
          undefined,
        );
        assert.deepEqual(preloadFixes(a), []);
        assert.match(a.findings.find((f) => f.id === 'allocator')!.message, /No allocator switch is offered/);
      }
      // The unit any drop-in for this process names (the fixes' own context, from the same real
      // dumps): the cgroup's, else the executable's name from its mapped file — never the title "postgres:".
      const fix = systemdLdPreload(contextOf(capturedText));
      assert.equal(fix.path, `/etc/systemd/system/${unit}.d/vma-lens-malloc.conf`);
      const guessed = systemdLdPreload(contextOf(plainText));
      assert.equal(guessed.path, '/etc/systemd/system/postgres.service.d/vma-lens-malloc.conf');
      assert.match(guessed.text, /a guess from the executable's name/);
      assert.doesNotMatch(JSON.stringify([fix, guessed, ...allFixes(plain), ...allFixes(captured)]), /postgres:\.service/);
    } finally {
      await pg.stop();
    }
  });
});
