/**
 * The engine on dumps of real processes, made here and now: the fragmenter and jemalloc at the
 * real vm.max_map_count, threads under glibc, jemalloc, tcmalloc and mimalloc, a real mariadbd,
 * and this test runner's own maps.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeText } from '../../src/core/analyze';
import type { Analysis, FindingId } from '../../src/core/types';
import {
  allocatorLibrary,
  captureMaps,
  capturePmap,
  captureSmaps,
  findArenaSlots,
  JEMALLOC_MUNMAP_CONF,
  JEMALLOC_MUNMAP_ERROR,
  parseMaps,
  startMariadb,
  withMaxMapCount,
  withProcess,
} from '../helpers/realProcess';

const isRoot = process.getuid?.() === 0;
const find = (a: Analysis, id: FindingId) => a.findings.find((f) => f.id === id);

describe('real processes at vm.max_map_count', { skip: !isRoot && 'needs root to set vm.max_map_count' }, () => {
  it('fragmenter (munmap every other page) at 65530: vma-limit error from the header, fragmentation costing ~all of it', async () => {
    await withMaxMapCount(65530, () =>
      withProcess({ program: 'fragmenter' }, (p) => {
        assert.equal(p.result()!.stop, 'enomem');
        const a = analyzeText(captureMaps(p.pid));
        assert.equal(a.maxMapCount, 65530);
        assert.equal(a.maxMapCountSource, 'header');
        assert.ok(Math.abs(a.vmaCount - 65530) <= 1, `vmaCount ${a.vmaCount}`);
        const limit = find(a, 'vma-limit')!;
        assert.equal(limit.severity, 'error');
        assert.match(limit.fixes[0].text, /vm\.max_map_count = 262144/);
        const frag = find(a, 'vma-fragmentation')!;
        assert.ok(Number(frag.data.cost) > 60000, `cost ${frag.data.cost}`);
        assert.ok(Number(frag.data.holes) > 60000, 'munmap leaves holes');
        assert.equal(a.allocator.name, 'glibc');
      }),
    );
  });

  it('fragmenter --mprotect: the same limit reached through permission splits', async () => {
    await withMaxMapCount(65530, () =>
      withProcess({ program: 'fragmenter', args: ['--mprotect'] }, (p) => {
        const a = analyzeText(captureMaps(p.pid));
        assert.equal(find(a, 'vma-limit')!.severity, 'error');
        const frag = find(a, 'vma-fragmentation')!;
        assert.ok(Number(frag.data.splits) > 60000, `splits ${frag.data.splits}`);
      }),
    );
  });

  it('jemalloc (retain:false) printing "Error in munmap(): Cannot allocate memory": jemalloc loaded, at the limit', async () => {
    await withMaxMapCount(65530, () =>
      withProcess({ program: 'mallocfrag', preload: 'jemalloc', env: { MALLOC_CONF: JEMALLOC_MUNMAP_CONF } }, (p) => {
        assert.ok(p.stderr().includes(JEMALLOC_MUNMAP_ERROR));
        const a = analyzeText(captureMaps(p.pid));
        assert.equal(a.allocator.name, 'jemalloc');
        assert.equal(a.allocator.library, allocatorLibrary('jemalloc'));
        assert.equal(find(a, 'vma-limit')!.severity, 'error');
        assert.ok(find(a, 'vma-fragmentation'), 'the munmap signature is found');
        assert.match(find(a, 'vma-fragmentation')!.message, /retain:true/);
      }),
    );
  });
});

describe('real threads under each allocator', () => {
  const N = 6;

  it('glibc: arenas found exactly where the 64 MiB slots are, one thread stack per thread', async () => {
    await withProcess({ program: 'threads', args: [String(N)] }, (p) => {
      const text = captureMaps(p.pid);
      const a = analyzeText(text);
      assert.equal(a.allocator.name, 'glibc');
      assert.equal(a.arenas, findArenaSlots(parseMaps(text)).length);
      assert.ok(a.arenas >= 1);
      assert.equal(find(a, 'thread-stacks')!.data.threads, N);
      assert.equal(a.threads, N + 1);
      assert.equal(a.header.threads, N + 1, 'the header counts the main thread too');
    });
  });

  for (const lib of ['jemalloc', 'tcmalloc', 'mimalloc'] as const) {
    it(`${lib}: detected from the real library path, no glibc arenas`, async () => {
      await withProcess({ program: 'threads', args: [String(N)], preload: lib }, (p) => {
        const a = analyzeText(captureMaps(p.pid));
        assert.equal(a.allocator.name, lib);
        assert.equal(a.allocator.confidence, 'loaded');
        assert.ok(fs.realpathSync(allocatorLibrary(lib)) === fs.realpathSync(a.allocator.library!), a.allocator.library);
        if (lib === 'tcmalloc') assert.equal(a.allocator.variant, 'minimal');
        assert.equal(a.arenas, 0);
        assert.equal(find(a, 'glibc-arenas'), undefined);
        assert.equal(find(a, 'thread-stacks')!.data.threads, N);
        assert.ok((a.kinds.allocator?.count ?? 0) > 0, 'anonymous memory is attributed to the allocator');
      });
    });
  }

  it('smaps and pmap -x/-X of the same process agree with its maps', async () => {
    await withProcess({ program: 'threads', args: ['3'], preload: 'jemalloc' }, (p) => {
      const maps = analyzeText(captureMaps(p.pid));
      const smaps = analyzeText(captureSmaps(p.pid));
      assert.equal(smaps.format, 'smaps');
      assert.equal(smaps.vmaCount, maps.vmaCount);
      assert.ok(smaps.totals.rss! > 0);
      assert.equal(smaps.allocator.name, 'jemalloc');
      for (const flag of ['-x', '-X'] as const) {
        const a = analyzeText(capturePmap(p.pid, flag));
        assert.equal(a.malformedCount, 0);
        assert.equal(a.vmaCount, maps.vmaCount, flag);
        assert.equal(a.allocator.name, 'jemalloc', `${flag}: pmap names the library too`);
      }
    });
  });

  it("this test runner's own /proc/self/maps", () => {
    const a = analyzeText(fs.readFileSync('/proc/self/maps'));
    assert.equal(a.malformedCount, 0);
    assert.equal(a.allocator.name, 'glibc');
    assert.ok(a.kinds.text && a.kinds.heap && a.kinds.stack && a.kinds.vdso);
    assert.ok(a.threads > 1, 'node runs worker threads');
  });
});

describe('a real mariadbd', () => {
  it("under glibc: fixes name the mariadb unit and this machine's library path; with jemalloc: detected", async () => {
    const glibc = await startMariadb();
    try {
      const a = analyzeText(captureMaps(glibc.pid));
      assert.equal(a.allocator.name, 'glibc');
      // A server known to run on jemalloc or tcmalloc: the allocator finding offers the switch itself.
      const fixes = find(a, 'allocator')!.fixes;
      assert.deepEqual(
        fixes.map((f) => f.id),
        ['mysqld-safe-malloc-lib', 'systemd-ld-preload'],
      );
      assert.match(find(a, 'allocator')!.message, /MySQL and MariaDB commonly run with jemalloc or tcmalloc/);
      const cnf = fixes.find((f) => f.id === 'mysqld-safe-malloc-lib')!;
      assert.match(cnf.text, new RegExp(`malloc-lib=${allocatorLibrary('jemalloc').replace(/\./g, '\\.')}`));
      assert.ok(fs.existsSync(allocatorLibrary('jemalloc')), 'the suggested library exists here');
      assert.match(fixes.find((f) => f.id === 'systemd-ld-preload')!.path, /mariadb\.service\.d/);
    } finally {
      await glibc.stop();
    }
    const je = await startMariadb({ preload: 'jemalloc' });
    try {
      const a = analyzeText(captureMaps(je.pid));
      assert.equal(a.allocator.name, 'jemalloc');
      assert.equal(a.malformedCount, 0);
      assert.equal(find(a, 'allocator')!.fixes.length, 0, 'nothing to switch');
    } finally {
      await je.stop();
    }
  });
});
