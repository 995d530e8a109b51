import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DumpParser, parseDump } from '../../src/core/parse';
import type { Dump } from '../../src/core/dump';
import { mapsLine } from '../helpers/mapsText';

function rows(d: Dump) {
  return Array.from({ length: d.count }, (_, i) => d.vma(i));
}

describe('maps lines', () => {
  it('reads every column of a 64-bit line, keeping the line number', () => {
    const d = parseDump(
      [
        mapsLine('55c48268e000', '55c482690000', 'r--p', '00002000', 'fe:00', 260875, '/usr/bin/sleep'),
        mapsLine('7ffed4aaf000', '7ffed4ad0000', 'rw-p', '00000000', '00:00', 0, '[stack]'),
      ].join('\n') + '\n',
    );
    assert.equal(d.count, 2);
    assert.equal(d.format, 'maps');
    const [a, b] = rows(d);
    assert.equal(a.startHex, '55c48268e000');
    assert.equal(a.endHex, '55c482690000');
    assert.equal(a.size, 0x2000);
    assert.equal(a.perms, 'r--p');
    assert.equal(a.offset, 0x2000);
    assert.equal(a.dev, 'fe:00');
    assert.equal(a.inode, 260875);
    assert.equal(a.name, '/usr/bin/sleep');
    assert.equal(a.line, 1);
    assert.equal(b.name, '[stack]');
    assert.equal(b.line, 2);
    assert.equal(d.malformedCount, 0);
  });

  it('keeps [vsyscall] at ffffffffff600000 exact, beyond 2^53', () => {
    const d = parseDump(mapsLine('ffffffffff600000', 'ffffffffff601000', '--xp', '00000000', '00:00', 0, '[vsyscall]') + '\n');
    const v = d.vma(0);
    assert.equal(v.startHex, 'ffffffffff600000');
    assert.equal(v.endHex, 'ffffffffff601000');
    assert.equal(v.size, 4096);
    assert.equal(BigInt(v.start), 0xffffffffff600000n);
  });

  it('reads 32-bit lines with 8-digit addresses and the 49-column padding', () => {
    const line = mapsLine('08048000', '08049000', 'r-xp', '00000000', '08:01', 1234, '/bin/true');
    assert.equal(line.indexOf('/bin/true'), 49);
    const d = parseDump(line + '\n' + mapsLine('b7700000', 'b7721000', 'rw-p') + '\n');
    assert.equal(d.count, 2);
    assert.equal(d.vma(0).startHex, '08048000');
    assert.equal(d.vma(1).endHex, 'b7721000');
    assert.equal(d.vma(1).name, '');
  });

  it('reads unnamed lines ending with the inode and a trailing space', () => {
    const d = parseDump('7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n7f0000002000-7f0000003000 ---p 00000000 00:00 0\n');
    assert.equal(d.count, 2);
    assert.equal(d.name(0), undefined);
    assert.equal(d.permsText(1), '---p');
  });

  it('keeps spaces in names, decodes \\012, and splits off " (deleted)"', () => {
    const d = parseDump(
      [
        mapsLine('7f0000000000', '7f0000001000', 'r--p', '00000000', '08:01', 5, '/var/lib/my data/file with spaces.db'),
        mapsLine('7f0000001000', '7f0000002000', 'r--p', '00000000', '08:01', 6, '/tmp/new\\012line'),
        mapsLine('7f0000002000', '7f0000003000', 'r-xp', '00000000', '08:01', 7, '/usr/lib/libfoo.so.1 (deleted)'),
      ].join('\n'),
    );
    assert.equal(d.vma(0).name, '/var/lib/my data/file with spaces.db');
    assert.equal(d.vma(1).name, '/tmp/new\nline');
    assert.equal(d.vma(2).name, '/usr/lib/libfoo.so.1');
    assert.equal(d.vma(2).deleted, true);
    assert.equal(d.vma(0).deleted, false);
  });

  it('reads every special name of the brief', () => {
    const names = [
      '[heap]',
      '[stack]',
      '[stack:1234]',
      '[vdso]',
      '[vvar]',
      '[vvar_vclock]',
      '[anon:libc_malloc]',
      '[anon_shmem:shared]',
      '/dev/zero (deleted)',
      '/memfd:pool (deleted)',
      '/SYSV0000002a (deleted)',
    ];
    const text = names
      .map((n, k) =>
        mapsLine(
          (0x7f0000000000 + k * 0x10000).toString(16),
          (0x7f0000001000 + k * 0x10000).toString(16),
          n.startsWith('/') ? 'rw-s' : 'rw-p',
          '00000000',
          n.startsWith('/') ? '00:01' : '00:00',
          n.startsWith('/') ? 99 : 0,
          n,
        ),
      )
      .join('\n');
    const d = parseDump(text);
    assert.equal(d.count, names.length);
    assert.deepEqual(
      rows(d).map((v) => v.name + (v.deleted ? ' (deleted)' : '')),
      names,
    );
  });

  it('accepts CRLF line ends and 3-digit device majors', () => {
    const d = parseDump(
      mapsLine('7f0000000000', '7f0000001000', 'r--p', '00000000', '103:02', 12, '/data/x') +
        '\r\n' +
        mapsLine('7f0000001000', '7f0000002000', 'rw-p') +
        '\r\n',
    );
    assert.equal(d.count, 2);
    assert.equal(d.vma(0).dev, '103:02');
    assert.equal(d.vma(0).name, '/data/x');
    assert.equal(d.name(1), undefined);
  });

  it('reports a malformed line with its number and reason, and reads the rest', () => {
    const d = parseDump(
      [
        mapsLine('7f0000000000', '7f0000001000', 'rw-p'),
        '7f0000001000-7f0000002000 rwzp 00000000 00:00 0',
        'garbage here',
        '7f0000003000-7f0000002000 rw-p 00000000 00:00 0',
        '7f00000\x0000-7f0000005000 rw-p 00000000 00:00 0',
        mapsLine('7f0000006000', '7f0000007000', 'r--p'),
      ].join('\n'),
    );
    assert.equal(d.count, 2);
    assert.deepEqual(
      d.malformed.map((m) => [m.line, m.reason]),
      [
        [2, 'permissions must be four characters like "r-xp"'],
        [3, 'not a maps, smaps or pmap line'],
        [4, 'end address is below the start address'],
        [5, 'binary data (NUL bytes) in the line'],
      ],
    );
    assert.equal(d.vma(1).line, 6);
  });

  it('rejects addresses of more than 16 digits and malformed devices and inodes', () => {
    const d = parseDump(
      [
        '1ffffffffff600000-ffffffffff601000 r--p 00000000 00:00 0',
        '7f0000000000-7f0000001000 r--p 00000000 0000 0',
        '7f0000000000-7f0000001000 r--p 00000000 00:00 12x',
        '7f0000000000-7f0000001000 r--p zz 00:00 0',
      ].join('\n'),
    );
    assert.equal(d.count, 0);
    assert.deepEqual(
      d.malformed.map((m) => m.reason),
      [
        'address has more than 16 hexadecimal digits',
        'device must be "major:minor" in hexadecimal',
        'inode is not a decimal number',
        'offset is not hexadecimal',
      ],
    );
  });

  it('notes when addresses are out of order and sorts them for analysis', () => {
    const d = parseDump([mapsLine('7f0000002000', '7f0000003000', 'rw-p'), mapsLine('7f0000000000', '7f0000001000', 'rw-p')].join('\n'));
    assert.equal(d.sorted, false);
    assert.deepEqual([...d.order()], [1, 0]);
  });
});

describe('headers', () => {
  it('reads every capture key, with units and aliases', () => {
    const d = parseDump(
      [
        '# vma-lens capture',
        '# host: db1.example',
        '# pid: 4242',
        '# command: /usr/sbin/mariadbd --user=mysql',
        '# time: 2026-11-22T10:00:00Z',
        '# vm.max_map_count: 262144',
        '# page_size: 65536',
        '# Hugepagesize: 524288 kB',
        '# thp: always [madvise] never',
        '# kernel: 4.18.0-553.el8.aarch64',
        '# arch: aarch64',
        '# threads: 57',
        '# cpus: 16',
        '# a plain comment',
        mapsLine('7f0000000000', '7f0000001000', 'rw-p'),
      ].join('\n'),
    );
    const h = d.header;
    assert.equal(h.host, 'db1.example');
    assert.equal(h.pid, 4242);
    assert.equal(h.command, '/usr/sbin/mariadbd --user=mysql');
    assert.equal(h.time, '2026-11-22T10:00:00Z');
    assert.equal(h.maxMapCount, 262144);
    assert.equal(h.pageSize, 65536);
    assert.equal(h.hugePageSize, 512 * 1024 * 1024);
    assert.equal(h.thp, 'always [madvise] never');
    assert.equal(h.kernel, '4.18.0-553.el8.aarch64');
    assert.equal(h.arch, 'aarch64');
    assert.equal(h.threads, 57);
    assert.equal(h.cpus, 16);
    assert.equal(h.lines.max_map_count, 6);
    assert.equal(d.count, 1);
    assert.equal(d.vma(0).line, 15);
  });
});

describe('smaps, smaps_rollup and pmap', () => {
  const smaps = [
    mapsLine('7f0000000000', '7f0000200000', 'rw-p'),
    'Size:               2048 kB',
    'KernelPageSize:        4 kB',
    'MMUPageSize:           4 kB',
    'Rss:                1024 kB',
    'Pss:                 512 kB',
    'Pss_Dirty:           512 kB',
    'Shared_Clean:          0 kB',
    'Shared_Dirty:          0 kB',
    'Private_Clean:         0 kB',
    'Private_Dirty:      1024 kB',
    'Referenced:         1024 kB',
    'Anonymous:          1024 kB',
    'KSM:                   0 kB',
    'LazyFree:              0 kB',
    'AnonHugePages:      2048 kB',
    'ShmemPmdMapped:        0 kB',
    'FilePmdMapped:         0 kB',
    'Shared_Hugetlb:        0 kB',
    'Private_Hugetlb:       0 kB',
    'Swap:                 16 kB',
    'SwapPss:              16 kB',
    'Locked:                0 kB',
    'THPeligible:           1',
    'ProtectionKey:         0',
    'VmFlags: rd wr mr mw me ac sd hg',
  ].join('\n');

  it('reads every smaps field by key and VmFlags', () => {
    const d = parseDump(smaps + '\n');
    assert.equal(d.format, 'smaps');
    const v = d.vma(0);
    assert.equal(v.smaps?.Rss, 1024);
    assert.equal(v.smaps?.AnonHugePages, 2048);
    assert.equal(v.smaps?.Swap, 16);
    assert.equal(v.smaps?.THPeligible, 1);
    assert.equal(v.smaps?.ProtectionKey, 0);
    assert.equal(v.smaps?.Anonymous, 1024);
    assert.deepEqual(v.vmFlags, ['rd', 'wr', 'mr', 'mw', 'me', 'ac', 'sd', 'hg']);
    assert.equal(d.malformedCount, 0);
  });

  it('reads the real smaps of this process without a malformed line', () => {
    // Both read before either is parsed: parsing maps memory, which changes this process's maps.
    const smapsText = readFileSync('/proc/self/smaps');
    const mapsText = readFileSync('/proc/self/maps');
    const d = parseDump(smapsText);
    assert.equal(d.format, 'smaps');
    assert.equal(d.malformedCount, 0);
    const maps = parseDump(mapsText);
    assert.ok(d.count > 10 && Math.abs(d.count - maps.count) < 10, `${d.count} vs ${maps.count}`);
    assert.ok(d.fields.get('Rss'));
  });

  it('reads smaps_rollup as one [rollup] line with Pss_Anon/File/Shmem', () => {
    const d = parseDump(readFileSync('/proc/self/smaps_rollup'));
    assert.equal(d.format, 'smaps_rollup');
    assert.equal(d.count, 1);
    assert.equal(d.name(0), '[rollup]');
    assert.ok(d.vma(0).smaps!.Pss_Anon >= 0);
    assert.ok(d.vma(0).smaps!.Rss > 0);
  });

  it('reads pmap -x with [ anon ] rows and the totals footer', () => {
    const d = parseDump(
      [
        '4841:   sleep 300',
        'Address           Kbytes     RSS   Dirty Mode  Mapping',
        '000055c48268e000       8       8       0 r---- sleep',
        '000055c48a381000     132      16      16 rw---   [ anon ]',
        '00007ffed4aaf000     132      12      12 rw---   [ stack ]',
        'ffffffffff600000       4       0       0 --x--   [ anon ]',
        '---------------- ------- ------- -------',
        'total kB            2924    1788     108',
      ].join('\n'),
    );
    assert.equal(d.format, 'pmap-x');
    assert.equal(d.count, 4);
    assert.equal(d.malformedCount, 0);
    assert.equal(d.header.pid, 4841);
    assert.equal(d.header.command, 'sleep 300');
    assert.equal(d.vma(1).size, 132 * 1024);
    assert.equal(d.vma(1).name, '');
    assert.equal(d.vma(1).smaps?.Rss, 16);
    assert.equal(d.vma(2).name, '[stack]');
    assert.equal(d.vma(3).endHex, 'ffffffffff601000');
  });

  it('reads pmap -X and -XX, keeping VmFlags and names with spaces', () => {
    const d = parseDump(
      [
        '4841:   sleep 300',
        '         Address Perm   Offset Device  Inode Size KernelPageSize MMUPageSize  Rss Pss Pss_Dirty Shared_Clean Shared_Dirty Private_Clean Private_Dirty Referenced Anonymous KSM LazyFree AnonHugePages ShmemPmdMapped FilePmdMapped Shared_Hugetlb Private_Hugetlb Swap SwapPss Locked THPeligible              VmFlags Mapping',
        '    55c48268e000 r--p 00000000  fe:00 260875    8              4           4    8   8         0            0            0             8             0          8         0   0        0             0              0             0              0               0    0       0      0           0          rd mr mw me sleep',
        '    7f0000000000 rw-s 00000000  00:01   1234 2048              4           4  100 100         0            0            0             0           100        100         0   0        0             0              0             0              0               0    0       0      0           0    rd wr sh mr mw me ms my shared file',
        '                                             ==== ============== =========== ==== ===',
        '                                             2056             8           8  108 108 KB ',
      ].join('\n'),
    );
    assert.equal(d.format, 'pmap-X');
    assert.equal(d.count, 2, JSON.stringify(d.malformed));
    assert.equal(d.malformedCount, 0);
    assert.equal(d.vma(0).name, 'sleep');
    assert.deepEqual(d.vma(0).vmFlags, ['rd', 'mr', 'mw', 'me']);
    assert.equal(d.vma(0).smaps?.KernelPageSize, 4);
    assert.equal(d.vma(1).name, 'my shared file');
    assert.equal(d.vma(1).perms, 'rw-s');
    assert.equal(d.vma(1).dev, '00:01');
    assert.equal(d.vma(1).inode, 1234);
    assert.equal(d.vma(1).size, 2048 * 1024);
  });

  it('reads plain pmap output', () => {
    const d = parseDump(
      ['4841:   sleep 300', '000055c48268e000      8K r---- sleep', '000055c48a381000    132K rw---   [ anon ]', ' total             140K'].join('\n'),
    );
    assert.equal(d.format, 'pmap');
    assert.equal(d.count, 2);
    assert.equal(d.vma(0).size, 8192);
  });
});

describe('streaming', () => {
  it('gives the same dump for any chunking of the input', () => {
    const text = readFileSync('/proc/self/smaps');
    const whole = parseDump(text);
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const p = new DumpParser();
      for (let o = 0; o < text.length; o += size) p.push(text.subarray(o, o + size));
      const d = p.end();
      assert.equal(d.count, whole.count, `chunk ${size}`);
      assert.deepEqual(rows(d), rows(whole), `chunk ${size}`);
      assert.equal(d.malformedCount, whole.malformedCount);
    }
  });

  it('reports an over-long line once and goes on', () => {
    const long = 'x'.repeat(200000);
    const p = new DumpParser();
    const text = Buffer.from(`${long}\n${mapsLine('7f0000000000', '7f0000001000', 'rw-p')}\n`);
    for (let o = 0; o < text.length; o += 1000) p.push(text.subarray(o, o + 1000));
    const d = p.end();
    assert.equal(d.count, 1);
    assert.equal(d.malformedCount, 1);
    assert.equal(d.malformed[0].reason, 'line is longer than 64 KiB');
    assert.equal(d.vma(0).line, 2);
  });

  it('reports a line over 64 KiB the same whether it arrives whole or across reads', () => {
    const text = `${mapsLine('7f0000000000', '7f0000001000', 'rw-p')} /${'n'.repeat(100_000)}\n${mapsLine('7f0000001000', '7f0000002000', 'rw-p')}\n`;
    const whole = parseDump(text);
    const p = new DumpParser();
    const bytes = Buffer.from(text);
    for (let o = 0; o < bytes.length; o += 4096) p.push(bytes.subarray(o, o + 4096));
    for (const d of [whole, p.end()]) {
      assert.equal(d.count, 1);
      assert.deepEqual(
        d.malformed.map((m) => [m.line, m.reason]),
        [[1, 'line is longer than 64 KiB']],
      );
      assert.equal(d.vma(0).line, 2);
    }
  });

  it('parses a last line without a newline, even when truncated', () => {
    const d = parseDump(mapsLine('7f0000000000', '7f0000001000', 'rw-p') + '\n7f0000001000-7f00000020');
    assert.equal(d.count, 1);
    assert.deepEqual(
      d.malformed.map((m) => m.line),
      [2],
    );
  });
});
