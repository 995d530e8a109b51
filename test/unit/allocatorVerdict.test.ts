/**
 * The allocator verdict's input rules on hand-made input (the real processes are in
 * realVerdicts.test.ts): the new capture header keys, excerpts, executables that define their
 * own malloc, unit names, distributions and architectures, the ELF reader on hostile bytes, and
 * how the CLI, the report and the hovers show the evidence.
 *
 * Run: node --import tsx --test test/unit/allocatorVerdict.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderAnalysis, style } from '../../src/cli/report';
import { analyze, analyzeText } from '../../src/core/analyze';
import { readElfFacts } from '../../src/core/elf';
import { fixContext, systemdLdPreload } from '../../src/core/fixes';
import { parseDump } from '../../src/core/parse';
import type { Analysis, Fix } from '../../src/core/types';
import { hoverAt, pmapColumnsOf } from '../../src/editor/hoverText';
import { analysisHtml } from '../../src/report/reportHtml';
import { layout, library, MiB } from '../helpers/mapsText';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const LOADER = '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';
const header = (lines: Record<string, string>) =>
  '# vma-lens capture\n' +
  Object.entries(lines)
    .map(([k, v]) => `# ${k}: ${v}\n`)
    .join('');
const whole = (exe: string, ...libs: string[]) =>
  layout([...library(exe), ...libs.flatMap((l) => library(l)), { size: MiB, perms: 'rw-p', name: '[stack]' }, { size: 8192, perms: 'r-xp', name: '[vdso]' }]);
const fixesOf = (a: Analysis): Fix[] => a.findings.flatMap((f) => f.fixes);
/** One glibc thread arena heap (a 64 MiB-aligned slot: rw-p head, ---p reserve), above whole()'s layout. */
const ARENA_HEAP = layout(
  [
    { size: 132 * 1024, perms: 'rw-p' },
    { size: 64 * MiB - 132 * 1024, perms: '---p' },
  ],
  0x7f1000000000,
);

describe('capture header keys', () => {
  it('parses every new key; exe and comm are no longer aliases of command', () => {
    const d = parseDump(
      header({
        command: 'postgres: 15/main: checkpointer',
        exe: '/usr/lib/postgresql/15/bin/postgres',
        comm: 'postgres',
        exe_static: 'no',
        exe_symbols: 'mallctl, malloc',
        libc: LIBC,
        unit: 'postgresql@15-main.service',
        ld_preload: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
        malloc_conf: 'thp:never,metadata_thp:disabled',
        malloc_arena_max: '2',
        glibc_tunables: 'glibc.malloc.arena_max=2',
        overcommit_memory: '2',
        thp_defrag: 'always defer defer+madvise [madvise] never',
      }) + whole('/usr/lib/postgresql/15/bin/postgres', LIBC),
    );
    const h = d.header;
    assert.equal(h.command, 'postgres: 15/main: checkpointer');
    assert.equal(h.exe, '/usr/lib/postgresql/15/bin/postgres');
    assert.equal(h.comm, 'postgres');
    assert.equal(h.exeStatic, false);
    assert.deepEqual(h.exeSymbols, ['mallctl', 'malloc']);
    assert.equal(h.libc, LIBC);
    assert.equal(h.unit, 'postgresql@15-main.service');
    assert.equal(h.ldPreload, '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
    assert.equal(h.mallocConf, 'thp:never,metadata_thp:disabled');
    assert.equal(h.mallocArenaMax, 2);
    assert.equal(h.glibcTunables, 'glibc.malloc.arena_max=2');
    assert.equal(h.overcommitMemory, 2);
    assert.equal(h.thpDefrag, 'always defer defer+madvise [madvise] never');
    d.release();
  });

  it('"none" means checked and nothing defined; an old capture without the keys still reads', () => {
    assert.deepEqual(parseDump(header({ exe_symbols: 'none' })).header.exeSymbols, []);
    const old = analyzeText(header({ command: '/usr/sbin/mariadbd', threads: '4' }) + whole('/usr/sbin/mariadbd', LIBC));
    assert.equal(old.header.exeSymbols, undefined);
    assert.deepEqual([old.allocator.name, old.allocator.confidence], ['glibc', 'suspected']);
    assert.match(old.allocator.evidence, /was not captured/);
  });
});

describe('verdicts from what the input shows', () => {
  it('an excerpt with no libc line is unknown, with the reason', () => {
    const a = analyzeText(
      layout([
        { size: 4 * MiB, perms: 'rw-p' },
        { size: 60 * MiB, perms: '---p' },
        { size: MiB, perms: 'rw-p' },
      ]),
    );
    assert.deepEqual([a.allocator.name, a.allocator.confidence], ['unknown', 'unknown']);
    assert.equal(a.allocator.evidence, 'no libc mapped in this excerpt');
    assert.equal(a.allocator.preloadBlocked, undefined, 'an excerpt is not evidence of a static executable');
  });

  it('glibc is loaded only when the executable was checked to define no malloc', () => {
    // MariaDB: a server the allocator finding offers the switch for (the preload can work).
    const a = analyzeText(header({ exe: '/usr/sbin/mariadbd', exe_static: 'no', exe_symbols: 'none' }) + whole('/usr/sbin/mariadbd', LOADER, LIBC));
    assert.deepEqual([a.allocator.name, a.allocator.confidence, a.allocator.library], ['glibc', 'loaded', LIBC]);
    assert.deepEqual(
      fixesOf(a).map((f) => f.id),
      ['mysqld-safe-malloc-lib', 'systemd-ld-preload'],
    );
  });

  it('a plain glibc program with no glibc trouble gets no switch fix, and the finding says why; arena heaps get it from their finding', () => {
    const facts = header({ exe: '/usr/bin/app', exe_static: 'no', exe_symbols: 'none' });
    const a = analyzeText(facts + whole('/usr/bin/app', LOADER, LIBC));
    assert.deepEqual([a.allocator.name, a.allocator.confidence], ['glibc', 'loaded']);
    assert.deepEqual(fixesOf(a), []);
    assert.match(
      a.findings.find((f) => f.id === 'allocator')!.message,
      /No allocator switch is offered: nothing in this dump shows glibc malloc trouble for it to fix\.$/,
    );
    const arenas = analyzeText(facts + whole('/usr/bin/app', LOADER, LIBC) + ARENA_HEAP);
    assert.deepEqual(arenas.findings.find((f) => f.id === 'allocator')!.fixes, []);
    assert.match(arenas.findings.find((f) => f.id === 'allocator')!.message, /offered with the glibc arena finding/);
    assert.deepEqual(
      arenas.findings.find((f) => f.id === 'glibc-arenas')!.fixes.map((f) => f.id),
      ['malloc-arena-max', 'systemd-ld-preload'],
    );
  });

  it('an executable defining plain malloc has its own allocator: no preload fix, and the message says why', () => {
    const a = analyzeText(header({ exe: '/usr/bin/app', exe_static: 'no', exe_symbols: 'malloc' }) + whole('/usr/bin/app', LOADER, LIBC));
    assert.deepEqual([a.allocator.name, a.allocator.confidence], ['unknown', 'static']);
    assert.match(a.allocator.evidence, /defines malloc \(its own allocator\)/);
    assert.deepEqual(
      fixesOf(a).filter((f) => f.id === 'systemd-ld-preload'),
      [],
    );
    assert.match(a.findings.find((f) => f.id === 'allocator')!.message, /No LD_PRELOAD fix is offered: app defines malloc itself/);
  });

  it('a static glibc executable is glibc, linked statically', () => {
    const a = analyzeText(header({ exe: '/usr/bin/app', exe_static: 'yes', exe_symbols: '__libc_malloc, malloc' }) + whole('/usr/bin/app'));
    assert.deepEqual([a.allocator.name, a.allocator.confidence], ['glibc', 'static']);
    assert.match(a.allocator.preloadBlocked!, /statically linked/);
  });

  it("musl's loader is musl, suspected until the executable's symbols are checked", () => {
    const musl = '/usr/lib/x86_64-linux-musl/libc.so';
    const a = analyzeText(whole('/usr/bin/app', musl));
    assert.deepEqual([a.allocator.name, a.allocator.confidence, a.allocator.library], ['musl', 'suspected', musl]);
    const b = analyzeText(header({ exe_symbols: 'none' }) + whole('/usr/bin/app', '/lib/ld-musl-x86_64.so.1'));
    assert.deepEqual([b.allocator.name, b.allocator.confidence], ['musl', 'loaded']);
  });
});

describe('fix targets', () => {
  const ctxOf = (text: string) => {
    const d = parseDump(text);
    const a = analyze(d);
    d.release();
    return a;
  };

  it('the unit comes from the capture when it is a valid service name, and the drop-in says so', () => {
    // With a glibc arena heap: the trouble the switch addresses, so its finding offers the drop-in.
    const a = ctxOf(
      header({ unit: 'postgresql@15-main.service', command: 'postgres: checkpointer' }) + whole('/usr/lib/postgresql/15/bin/postgres', LIBC) + ARENA_HEAP,
    );
    const fix = fixesOf(a).find((f) => f.id === 'systemd-ld-preload')!;
    assert.equal(fix.path, '/etc/systemd/system/postgresql@15-main.service.d/vma-lens-malloc.conf');
    assert.match(fix.text, /found in \/proc\/PID\/cgroup/);
  });

  it('refuses a cgroup unit systemd would not accept and a process title, escapes an executable name as systemd-escape does', () => {
    const ctx = fixContext([], { unit: 'bad name.service', command: 'postgres: checkpointer' }, 10, 65530);
    assert.equal(ctx.unitSource, 'none');
    const fix = systemdLdPreload(ctx);
    assert.match(fix.title, /your unit \(name it\)/);
    assert.match(fix.text, /name your unit/);
    // An executable name systemd would not accept is escaped as systemd-escape does, and the drop-in says so.
    const escaped = fixContext([], { unit: 'a\\x2db.service', exe: '/usr/bin/my app' }, 10, 65530);
    assert.deepEqual([escaped.unit, escaped.unitSource], ['my\\x20app', 'exe']);
    assert.match(systemdLdPreload(escaped).text, /"my app" is not a valid unit name: escaped as systemd-escape does/);
  });

  it('the program is the executable, never a process title or a mapped data file', () => {
    assert.equal(
      fixContext(['/usr/lib/jvm/java-17-openjdk-amd64/lib/server/classes.jsa', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'], {}, 1, 1).program,
      'java',
    );
    assert.equal(fixContext(['/usr/lib/postgresql/15/bin/postgres'], { command: 'postgres: 15/main: checkpointer' }, 1, 1).program, 'postgres');
    assert.equal(fixContext([], { command: 'postgres: checkpointer', comm: 'postgres' }, 1, 1).unit, 'postgres');
  });

  it('a 32-bit process on RHEL gets /usr/lib and the i686 package; an unknown distribution gets both package commands', () => {
    const rhel32 = fixContext(['/usr/lib/libc.so.6'], {}, 1, 1, { addressBits: 32 });
    assert.deepEqual([rhel32.distro, rhel32.libDir], ['rhel', '/usr/lib']);
    assert.match(systemdLdPreload(rhel32).text, /^Environment="LD_PRELOAD=\/usr\/lib\/libjemalloc\.so\.2"$/m);
    assert.match(systemdLdPreload(rhel32).text, /dnf install jemalloc\.i686/);
    const unknown = fixContext([], { arch: 'x86_64' }, 1, 1);
    assert.equal(unknown.distro, 'unknown');
    assert.match(systemdLdPreload(unknown).text, /apt-get install libjemalloc2 \(Debian, Ubuntu\) or sudo dnf install jemalloc \(EPEL\) \(RHEL/);
    assert.match(systemdLdPreload(unknown).text, /the distribution is a guess: the library is \/usr\/lib\/<triplet>\/libjemalloc\.so\.2 on Debian/);
    assert.doesNotMatch(systemdLdPreload(rhel32).text, /is a guess/);
  });
});

describe('ELF reader on hostile input', () => {
  it('returns undefined, never throws, for non-ELF, truncated and corrupt bytes', () => {
    assert.equal(readElfFacts(new Uint8Array(0)), undefined);
    assert.equal(readElfFacts(new TextEncoder().encode('#!/bin/sh\necho hi\n'.repeat(10))), undefined);
    const fake = new Uint8Array(128);
    fake.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    new DataView(fake.buffer).setUint32(32, 0xfffffff0, true); // e_phoff far past the end
    new DataView(fake.buffer).setUint16(56, 4, true);
    assert.equal(readElfFacts(fake), undefined);
    for (let seed = 1; seed < 200; seed++) {
      const b = new Uint8Array(256).map((_, i) => (i * 2654435761 * seed) >>> 24);
      b.set([0x7f, 0x45, 0x4c, 0x46, 1 + (seed % 2), 1]);
      readElfFacts(b); // must not throw
    }
  });
});

describe('the evidence in the CLI, the report and the hovers', () => {
  const text = header({ exe: '/opt/app/bin/app', exe_static: 'no', exe_symbols: 'mallctl, malloc' }) + whole('/opt/app/bin/app', LOADER, LIBC);
  const dump = parseDump(text);
  const a = analyze(dump);

  it('the CLI prints the verdict, its confidence, evidence and why no preload', () => {
    const out = renderAnalysis(a, 'x.maps', style(false), false);
    assert.match(out, /^Allocator {2}jemalloc, linked statically$/m);
    assert.match(out, /app defines mallctl, malloc \(jemalloc linked in\)/);
    assert.match(out, /LD_PRELOAD cannot switch it: app defines malloc itself/);
  });

  it('the report shows confidence and evidence', () => {
    const html = analysisHtml(a, {
      nonce: 'n',
      cspSource: 'c',
      subject: 'x.maps',
      cmd: { openFix: 'o', copyCommand: 'c', revealLine: 'r' },
      commandLine: () => undefined,
    } as Parameters<typeof analysisHtml>[1]);
    assert.match(html, /id="allocator-confidence">linked statically</);
    assert.match(html, /id="allocator-evidence">app defines mallctl, malloc \(jemalloc linked in\)/);
  });

  it('hovers explain the new header lines and give the verdict on the ones it rests on', () => {
    const lines = text.split('\n');
    const src = { dump, analysis: a, pmapColumns: pmapColumnsOf(text) };
    const at = (key: string) => {
      const n = lines.findIndex((l) => l.startsWith(`# ${key}:`));
      return hoverAt(src, n + 1, lines[n], 3)!.markdown;
    };
    assert.match(at('exe_symbols'), /defines\*\* itself.*Allocator: \*\*jemalloc\*\*, linked statically/s);
    assert.match(at('exe_static'), /dynamically linked/);
    assert.match(at('exe'), /\/opt\/app\/bin\/app/);
  });
});
