/**
 * A throw-away MariaDB server (glibc or a preloaded allocator) on a private socket and data directory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onExit } from './exitCleanup';
import { FIXTURE_CACHE_DIR, type AllocatorLib } from './fixtures';
import { startProcess, type ExitStatus, type RealProcess } from './processes';

export interface MariadbOptions {
  /** LD_PRELOAD for mariadbd, e.g. `jemalloc`. */
  preload?: AllocatorLib | string;
  env?: Record<string, string | undefined>;
  /** Extra mariadbd options. */
  args?: string[];
  timeoutMs?: number;
}

export interface Mariadb extends RealProcess {
  /** Temporary directory holding everything: `data/`, the socket, the pid file, tmp. */
  dir: string;
  datadir: string;
  socket: string;
  /** Runs SQL through the `mariadb` client on the socket; returns tab-separated rows. */
  query(sql: string): string;
}

function findProgram(names: string[], dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']): string {
  for (const d of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...dirs])
    for (const n of names) if (fs.existsSync(path.join(d, n))) return path.join(d, n);
  throw new Error(`none of ${names.join(', ')} found (install mariadb-server: scripts/setup-deps.sh)`);
}

/** Small settings so a throw-away server starts in a fraction of a second. */
const MARIADB_SMALL = ['--innodb-buffer-pool-size=16M', '--innodb-log-file-size=4M'];

/** A pristine data directory made once by mariadb-install-db and copied for every server. */
function mariadbTemplate(mariadbd: string): string {
  const version = execFileSync(mariadbd, ['--version'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256').update(version).digest('hex').slice(0, 12);
  const dir = path.join(FIXTURE_CACHE_DIR, `mariadb-datadir-${key}`);
  if (fs.existsSync(path.join(dir, 'mysql'))) return dir;
  const tmp = fs.mkdtempSync(path.join(FIXTURE_CACHE_DIR, 'mariadb-install-'));
  try {
    execFileSync(
      findProgram(['mariadb-install-db', 'mysql_install_db']),
      [
        '--no-defaults',
        `--user=${os.userInfo().username}`,
        `--datadir=${tmp}/data`,
        '--skip-test-db',
        '--auth-root-authentication-method=normal',
        ...MARIADB_SMALL,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      fs.renameSync(path.join(tmp, 'data'), dir);
    } catch (e) {
      if (!fs.existsSync(path.join(dir, 'mysql'))) throw e; // else another process won the race
    }
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`mariadb-install-db failed: ${err.stderr?.toString() || err.message}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Starts a private MariaDB server: a fresh copy of a cached `mariadb-install-db` data directory
 * in a temp dir, `mariadbd --no-defaults` (no system my.cnf), its own socket, pid file and tmpdir,
 * `--skip-networking` (no port), optionally with LD_PRELOAD. Resolves once the socket accepts
 * connections. `stop()` shuts it down and deletes the temp dir. Independent of any system
 * MariaDB. Runs as root with `--user=root`, or as the current user.
 */
export async function startMariadb(opts: MariadbOptions = {}): Promise<Mariadb> {
  fs.mkdirSync(FIXTURE_CACHE_DIR, { recursive: true });
  const mariadbd = findProgram(['mariadbd', 'mysqld']);
  const template = mariadbTemplate(mariadbd);
  // A short path: a unix socket path must fit in 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-mdb-'));
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  fs.cpSync(template, datadir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'));
  const removeDir = onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const client = findProgram(['mariadb', 'mysql']);
  const query = (sql: string): string =>
    execFileSync(client, ['--no-defaults', '-S', socket, '-uroot', '-N', '-B', '-e', sql], {
      encoding: 'utf8',
      timeout: 30_000,
    });
  let proc: RealProcess;
  try {
    proc = startProcess({
      cmd: mariadbd,
      args: [
        '--no-defaults',
        `--user=${os.userInfo().username}`,
        `--datadir=${datadir}`,
        `--socket=${socket}`,
        '--skip-networking',
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--tmpdir=${path.join(dir, 'tmp')}`,
        ...MARIADB_SMALL,
        ...(opts.args ?? []),
      ],
      env: opts.env,
      preload: opts.preload,
      readyLine: /ready for connections/,
      readyCheck: () => fs.existsSync(socket),
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
  } catch (e) {
    removeDir();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitStatus> => {
    try {
      return await proc.stop(signal, graceMs);
    } finally {
      removeDir();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await proc.ready;
  } catch (e) {
    await stop('SIGKILL', 0);
    throw e;
  }
  return { ...proc, stop, dir, datadir, socket, query };
}
