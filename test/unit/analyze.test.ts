import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, analyzeText } from '../../src/core/analyze';
import { fixContext, MYSQLD_SAFE_LIB_DIRS, mysqldSafeMallocLib, recommendedMaxMapCount, systemdLdPreload } from '../../src/core/fixes';
import { parseDump } from '../../src/core/parse';
import type { Analysis, FindingId, VmaKind } from '../../src/core/types';
import { GiB, KiB, layout, library, mapsLine, MiB, Region } from '../helpers/mapsText';

const find = (a: Analysis, id: FindingId) => a.findings.find((f) => f.id === id);
const kindsOf = (text: string) => {
  const d = parseDump(text);
  analyze(d);
  return Array.from({ length: d.count }, (_, i) => d.kindOf(i));
};

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const EXE = '/usr/sbin/mariadbd';

/** A thread stack as glibc maps it: a guard page, then the stack above it. */
const thread = (stack = 8 * MiB): Region[] => [
  { size: 4 * KiB, perms: '---p' },
  { size: stack - 4 * KiB, perms: 'rw-p' },
];

describe('classification', () => {
  it('tells image segments apart: text, rodata, data, bss, and the gaps between segments', () => {
    const kinds = kindsOf(
      layout([
        ...library(LIBC),
        { size: 2 * MiB, perms: '---p', name: '/usr/lib/x86_64-linux-gnu/libfoo.so.1' },
        { size: 4 * KiB, perms: 'r-xp', name: '/usr/lib/x86_64-linux-gnu/libfoo.so.1' },
      ]),
    );
    assert.deepEqual(kinds, ['rodata', 'text', 'rodata', 'data', 'bss', 'image-gap', 'text']);
  });

  it('finds thread stacks above their guard pages, and glibc arena heads and reserves in 64 MiB slots', () => {
    const text = layout(
      [
        { at: 0x7f0840000000, size: 132 * KiB, perms: 'rw-p' },
        { size: 64 * MiB - 132 * KiB, perms: '---p' },
        ...thread(),
        ...thread(256 * KiB),
        { gap: 64 * KiB, size: 1 * MiB, perms: 'rw-p' },
      ],
      0,
    );
    assert.deepEqual(kindsOf(text), ['arena', 'arena-reserve', 'guard', 'thread-stack', 'guard', 'thread-stack', 'anon']);
    const a = analyzeText(text);
    assert.equal(a.arenas, 1);
    assert.equal(a.threads, 2);
  });

  it('does not take an unaligned or overfull slot for an arena', () => {
    const kinds = kindsOf(
      layout(
        [
          { at: 0x7f0840001000, size: 132 * KiB, perms: 'rw-p' },
          { size: 64 * MiB - 132 * KiB, perms: '---p' },
          { at: 0x7f0900000000, size: 128 * MiB, perms: 'rw-p' },
        ],
        0,
      ),
    );
    assert.deepEqual(kinds, ['anon', 'reserved', 'anon']);
  });

  it('names every pseudo-path and shared-memory kind', () => {
    const text = [
      mapsLine('55c48a381000', '55c48a3a2000', 'rw-p', '00000000', '00:00', 0, '[heap]'),
      mapsLine('7f0000000000', '7f0000001000', 'rw-s', '00000000', '00:01', 5, '/dev/zero (deleted)'),
      mapsLine('7f0000001000', '7f0000002000', 'rw-s', '00000000', '00:01', 6, '/memfd:pool (deleted)'),
      mapsLine('7f0000002000', '7f0000003000', 'rw-s', '00000000', '00:01', 7, '/SYSV0000002a (deleted)'),
      mapsLine('7f0000003000', '7f0000004000', 'rw-p', '00000000', '00:00', 0, '[anon_shmem:cache]'),
      mapsLine('7f0000004000', '7f0000005000', 'rw-s', '00000000', '00:00', 0),
      mapsLine('7f0000005000', '7f0000006000', 'r-xp', '00000000', 'fe:00', 8, '/usr/lib/libold.so.1 (deleted)'),
      mapsLine('7f0000006000', '7f0000007000', 'r--p', '00000000', 'fe:00', 9, '/usr/lib/locale/locale-archive'),
      mapsLine('7f0000007000', '7f0000008000', 'rw-p', '00000000', '00:00', 0, '[anon:jit]'),
      mapsLine('7f0000008000', '7f000000a000', 'r--p', '00000000', '00:00', 0, '[vvar]'),
      mapsLine('7f000000a000', '7f000000b000', 'r--p', '00000000', '00:00', 0, '[vvar_vclock]'),
      mapsLine('7f000000b000', '7f000000d000', 'r-xp', '00000000', '00:00', 0, '[vdso]'),
      mapsLine('7ffed4aaf000', '7ffed4ad0000', 'rw-p', '00000000', '00:00', 0, '[stack]'),
      mapsLine('7ffed5000000', '7ffed5800000', 'rw-p', '00000000', '00:00', 0, '[stack:4242]'),
      mapsLine('ffffffffff600000', 'ffffffffff601000', '--xp', '00000000', '00:00', 0, '[vsyscall]'),
    ].join('\n');
    const expected: VmaKind[] = [
      'heap',
      'shm',
      'shm',
      'shm',
      'shm',
      'shm',
      'deleted',
      'file',
      'anon',
      'vvar',
      'vvar',
      'vdso',
      'stack',
      'thread-stack',
      'vsyscall',
    ];
    assert.deepEqual(kindsOf(text), expected);
    const a = analyzeText(text);
    assert.equal(a.vmaCount, expected.length - 1, '[vsyscall] does not count toward the limit');
    assert.equal(a.totals.count, a.vmaCount, 'one rule: the kind table totals the VMAs the kernel counts');
    assert.equal(a.kinds.vsyscall?.count, 1, 'still known, for hovers');
  });
});

describe('allocator detection', () => {
  const withLib = (path: string) => layout([...library('/usr/sbin/mysqld'), ...library(LIBC), ...library(path)]);

  for (const [path, name, soname, variant] of [
    ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', 'jemalloc', 'libjemalloc.so.2', undefined],
    ['/usr/lib64/libjemalloc.so.1', 'jemalloc', 'libjemalloc.so.1', undefined],
    ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10', 'tcmalloc', 'libtcmalloc_minimal.so.4.5.10', 'minimal'],
    ['/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4', 'tcmalloc', 'libtcmalloc.so.4', undefined],
    ['/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0', 'mimalloc', 'libmimalloc.so.2.0', undefined],
  ] as const) {
    it(`${soname} → ${name}${variant ? ` (${variant})` : ''}`, () => {
      const a = analyzeText(withLib(path));
      assert.equal(a.allocator.name, name);
      assert.equal(a.allocator.confidence, 'loaded');
      assert.equal(a.allocator.library, path);
      assert.equal(a.allocator.soname, soname);
      assert.equal(a.allocator.variant, variant);
      assert.match(find(a, 'allocator')!.message, new RegExp(`loaded from ${path.replace(/\./g, '\\.')}`));
    });
  }

  it('glibc, suspected, when libc is mapped and no other allocator library is, with fixes to switch for a database', () => {
    const a = analyzeText(layout([...library(EXE), ...library(LIBC)]));
    assert.equal(a.allocator.name, 'glibc');
    assert.equal(a.allocator.confidence, 'suspected', 'without exe_symbols the executable may define its own malloc');
    assert.equal(a.allocator.library, LIBC);
    assert.deepEqual(
      find(a, 'allocator')!.fixes.map((f) => f.id),
      ['mysqld-safe-malloc-lib', 'systemd-ld-preload'],
    );
  });

  it('warns when two allocators are mapped', () => {
    const a = analyzeText(
      layout([...library(EXE), ...library('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'), ...library('/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4')]),
    );
    assert.equal(a.allocator.name, 'jemalloc');
    assert.equal(a.allocator.others[0].name, 'tcmalloc');
    assert.equal(find(a, 'allocator')!.severity, 'warning');
  });

  it('suspects a statically linked jemalloc from 2 MiB-aligned extents and no arenas', () => {
    const extents: Region[] = Array.from({ length: 10 }, (_, k) => ({ at: 0x7f0000000000 + k * 64 * MiB, size: 4 * MiB, perms: 'rw-p' }));
    const a = analyzeText(layout([...library('/usr/sbin/scylla'), ...library(LIBC), ...thread(), ...extents]));
    assert.equal(a.allocator.name, 'jemalloc');
    assert.equal(a.allocator.confidence, 'suspected');
    assert.equal(a.kinds.allocator?.count, 10);
    const glibc = analyzeText(layout([...library('/usr/sbin/scylla'), ...library(LIBC), ...thread(), ...extents.slice(0, 3)]));
    assert.deepEqual([glibc.allocator.name, glibc.allocator.confidence], ['glibc', 'suspected'], 'too few aligned extents is no evidence');
  });
});

describe('findings', () => {
  const atCount = (n: number, header = '') => header + layout(Array.from({ length: n }, () => ({ size: 4 * KiB, perms: 'rw-p', gap: 4 * KiB })));

  it('vma-limit: info below 60%, warning from 60%, error from 90%, with the limit source', () => {
    const cases: [number, string][] = [
      [59, 'info'],
      [60, 'warning'],
      [89, 'warning'],
      [90, 'error'],
      [100, 'error'],
    ];
    for (const [n, sev] of cases) {
      const a = analyzeText(atCount(n, '# max_map_count: 100\n'));
      const f = find(a, 'vma-limit')!;
      assert.equal(f.severity, sev, `${n}/100`);
      assert.equal(a.maxMapCountSource, 'header');
      assert.equal(f.lines[0], 1, 'points at the header line');
      assert.equal(
        f.fixes.some((x) => x.id === 'sysctl-max-map-count'),
        sev !== 'info',
      );
    }
    const opt = analyzeText(atCount(50, '# max_map_count: 100\n'), { maxMapCount: 55 });
    assert.equal(opt.maxMapCount, 55);
    assert.equal(opt.maxMapCountSource, 'option');
    assert.equal(find(opt, 'vma-limit')!.severity, 'error');
    const def = analyzeText(atCount(10));
    assert.equal(def.maxMapCount, 65530);
    assert.equal(def.maxMapCountSource, 'default');
    assert.match(find(def, 'vma-limit')!.message, /kernel default/);
    const custom = analyzeText(atCount(10), { defaultMaxMapCount: 12, warnRatio: 0.5, errorRatio: 0.95 });
    assert.equal(custom.maxMapCount, 12);
    assert.equal(find(custom, 'vma-limit')!.severity, 'warning');
  });

  it('vma-fragmentation: counts the VMAs the munmap-splitting costs, holes and permission splits', () => {
    const holes: Region[] = Array.from({ length: 2000 }, () => ({ size: 4 * KiB, perms: 'rw-p', gap: 4 * KiB }));
    const splits: Region[] = Array.from({ length: 1000 }, (_, k) => ({ size: 4 * KiB, perms: k % 2 ? '---p' : 'rw-p' }));
    const a = analyzeText(layout([...holes, { gap: 64 * MiB, size: 4 * KiB, perms: 'r--p', name: '/x' }, ...splits]));
    const f = find(a, 'vma-fragmentation')!;
    assert.ok(f);
    assert.equal(f.data.vmas, 3000);
    assert.equal(f.data.clusters, 2);
    assert.equal(f.data.cost, 2998);
    assert.equal(f.data.holes, 1999);
    assert.equal(f.data.splits, 999);
    assert.equal(f.fixes[0].id, 'sysctl-max-map-count');
    const quiet = analyzeText(layout(Array.from({ length: 50 }, () => ({ size: 4 * MiB, perms: 'rw-p', gap: 4 * MiB }))));
    assert.equal(find(quiet, 'vma-fragmentation'), undefined, 'large mappings are not fragmentation');
  });

  it('glibc-arenas: slots, VMAs and address space, with MALLOC_ARENA_MAX and allocator fixes', () => {
    const slots: Region[] = Array.from({ length: 40 }, (_, k) => [
      { at: 0x7e0000000000 + k * 64 * MiB, size: 132 * KiB, perms: 'rw-p' },
      { size: 64 * MiB - 132 * KiB, perms: '---p' },
    ]).flat();
    const a = analyzeText('# command: /usr/sbin/mariadbd\n' + layout([...library(EXE), ...library(LIBC), ...slots]));
    const f = find(a, 'glibc-arenas')!;
    assert.equal(f.data.arenas, 40);
    assert.equal(f.data.vmas, 80);
    assert.equal(f.data.bytes, 40 * 64 * MiB);
    assert.equal(f.severity, 'warning');
    assert.deepEqual(
      f.fixes.map((x) => x.id),
      ['malloc-arena-max', 'mysqld-safe-malloc-lib', 'systemd-ld-preload'],
    );
    assert.match(f.fixes[0].text, /Environment="MALLOC_ARENA_MAX=4"/);
    assert.match(f.fixes[0].path, /^\/etc\/systemd\/system\/mariadb\.service\.d\//);
  });

  it('jemalloc-hugepage: 512 MiB-aligned extents and huge reservations on a 64K-page arm64 dump', () => {
    const JE = '/usr/lib64/libjemalloc.so.2';
    const text =
      '# arch: aarch64\n# page_size: 65536\n# hugepagesize: 524288 kB\n' +
      layout([
        ...library('/usr/libexec/mysqld'),
        ...library('/usr/lib64/libc.so.6'),
        ...library(JE),
        { at: 0xffff40000000, size: 512 * MiB, perms: 'rw-p' },
        { size: 512 * MiB, perms: 'rw-p' },
        { size: 1024 * MiB, perms: 'rw-p' },
        { size: 4 * GiB, perms: '---p' },
      ]);
    const a = analyzeText(text);
    assert.equal(a.allocator.name, 'jemalloc');
    const f = find(a, 'jemalloc-hugepage')!;
    assert.equal(f.severity, 'error');
    assert.equal(f.data.aligned512, 4, '512 MiB, 512 MiB, 1 GiB and the 4 GiB reservation');
    assert.equal(f.data.aligned512Bytes, 6 * GiB);
    assert.equal(f.data.hugePageSize, 512 * MiB);
    assert.deepEqual(
      f.fixes.map((x) => x.id),
      ['jemalloc-lg-hugepage', 'kernel-default-hugepagesz'],
    );
    assert.match(f.fixes[0].text, /--with-lg-hugepage=21/);
    assert.match(f.fixes[0].text, /--with-lg-page is a different knob/);
    assert.match(f.fixes[1].text, /grubby --update-kernel=ALL --args="default_hugepagesz=2M"/, 'lib64 layout: RHEL');
    const glibc = analyzeText('# hugepagesize: 524288 kB\n' + layout([...library('/usr/libexec/mysqld'), ...library('/usr/lib64/libc.so.6')]));
    assert.equal(find(glibc, 'jemalloc-hugepage')!.severity, 'info', 'a warning for later, not an error');
    const x86 = analyzeText('# hugepagesize: 2048 kB\n' + layout([...library('/usr/sbin/mysqld'), ...library('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2')]));
    assert.equal(find(x86, 'jemalloc-hugepage'), undefined);
  });

  it('jemalloc-hugepage: KernelPageSize 64 kB in smaps is evidence too', () => {
    const text = layout([...library('/usr/lib64/libjemalloc.so.2')]).replace(/\n/g, '\nKernelPageSize:       64 kB\n');
    const f = find(analyzeText(text), 'jemalloc-hugepage')!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.data.kernelPage64k, true);
  });

  it('thread-stacks: threads and the VMAs they cost, against the header thread count', () => {
    const a = analyzeText('# threads: 4\n' + layout([...library(LIBC), ...thread(), ...thread(), ...thread()]));
    const f = find(a, 'thread-stacks')!;
    assert.equal(f.data.threads, 3);
    assert.equal(f.data.vmas, 6);
    assert.match(f.message, /capture counted 4 threads/);
  });

  it('deleted-mapping: a library replaced under a running process is a warning', () => {
    const lib = library('/usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)', { bss: false });
    const a = analyzeText(layout([...library(EXE), ...lib, { size: 4 * KiB, perms: 'r--p', name: '/tmp/gone.db (deleted)' }]));
    const f = find(a, 'deleted-mapping')!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.data.files, 2);
    assert.equal(f.lineCount, 5);
    assert.match(f.message, /libssl\.so\.3/);
  });

  it('orders findings by severity and reports malformed lines as a finding', () => {
    const a = analyzeText('# max_map_count: 10\n' + atCount(10) + 'not a line\n');
    assert.deepEqual(
      a.findings.map((f) => f.severity),
      [...a.findings.map((f) => f.severity)].sort((x, y) => ['error', 'warning', 'info'].indexOf(x) - ['error', 'warning', 'info'].indexOf(y)),
    );
    assert.equal(find(a, 'malformed-lines')!.lines[0], 12);
  });
});

describe('fixes', () => {
  it('sysctl value: at least 4x the VMAs, rounded up to 262144, 524288, 1048576…', () => {
    assert.equal(recommendedMaxMapCount(100), 262144);
    assert.equal(recommendedMaxMapCount(65530), 262144);
    assert.equal(recommendedMaxMapCount(65537), 524288);
    assert.equal(recommendedMaxMapCount(262144), 1048576);
    assert.equal(recommendedMaxMapCount(300000), 2097152);
    const a = analyzeText('# max_map_count: 65530\n' + layout(Array.from({ length: 100 }, () => ({ size: 4 * KiB, perms: 'rw-p', gap: 4 * KiB }))), {
      maxMapCount: 100,
    });
    const fix = find(a, 'vma-limit')!.fixes[0];
    assert.equal(fix.path, '/etc/sysctl.d/99-vma-lens-max-map-count.conf');
    assert.match(fix.text, /^vm\.max_map_count = 262144$/m);
    assert.match(fix.text, /sysctl -p \/etc\/sysctl\.d\/99-vma-lens-max-map-count\.conf/);
    assert.match(fix.text, /sysctl --system/);
    assert.deepEqual(fix.commands[0], 'sudo sysctl -w vm.max_map_count=262144');
  });

  const names = (libc: string, exe = EXE) => [exe, libc];

  it('malloc-lib path follows the dump: Debian x86_64 multiarch, accepted by mysqld_safe', () => {
    const ctx = fixContext(names(LIBC, '/usr/sbin/mysqld'), {}, 1000, 65530);
    assert.equal(ctx.distro, 'debian');
    assert.equal(ctx.unit, 'mysql');
    const fix = mysqldSafeMallocLib(ctx);
    assert.match(fix.text, /^\[mysqld_safe\]\nmalloc-lib=\/usr\/lib\/x86_64-linux-gnu\/libjemalloc\.so\.2$/m);
    assert.doesNotMatch(fix.text, /WARNING/);
    assert.ok(MYSQLD_SAFE_LIB_DIRS.includes('/usr/lib/x86_64-linux-gnu'));
  });

  it('malloc-lib on aarch64 Debian: MySQL refuses the directory, so the fix says so and points to systemd', () => {
    const ctx = fixContext(names('/usr/lib/aarch64-linux-gnu/libc.so.6', '/usr/sbin/mysqld'), {}, 1000, 65530);
    const fix = mysqldSafeMallocLib(ctx);
    assert.match(fix.text, /malloc-lib=\/usr\/lib\/aarch64-linux-gnu\/libjemalloc\.so\.2/);
    assert.match(fix.text, /WARNING: MySQL's mysqld_safe accepts malloc-lib only from/);
    assert.match(fix.text, /systemd/);
    const drop = systemdLdPreload(ctx);
    assert.equal(drop.path, '/etc/systemd/system/mysql.service.d/vma-lens-malloc.conf');
    assert.match(drop.text, /^\[Service\]\nEnvironment="LD_PRELOAD=\/usr\/lib\/aarch64-linux-gnu\/libjemalloc\.so\.2"$/m);
  });

  it('RHEL lib64 layout: /usr/lib64 library and the mysqld unit; MariaDB: the mariadb unit', () => {
    const rhel = fixContext(names('/usr/lib64/libc.so.6', '/usr/libexec/mysqld'), {}, 1000, 65530);
    assert.equal(rhel.distro, 'rhel');
    assert.equal(rhel.unit, 'mysqld');
    assert.match(mysqldSafeMallocLib(rhel).text, /malloc-lib=\/usr\/lib64\/libjemalloc\.so\.2/);
    assert.match(mysqldSafeMallocLib(rhel).path, /^\/etc\/my\.cnf\.d\//);
    const maria = fixContext(names(LIBC, '/usr/sbin/mariadbd'), {}, 1000, 65530);
    assert.equal(maria.unit, 'mariadb');
    assert.match(systemdLdPreload(maria).path, /\/mariadb\.service\.d\//);
    assert.match(mysqldSafeMallocLib(maria).text, /version_malloc_library/);
    assert.match(mysqldSafeMallocLib(maria, 'tcmalloc').text, /libtcmalloc_minimal\.so\.4/);
  });
});
