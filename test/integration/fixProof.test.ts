/**
 * Proof that the fixes VMA Lens writes really work, on real programs:
 *
 * - my.cnf: a real glibc mariadbd is captured, its `[mysqld_safe] malloc-lib` fix is merged into
 *   a my.cnf that already has a [mysqld_safe] section, MariaDB's real `mysqld_safe` starts the
 *   server from it, and the server then runs on jemalloc (`version_malloc_library`, and the maps).
 * - sysctl: a real process is driven to vm.max_map_count, the generated /etc/sysctl.d file is
 *   applied with `sysctl -p FILE`, the value is read back, and the same process kind then goes
 *   past the old limit. The old value is restored (withMaxMapCount).
 *
 * Run: node --import tsx --test test/integration/fixProof.test.ts   (as root)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { captureLocal } from '../../src/capture';
import { analyzeText } from '../../src/core/analyze';
import type { Analysis, Fix, FixId } from '../../src/core/types';
import { checkMyCnf } from '../../src/editor/configCheck';
import { applyEdits, mergeConfig } from '../../src/editor/configMerge';
import { readMaxMapCount, startMariadb, startProcess, withMaxMapCount } from '../helpers/realProcess';

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fixOf(a: Analysis, id: FixId): Fix {
  const fix = a.findings.flatMap((f) => f.fixes).find((f) => f.id === id);
  assert.ok(fix, `no ${id} fix among ${a.findings.map((f) => f.id).join(', ')}`);
  return fix;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the fixes work on real programs', { skip: !isRoot && 'needs root' }, () => {
  it("MariaDB's mysqld_safe, given the generated [mysqld_safe] malloc-lib, starts mariadbd on jemalloc", async (t) => {
    // 1. The fix, from a capture of a real mariadbd running on glibc malloc.
    const db = await startMariadb();
    let before: Analysis;
    try {
      before = analyzeText((await captureLocal(db.pid)).text);
    } finally {
      await db.stop();
    }
    assert.equal(before.allocator.name, 'glibc');
    const fix = fixOf(before, 'mysqld-safe-malloc-lib');
    assert.match(fix.text, /^\[mysqld_safe\]\nmalloc-lib=\/\S+\/libjemalloc\.so\.2$/m);

    // 2. A my.cnf for a private server, with its own [mysqld_safe] section, and the fix merged in.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-safe-'));
    const f = (name: string) => path.join(dir, name);
    fs.mkdirSync(f('tmp'));
    execFileSync(
      'mariadb-install-db',
      ['--no-defaults', `--user=${os.userInfo().username}`, `--datadir=${f('data')}`, '--skip-test-db', '--auth-root-authentication-method=normal'],
      { stdio: 'ignore' },
    );
    const base = [
      '[mysqld]',
      `user=${os.userInfo().username}`,
      `datadir=${f('data')}`,
      `socket=${f('mysqld.sock')}`,
      `pid-file=${f('mysqld.pid')}`,
      `tmpdir=${f('tmp')}`,
      'skip-networking',
      'innodb-buffer-pool-size=16M',
      `log-error=${f('error.log')}`,
      '',
      '[mysqld_safe]',
      'skip-syslog',
      `log-error=${f('error.log')}`,
      `pid-file=${f('mysqld.pid')}`,
      '',
    ].join('\n');
    const cnf = applyEdits(base, mergeConfig(base, fix.text, 'mycnf'));
    assert.equal(cnf.match(/^\[mysqld_safe\]$/gm)?.length, 1, 'merged into the existing section');
    assert.deepEqual(checkMyCnf(cnf), []);
    fs.writeFileSync(f('my.cnf'), cnf);

    // 3. The real mysqld_safe, in its own process group so that everything it starts can be ended.
    const safe = spawn('mysqld_safe', [`--defaults-file=${f('my.cnf')}`], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    safe.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    safe.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const killGroup = () => {
      try {
        process.kill(-safe.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    process.once('exit', killGroup);
    const query = (sql: string) =>
      execFileSync('mariadb', ['--no-defaults', '-S', f('mysqld.sock'), '-uroot', '-N', '-B', '-e', sql], { encoding: 'utf8', timeout: 20_000 });
    try {
      await waitFor('the server socket', () => fs.existsSync(f('mysqld.sock')) && fs.existsSync(f('mysqld.pid')), 60_000);
      await waitFor(
        'the server to answer',
        () => {
          try {
            query('SELECT 1');
            return true;
          } catch {
            return false;
          }
        },
        30_000,
      );
      const lib = query("SHOW GLOBAL VARIABLES LIKE 'version_malloc_library'").trim();
      t.diagnostic(`mysqld_safe: ${out.trim().split('\n')[0]}; ${lib}`);
      assert.match(out, /Adding '\S+libjemalloc\.so\.2' to LD_PRELOAD/);
      assert.match(lib, /^version_malloc_library\tjemalloc \d/);
      const pid = Number(fs.readFileSync(f('mysqld.pid'), 'utf8').trim());
      const after = analyzeText((await captureLocal(pid)).text);
      assert.equal(after.allocator.name, 'jemalloc');
      assert.equal(after.allocator.confidence, 'loaded');
      query('SHUTDOWN');
      await waitFor('mysqld_safe to exit', () => safe.exitCode !== null || safe.signalCode !== null, 30_000);
    } finally {
      killGroup();
      process.removeListener('exit', killGroup);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the generated sysctl.d file, applied with sysctl -p, raises vm.max_map_count past what a real process hit', async (t) => {
    const original = readMaxMapCount();
    await withMaxMapCount(65530, async () => {
      // A real process at the limit, captured and analysed.
      const p = startProcess({ program: 'fragmenter' });
      let fix: Fix;
      try {
        await p.ready;
        assert.equal(p.result()?.stop, 'enomem');
        const a = analyzeText((await captureLocal(p.pid)).text);
        assert.equal(a.findings.find((x) => x.id === 'vma-limit')?.severity, 'error');
        fix = fixOf(a, 'sysctl-max-map-count');
      } finally {
        await p.stop();
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-sysctl-'));
      try {
        const file = path.join(dir, path.basename(fix.path));
        fs.writeFileSync(file, fix.text);
        const printed = execFileSync('sysctl', ['-p', file], { encoding: 'utf8' });
        assert.equal(printed.trim(), 'vm.max_map_count = 262144');
        assert.equal(readMaxMapCount(), 262144);
        t.diagnostic(`sysctl -p ${path.basename(file)}: ${printed.trim()}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      // With the new limit the same workload goes past the old one without ENOMEM.
      const q = startProcess({ program: 'fragmenter', args: ['--target', '100000'] });
      try {
        await q.ready;
        assert.equal(q.result()?.stop, 'target');
        assert.equal(Number(q.result()?.vmas), 100000);
      } finally {
        await q.stop();
      }
    });
    assert.equal(readMaxMapCount(), original, 'restored');
  });
});
