/**
 * Tests of the real-process helper and the C fixtures themselves: that the fragmenter really
 * hits vm.max_map_count with ENOMEM, that jemalloc really prints its munmap error there, that
 * each allocator really shows in the maps, that captures carry the header the product writes,
 * that vm.max_map_count always comes back, that no process is left behind, and that a private
 * MariaDB starts. Independent of the product's engine.
 *
 * Run: node --import tsx --test test/integration/realProcess.test.ts   (as root: it writes the sysctl)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  ALLOCATOR_LIBS,
  FIXTURES_DIR,
  JEMALLOC_MUNMAP_CONF,
  JEMALLOC_MUNMAP_ERROR,
  allocatorLibrary,
  buildFixture,
  captureHeaderFields,
  captureMaps,
  capturePmap,
  captureSmaps,
  captureSmapsRollup,
  countVmas,
  findArenaSlots,
  formatCaptureHeader,
  parseCaptureHeader,
  parseMaps,
  parseResultLine,
  readMaxMapCount,
  recoverStaleMaxMapCount,
  startMariadb,
  startProcess,
  withMaxMapCount,
  withProcess,
  type AllocatorLib,
  type MapsEntry,
} from '../helpers/realProcess';

const REPO = path.resolve(FIXTURES_DIR, '..', '..');
const PAGE = 4096n;
const MiB = 1n << 20n;
const isRoot = process.getuid?.() === 0;

/** Anonymous private VMAs of exactly one page: the pieces the fragmenter leaves. */
const onePageAnon = (es: MapsEntry[]): number => es.filter((e) => e.inode === 0 && e.path === '' && e.end - e.start === PAGE).length;

const gone = (pid: number): boolean => {
  try {
    // A zombie still has /proc/PID; treat it as gone.
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
};

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (gone(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return gone(pid);
}

describe('buildFixture', () => {
  it('compiles every fixture with cc into the cache, once', () => {
    for (const name of ['fragmenter', 'mallocfrag', 'threads', 'deathsig']) {
      const bin = buildFixture(name);
      assert.ok(path.isAbsolute(bin), bin);
      assert.match(bin, new RegExp(`vma-lens-fixtures/[0-9a-f]{16}/${name}$`));
      fs.accessSync(bin, fs.constants.X_OK);
      assert.equal(buildFixture(name), bin, 'same path the second time');
    }
    const mtime = fs.statSync(buildFixture('threads')).mtimeMs;
    assert.equal(fs.statSync(buildFixture('threads')).mtimeMs, mtime, 'not rebuilt');
  });

  it('fails loudly for a fixture that does not exist', () => {
    assert.throws(() => buildFixture('no-such-fixture'), /no fixture/);
  });
});

describe('parsing helpers', () => {
  it('parseResultLine keeps values with spaces', () => {
    assert.deepEqual(parseResultLine('RESULT vmas=65530 errno=12 error=Cannot allocate memory'), {
      vmas: '65530',
      errno: '12',
      error: 'Cannot allocate memory',
    });
  });

  it('parseMaps reads addresses beyond 2^53 exactly and countVmas skips [vsyscall]', () => {
    const text =
      '# vma-lens capture\n' +
      '7f0840000000-7f0840021000 rw-p 00000000 00:00 0 \n' +
      '7f0840021000-7f0844000000 ---p 00000000 00:00 0 \n' +
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n';
    const es = parseMaps(text);
    assert.equal(es.length, 3);
    assert.equal(es[2]!.start, 0xffffffffff600000n);
    assert.equal(es[2]!.line, 4);
    assert.equal(countVmas(text), 2);
    assert.equal(findArenaSlots(es).length, 1);
    assert.throws(() => parseMaps('junk\n'), /line 1/);
  });
});

describe('fragmenter', () => {
  it('reaches vm.max_map_count and stops on ENOMEM (limit set to 70000)', { skip: !isRoot && 'needs root' }, async () => {
    const limit = 70_000; // not the default, so a hard-coded 65530 would fail
    await withMaxMapCount(limit, async () => {
      await withProcess({ program: 'fragmenter' }, (p) => {
        const r = p.result();
        assert.ok(r, p.stdout());
        assert.equal(r.stop, 'enomem');
        assert.equal(r.errno, '12');
        assert.equal(r.error, 'Cannot allocate memory');
        assert.equal(Number(r.limit), limit);
        assert.ok(Math.abs(Number(r.vmas) - limit) <= 2, `reached ${r.vmas}, limit ${limit}`);
        const maps = captureMaps(p.pid);
        assert.equal(parseCaptureHeader(maps).max_map_count, String(limit));
        const es = parseMaps(maps);
        assert.ok(Math.abs(countVmas(maps) - limit) <= 2, `maps has ${countVmas(maps)} VMAs`);
        // Nearly all of them are the one-page pieces of the split mapping.
        assert.ok(onePageAnon(es) >= limit - 100, `${onePageAnon(es)} one-page pieces`);
        assert.ok(
          es.some((e) => e.path === '[vsyscall]'),
          'x86_64 maps end with [vsyscall]',
        );
      });
    });
  });

  it('stops at --target without touching the limit', async () => {
    await withProcess({ program: 'fragmenter', args: ['--target', '1500'] }, (p) => {
      const r = p.result()!;
      assert.equal(r.stop, 'target');
      assert.equal(r.errno, '0');
      assert.equal(Number(r.vmas), 1500);
      const maps = captureMaps(p.pid, { header: false });
      assert.ok(!maps.startsWith('#'));
      assert.equal(countVmas(maps), 1500);
    });
  });

  it('grows over time with --rate (READY first, PROGRESS, then RESULT)', async () => {
    // About 1.3 s: 2000 VMAs a second up to 2600 (PROGRESS is printed once a second).
    const p = startProcess({ program: 'fragmenter', args: ['--rate', '2000', '--target', '2600'] });
    try {
      await p.ready;
      const t0 = Date.now();
      const first = countVmas(captureMaps(p.pid));
      await new Promise((r) => setTimeout(r, 250));
      const second = countVmas(captureMaps(p.pid));
      await p.waitFor(/^RESULT /m, 10_000);
      const last = countVmas(captureMaps(p.pid));
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(first < second && second < last, `counts ${first} < ${second} < ${last}`);
      assert.equal(last, 2600);
      assert.ok(seconds > 0.9 && seconds < 3, `took ${seconds} s at 2000 VMAs/s`);
      assert.match(p.stdout(), /^PROGRESS vmas=\d+$/m);
    } finally {
      await p.stop();
    }
  });

  it('--mprotect splits with permission changes up to the limit too', { skip: !isRoot && 'needs root' }, async () => {
    await withMaxMapCount(65_530, () =>
      withProcess({ program: 'fragmenter', args: ['--mprotect'] }, (p) => {
        const r = p.result()!;
        assert.equal(r.stop, 'enomem');
        const es = parseMaps(captureMaps(p.pid));
        assert.ok(Math.abs(es.length - 1 - 65_530) <= 2);
        assert.ok(es.filter((e) => e.perms === 'r--p' && e.inode === 0).length > 30_000);
      }),
    );
  });
});

describe('mallocfrag under jemalloc (retain:false)', { skip: !isRoot && 'needs root' }, () => {
  const limit = 65_530; // the kernel default, the value of the incident

  it('prints the munmap error at the limit; maps dumped at that moment and captured live', async () => {
    const dump = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-test-')), 'at-failure.maps');
    try {
      await withMaxMapCount(limit, () =>
        withProcess(
          {
            program: 'mallocfrag',
            args: ['--dump', dump],
            preload: 'jemalloc',
            env: { MALLOC_CONF: JEMALLOC_MUNMAP_CONF },
          },
          (p) => {
            assert.ok(p.stderr().includes(JEMALLOC_MUNMAP_ERROR), `stderr: ${p.stderr()}`);
            const r = p.result()!;
            assert.equal(r.stop, 'kept', 'a free could not be unmapped');
            assert.ok(Number(r.unmapped) > 30_000, `${r.unmapped} frees were munmaps first`);
            assert.ok(Math.abs(Number(r.vmas) - limit) <= 2, `vmas ${r.vmas}`);
            const atFailure = fs.readFileSync(dump, 'utf8');
            assert.ok(Math.abs(countVmas(atFailure) - limit) <= 2, `dump has ${countVmas(atFailure)} VMAs`);
            const live = captureMaps(p.pid);
            assert.ok(Math.abs(countVmas(live) - limit) <= 2);
            assert.ok(live.includes('/libjemalloc.so.2'));
          },
        ),
      );
    } finally {
      fs.rmSync(path.dirname(dump), { recursive: true, force: true });
    }
  });

  it('with abort:true it dies of SIGABRT and the dump holds the maps just before', async () => {
    const dump = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-test-')), 'before-abort.maps');
    try {
      await withMaxMapCount(limit, async () => {
        const p = startProcess({
          program: 'mallocfrag',
          args: ['--dump', dump],
          preload: 'jemalloc',
          env: { MALLOC_CONF: `${JEMALLOC_MUNMAP_CONF},abort:true` },
        });
        try {
          const status = await p.exited;
          assert.equal(status.signal, 'SIGABRT');
          assert.ok(p.stderr().includes(JEMALLOC_MUNMAP_ERROR));
          assert.match(p.stdout(), /^ABORT dumped=/m);
          assert.ok(Math.abs(countVmas(fs.readFileSync(dump, 'utf8')) - limit) <= 2);
        } finally {
          await p.stop();
        }
      });
    } finally {
      fs.rmSync(path.dirname(dump), { recursive: true, force: true });
    }
  });

  it('control: under glibc the same program prints no jemalloc error and stays small', async () => {
    await withProcess({ program: 'mallocfrag' }, (p) => {
      assert.ok(!p.stderr().includes('<jemalloc>'));
      assert.ok(countVmas(captureMaps(p.pid)) < 200);
      assert.ok(!captureMaps(p.pid).includes('libjemalloc'));
    });
  });
});

describe('threads under each allocator', () => {
  const SLOT = 64n * MiB;

  it('glibc: one 64 MiB-aligned arena slot per thread, rw-p head + ---p reserve = 64 MiB', async () => {
    const n = 6;
    await withProcess({ program: 'threads', args: [String(n)] }, (p) => {
      const maps = captureMaps(p.pid);
      assert.equal(parseCaptureHeader(maps).threads, String(n + 1));
      const es = parseMaps(maps);
      const slots = findArenaSlots(es);
      assert.equal(slots.length, n, `arena slots:\n${maps}`);
      for (const { head, reserve } of slots) {
        assert.equal(head.start % SLOT, 0n);
        assert.ok(reserve, 'a fresh arena has a ---p reserve');
        assert.equal(reserve.end - head.start, SLOT);
      }
      // Thread stacks: an 8 MiB-ish rw-p with a one-page ---p guard right below it.
      const stacks = es.filter(
        (e, i) =>
          i > 0 &&
          e.perms === 'rw-p' &&
          e.path === '' &&
          es[i - 1]!.perms === '---p' &&
          es[i - 1]!.end === e.start &&
          es[i - 1]!.end - es[i - 1]!.start === PAGE,
      );
      assert.equal(stacks.length, n);
      for (const lib of Object.values(ALLOCATOR_LIBS)) assert.ok(!maps.includes(lib.soname.replace(/\.so.*/, '')));
    });
  });

  it('glibc: MALLOC_ARENA_MAX=2 caps the arenas (main + 1 slot)', async () => {
    await withProcess({ program: 'threads', args: ['6'], env: { MALLOC_ARENA_MAX: '2' } }, (p) => {
      assert.equal(findArenaSlots(parseMaps(captureMaps(p.pid))).length, 1);
    });
  });

  const cores = os.availableParallelism();
  it(`glibc: at most 8 x cores arenas (${8 * cores} here, the main one is not a slot)`, { skip: cores > 16 && 'too many cores' }, async () => {
    await withProcess({ program: 'threads', args: [String(8 * cores + 4)] }, (p) => {
      assert.equal(findArenaSlots(parseMaps(captureMaps(p.pid))).length, 8 * cores - 1);
    });
  });

  // mimalloc (2.x) places its 32 MiB segments at hinted addresses between 2 TiB and 30 TiB.
  const TiB = 1n << 40n;
  const inMimallocHintArea = (e: MapsEntry): boolean =>
    e.inode === 0 && e.path === '' && e.start >= 2n * TiB && e.start < 30n * TiB && e.start % (32n * MiB) === 0n;

  for (const lib of ['jemalloc', 'tcmalloc', 'mimalloc'] as AllocatorLib[]) {
    it(`${lib}: LD_PRELOAD shows ${ALLOCATOR_LIBS[lib].soname} in the maps, and its own layout`, async () => {
      const so = allocatorLibrary(lib);
      await withProcess({ program: 'threads', args: ['6'], preload: lib }, (p) => {
        const es = parseMaps(captureMaps(p.pid));
        // The maps name the file the soname symlink resolves to (e.g. libtcmalloc_minimal.so.4.5.10).
        const real = fs.realpathSync(so);
        const libLines = es.filter((e) => e.path === real);
        assert.ok(libLines.length >= 2, `${real} mapped`);
        assert.ok(path.basename(real).startsWith(ALLOCATOR_LIBS[lib].soname));
        assert.ok(
          libLines.some((e) => e.perms === 'r-xp'),
          'its code segment',
        );
        if (lib === 'mimalloc') {
          // Its segments: rw-p + ---p pairs on 32 MiB boundaries, which can look like a glibc arena
          // slot when one happens to sit on a 64 MiB boundary - the layout alone does not decide.
          assert.ok(es.filter(inMimallocHintArea).length >= 1, 'segments in the 2-30 TiB hint area');
        } else {
          assert.equal(findArenaSlots(es).length, 0, 'no glibc arena slots');
          assert.equal(es.filter(inMimallocHintArea).length, 0);
        }
        if (lib === 'tcmalloc') {
          const heap = es.find((e) => e.path === '[heap]');
          assert.ok(heap && heap.end - heap.start >= MiB, 'tcmalloc grows [heap] with sbrk');
        }
      });
    });
  }

  it('glibc: nothing in the mimalloc hint area', async () => {
    await withProcess({ program: 'threads', args: ['6'] }, (p) => {
      assert.equal(parseMaps(captureMaps(p.pid)).filter(inMimallocHintArea).length, 0);
    });
  });
});

describe('capture', () => {
  it('writes the header lines the product writes, in order, with real values', async () => {
    await withProcess({ program: 'threads', args: ['3'] }, (p) => {
      const before = Date.now();
      const text = captureMaps(p.pid);
      const lines = text.split('\n');
      assert.equal(lines[0], '# vma-lens capture');
      const keys = lines
        .filter((l) => l.startsWith('#'))
        .slice(1)
        .map((l) => /^# ([\w]+): /.exec(l)?.[1]);
      assert.deepEqual(keys, [
        'host',
        'pid',
        'command',
        'time',
        'max_map_count',
        'page_size',
        'hugepagesize',
        'thp',
        'kernel',
        'arch',
        'threads',
        'exe',
        'comm',
        'exe_static',
        'exe_symbols',
        'libc',
        'overcommit_memory',
        'thp_defrag',
      ]);
      const h = parseCaptureHeader(text);
      assert.equal(h.host, os.hostname());
      assert.equal(h.pid, String(p.pid));
      assert.equal(h.command, `${buildFixture('threads')} 3`);
      assert.match(h.time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(h.time!) - before) < 5000);
      assert.equal(h.max_map_count, String(readMaxMapCount()));
      assert.equal(h.page_size, execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
      const meminfo = /^Hugepagesize:\s*(\d+ kB)$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1];
      assert.equal(h.hugepagesize, meminfo);
      assert.match(h.thp!, /\[(always|madvise|never)\]/);
      assert.equal(h.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
      assert.equal(h.arch, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
      assert.equal(h.threads, '4');
      // After the header: exactly /proc/PID/maps.
      const body = lines.slice(keys.length + 1).join('\n');
      assert.equal(countVmas(body), countVmas(fs.readFileSync(`/proc/${p.pid}/maps`, 'utf8')));
      assert.equal(formatCaptureHeader(captureHeaderFields(p.pid)).split('\n')[0], '# vma-lens capture');
    });
  });

  it('captures smaps, smaps_rollup and pmap -x / -X / -XX', async () => {
    await withProcess({ program: 'threads', args: ['2'] }, (p) => {
      const smaps = captureSmaps(p.pid);
      assert.ok(smaps.startsWith('# vma-lens capture\n'));
      const vmas = countVmas(captureMaps(p.pid, { header: false }));
      assert.equal((smaps.match(/^Rss:/gm) ?? []).length, vmas + 1, 'one Rss per VMA (+ [vsyscall])');
      assert.match(smaps, /^VmFlags:( [a-z]{2})+ ?$/m);
      assert.match(captureSmapsRollup(p.pid), /^[0-9a-f]+-[0-9a-f]+ ---p 00000000 00:00 0 +\[rollup\]$/m);
      const x = capturePmap(p.pid, '-x');
      assert.match(x, new RegExp(`^${p.pid}: +`));
      assert.match(x, /^Address +Kbytes +RSS +Dirty +Mode +Mapping$/m);
      assert.match(x, /^total kB +\d+ +\d+ +\d+/m);
      assert.match(capturePmap(p.pid, '-X'), /^ +=+ /m);
      assert.match(capturePmap(p.pid, '-XX'), /VmFlags/);
      assert.ok(capturePmap(p.pid, '-x', { header: true }).startsWith('# vma-lens capture\n'));
    });
  });

  it('a capture of a gone process throws', async () => {
    const p = startProcess({ program: 'threads', args: ['1'] });
    await p.ready;
    const pid = p.pid;
    await p.stop();
    assert.throws(() => captureMaps(pid), /no process|cannot read/);
  });
});

describe('withMaxMapCount', { skip: !isRoot && 'needs root' }, () => {
  it('sets the value for the callback and restores it, also after a throw and when nested', async () => {
    const original = readMaxMapCount();
    await assert.rejects(
      withMaxMapCount(70_001, async () => {
        assert.equal(readMaxMapCount(), 70_001);
        await withMaxMapCount(70_002, () => assert.equal(readMaxMapCount(), 70_002));
        assert.equal(readMaxMapCount(), 70_001);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(readMaxMapCount(), original);
    assert.equal(await withMaxMapCount(70_003, () => readMaxMapCount()), 70_003);
    assert.equal(readMaxMapCount(), original);
  });

  it('restores the value a crashed test process left behind (stale lock)', async () => {
    const original = readMaxMapCount();
    const lock = path.join(os.tmpdir(), 'vma-lens-max-map-count.lock');
    const dead = spawnSync('true').pid!; // a pid that no longer exists
    // Hold the lock meanwhile, so no other test process is changing the value.
    await withMaxMapCount(original, () => {
      const mine = fs.readFileSync(lock, 'utf8');
      assert.equal(JSON.parse(mine).pid, process.pid);
      try {
        fs.writeFileSync(lock, JSON.stringify({ pid: dead, original }));
        fs.writeFileSync('/proc/sys/vm/max_map_count', `${original + 7}\n`);
        assert.equal(recoverStaleMaxMapCount(), original);
        assert.equal(readMaxMapCount(), original);
        assert.ok(!fs.existsSync(lock));
      } finally {
        fs.writeFileSync(lock, mine);
      }
    });
    assert.equal(readMaxMapCount(), original);
    assert.ok(!fs.existsSync(lock), 'released');
  });

  it('a test process killed inside withMaxMapCount has its change undone by the next one', async () => {
    const original = readMaxMapCount();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const h = require(${JSON.stringify(path.join(REPO, 'test/helpers/realProcess.ts'))});
         h.withMaxMapCount(${original + 11}, () => { console.log('SET'); return new Promise(() => {}); });
         setInterval(() => {}, 1000);`,
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('SET') && resolve());
        child.on('exit', () => reject(new Error('child exited early')));
      });
      assert.equal(readMaxMapCount(), original + 11);
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      assert.equal(readMaxMapCount(), original + 11, 'SIGKILL leaves it changed');
      await withMaxMapCount(original, () => undefined);
      assert.equal(readMaxMapCount(), original, 'the next caller restored it');
    } finally {
      child.kill('SIGKILL');
      fs.writeFileSync('/proc/sys/vm/max_map_count', `${original}\n`);
    }
  });
});

describe('no process left behind', () => {
  it('children die when the test process is SIGKILLed, and on a normal exit', async () => {
    const script = (end: string): string => `
      const h = require(${JSON.stringify(path.join(REPO, 'test/helpers/realProcess.ts'))});
      const a = h.startProcess({ program: 'threads', args: ['2', '--forever'] });
      const b = h.startProcess({ cmd: 'sleep', args: ['1000'] });
      Promise.all([a.ready, b.ready]).then(() => { console.log('PIDS', a.pid, b.pid); ${end} });
      setInterval(() => {}, 1000);`;
    for (const [how, end] of [
      ['SIGKILL', ''],
      ['exit', 'setTimeout(() => process.exit(0), 500);'],
      ['SIGTERM', ''],
    ] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script(end)], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pids: number[] = [];
      try {
        pids = await new Promise<number[]>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /PIDS (\d+) (\d+)/.exec(out);
            if (m) resolve([Number(m[1]), Number(m[2])]);
          });
          child.on('exit', () => reject(new Error(`exited early: ${out}`)));
        });
        assert.ok(
          pids.every((pid) => !gone(pid)),
          'both running first',
        );
        if (how !== 'exit') child.kill(how);
        for (const pid of pids) assert.ok(await waitGone(pid), `${how}: pid ${pid} still running`);
      } finally {
        child.kill('SIGKILL');
        for (const pid of pids) if (!gone(pid)) process.kill(pid, 'SIGKILL');
      }
    }
  });
});

describe('MariaDB', { skip: !isRoot && 'needs root' }, () => {
  it('starts a private mariadbd (glibc), answers on its socket, maps captured, cleaned up', async () => {
    const db = await startMariadb();
    let dir = db.dir;
    try {
      assert.equal(db.query('SELECT 1').trim(), '1');
      assert.equal(db.query("SHOW GLOBAL VARIABLES LIKE 'version_malloc_library'").trim(), 'version_malloc_library\tsystem');
      assert.equal(db.query('SELECT @@skip_networking, @@socket').trim(), `1\t${db.socket}`);
      const maps = captureMaps(db.pid);
      const h = parseCaptureHeader(maps);
      assert.match(h.command!, /mariadbd --no-defaults /);
      assert.ok(Number(h.threads) >= 5, `threads ${h.threads}`);
      const es = parseMaps(maps);
      assert.ok(es.some((e) => /\/(mariadbd|mysqld)$/.test(e.path) && e.perms === 'r-xp'));
      assert.ok(!maps.includes('libjemalloc'));
      dir = db.dir;
    } finally {
      await db.stop();
    }
    assert.ok(await waitGone(db.pid));
    assert.ok(!fs.existsSync(dir), 'temp dir removed');
  });

  it('with LD_PRELOAD jemalloc, MariaDB reports jemalloc and the maps show it', async () => {
    const db = await startMariadb({ preload: 'jemalloc' });
    try {
      assert.match(db.query("SHOW GLOBAL VARIABLES LIKE 'version_malloc_library'"), /jemalloc/);
      assert.ok(captureMaps(db.pid).includes(allocatorLibrary('jemalloc')));
    } finally {
      await db.stop();
    }
  });
});
