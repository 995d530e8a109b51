/**
 * Real programs beyond the C fixtures under glibc: a static Go binary, the `threads` fixture built
 * static with musl, linked with Debian's libjemalloc_pic.a, and for i386; a JVM; redis-server;
 * PostgreSQL. Each is built or set up once per test run (cached like buildFixture), and each
 * process is a RealProcess (stopped in `stop()`, killed by the kernel if the test dies).
 *
 * The truth the tests compare verdicts with comes from the live system, through the helpers at
 * the end (ldd, readelf, nm, /proc/PID/status and environ), never from the product.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURE_CACHE_DIR, FIXTURES_DIR, startProcess, type BuildVariant, type RealProcess } from './realProcess';

/** `threads` built static with musl: no dynamic loader, musl's mallocng linked in. */
export const MUSL_STATIC: BuildVariant = { tag: 'musl-static', cc: 'musl-gcc', flags: ['-static'], libs: [] };
/** A dynamically linked musl program: musl-gcc is gcc with musl's specs file, its loader is ld-musl-*.so.1. */
export const MUSL_DYNAMIC: BuildVariant = { tag: 'musl', cc: 'musl-gcc', flags: [], libs: [] };
/** `threads` as an i386 program (gcc-multilib): 1 MiB glibc heaps, libraries in /usr/lib/i386-linux-gnu. */
export const I386: BuildVariant = { tag: 'i386', cc: 'gcc', flags: ['-m32'], libs: [] };
/** `threads` linked with Debian's libjemalloc_pic.a: the executable defines malloc and mallctl itself. */
export const JEMALLOC_PIC: BuildVariant = {
  tag: 'jemalloc-pic',
  cc: 'gcc',
  flags: [],
  libs: ['-Wl,-Bstatic', '-ljemalloc_pic', '-Wl,-Bdynamic', '-lm', '-ldl'],
};

/**
 * Builds test/fixtures/NAME.go with Debian's Go, CGO_ENABLED=0 (a static executable), once: cached
 * under a hash of the Go version and the source like the C fixtures; Go's build cache goes there too.
 */
export function buildGoFixture(name: string): string {
  const src = path.join(FIXTURES_DIR, `${name}.go`);
  const version = execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256').update(version).update(fs.readFileSync(src)).update(os.machine()).digest('hex').slice(0, 16);
  const out = path.join(FIXTURE_CACHE_DIR, `go-${key}`, name);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    GOCACHE: path.join(FIXTURE_CACHE_DIR, 'gocache'),
    GOPATH: path.join(FIXTURE_CACHE_DIR, 'gopath'),
    GO111MODULE: 'off',
    GOFLAGS: '',
  };
  execFileSync('go', ['build', '-o', tmp, src], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  fs.renameSync(tmp, out);
  return out;
}

/** The static Go program with `goroutines` goroutines, ready once they allocated. */
export async function startGoStatic(goroutines = 8): Promise<RealProcess> {
  return ready(startProcess({ cmd: buildGoFixture('goheap'), args: [String(goroutines)], readyLine: /^READY$/m }));
}

/** A JVM (the source launcher compiles VmaLensLayouts.java in memory) with `threads` threads that malloc. */
export async function startJava(threads: number, env: Record<string, string | undefined> = {}): Promise<RealProcess> {
  const p = startProcess({
    cmd: 'java',
    args: ['-Xmx64m', '-Xss512k', path.join(FIXTURES_DIR, 'VmaLensLayouts.java'), String(threads)],
    env,
    readyLine: /^READY$/m,
    timeoutMs: 60_000,
  });
  return ready(p);
}

/** The process once ready; stopped (not left running) when it never gets there. */
export async function ready(p: RealProcess): Promise<RealProcess> {
  try {
    await p.ready;
  } catch (e) {
    await p.stop();
    throw e;
  }
  return p;
}

export interface Redis extends RealProcess {
  socket: string;
  /** Runs redis-benchmark against it (`requests` requests, pipelined). */
  benchmark(requests: number): void;
}

/** Debian's redis-server on a Unix socket in a temporary directory (no TCP port, no persistence). */
export async function startRedis(): Promise<Redis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-redis-'));
  const socket = path.join(dir, 'redis.sock');
  const p = startProcess({
    cmd: 'redis-server',
    args: ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir],
    readyLine: /ready to accept connections/i,
  });
  try {
    await p.ready;
  } catch (e) {
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const stop = p.stop.bind(p);
  return Object.assign(p, {
    socket,
    benchmark(requests: number) {
      execFileSync('redis-benchmark', ['-s', socket, '-n', String(requests), '-P', '16', '-q', '-t', 'set,get,lpush'], { stdio: 'ignore' });
    },
    async stop(signal?: NodeJS.Signals, graceMs?: number) {
      try {
        return await stop(signal, graceMs);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

/** The major version of the newest PostgreSQL installed, e.g. "15". */
export function postgresVersion(): string {
  return path.basename(path.dirname(postgresBin()));
}

/** The newest PostgreSQL server binaries Debian installed (/usr/lib/postgresql/N/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) throw new Error('PostgreSQL is not installed (apt-get install postgresql: scripts/setup-deps.sh)');
  return path.join(root, versions[0], 'bin');
}

/** As the `postgres` user: PostgreSQL refuses to run as root. setpriv execs, so the PID is the program's. */
const asPostgres = (cmd: string, args: string[]) => ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]] as const;

export interface Postgres extends RealProcess {
  dir: string;
  port: number;
  /** Runs pgbench in the background for `seconds` with `clients` connections; resolves when it ends. */
  pgbench(seconds: number, clients: number): Promise<void>;
  /** PIDs of the postmaster's children whose title starts with `postgres: ` (backends, checkpointer…). */
  children(): Array<{ pid: number; title: string }>;
}

/**
 * A cgroup named like a systemd service, as systemd makes one per unit (`system.slice/NAME`), in
 * the name=systemd hierarchy of a hybrid host or the unified one: a process started through
 * `wrap` runs in it from its first instruction, so /proc/PID/cgroup names the unit. There is no
 * systemd on these machines; the cgroup is real, only its maker differs.
 */
function unitCgroup(unit: string): { wrap(cmd: string, args: readonly string[]): [string, string[]]; remove(): void } {
  const root = fs.existsSync('/sys/fs/cgroup/systemd/cgroup.procs') ? '/sys/fs/cgroup/systemd' : '/sys/fs/cgroup';
  const dir = path.join(root, 'system.slice', unit);
  fs.mkdirSync(dir, { recursive: true });
  return {
    wrap: (cmd, args) => ['sh', ['-c', 'echo $$ > "$0" && exec "$@"', path.join(dir, 'cgroup.procs'), cmd, ...args]],
    remove() {
      for (const d of [dir, path.dirname(dir)]) {
        try {
          fs.rmdirSync(d);
        } catch {
          // still has a process (it exits in a moment) or another run uses it: an empty cgroup is harmless
        }
      }
    },
  };
}

/**
 * initdb in a temporary directory and a postmaster on a Unix socket only, as the `postgres` user;
 * with `unit`, inside a cgroup of that systemd unit name (Debian's is postgresql@15-main.service).
 */
export async function startPostgres(opts: { unit?: string } = {}): Promise<Postgres> {
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-pg-'));
  fs.chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
  const data = path.join(dir, 'data');
  const [c, a] = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  execFileSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = 20000 + (process.pid % 20000);
  const [pc, pa] = asPostgres(path.join(bin, 'postgres'), [
    '-D',
    data,
    '-k',
    dir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=',
    '-c',
    'shared_buffers=16MB',
    '-c',
    'fsync=off',
  ]);
  const cgroup = opts.unit ? unitCgroup(opts.unit) : undefined;
  const [cmd, args] = cgroup ? cgroup.wrap(pc, pa) : [pc, [...pa]];
  const p = startProcess({ cmd, args, readyLine: /ready to accept connections/, timeoutMs: 60_000 });
  try {
    await p.ready;
  } catch (e) {
    await p.stop('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
    cgroup?.remove();
    throw e;
  }
  const [ic, ia] = asPostgres('pgbench', ['-h', dir, '-p', String(port), '-U', 'postgres', '-i', '-s', '1', '-q', 'postgres']);
  execFileSync(ic, ia, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = p.stop.bind(p);
  return Object.assign(p, {
    dir,
    port,
    pgbench(seconds: number, clients: number) {
      const [bc, ba] = asPostgres('pgbench', ['-h', dir, '-p', String(port), '-U', 'postgres', '-T', String(seconds), '-c', String(clients), 'postgres']);
      const child = spawn(bc, ba, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
      return new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench exited with ${code}: ${err}`))));
      });
    },
    children() {
      return fs
        .readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map((d) => ({ pid: Number(d), stat: readOr(`/proc/${d}/stat`), title: readOr(`/proc/${d}/cmdline`).replace(/\0+$/, '').replace(/\0/g, ' ') }))
        .filter((x) => Number(/\) \S (\d+)/.exec(x.stat)?.[1]) === p.pid && x.title.startsWith('postgres: '))
        .map(({ pid, title }) => ({ pid, title }));
    },
    async stop(signal?: NodeJS.Signals, graceMs?: number) {
      try {
        return await stop(signal ?? 'SIGINT', graceMs); // SIGINT: PostgreSQL's fast shutdown
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        cgroup?.remove();
      }
    },
  });
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Truth from the live system

/** The libraries `ldd` resolves for an executable (resolved paths), or [] for "not a dynamic executable". */
export function lddLibraries(file: string): string[] {
  try {
    const out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return [...out.matchAll(/=>\s*(\/\S+)/g)].map((m) => fs.realpathSync(m[1]));
  } catch {
    return []; // ldd exits 1 on a static executable
  }
}

/** Whether readelf shows a program interpreter (PT_INTERP). */
export function hasInterpreter(file: string): boolean {
  return /\bINTERP\b/.test(execFileSync('readelf', ['-lW', file], { encoding: 'utf8' }));
}

/** Global symbols `nm` says the file defines (dynamic and static tables). */
export function nmDefined(file: string): Set<string> {
  const out = new Set<string>();
  for (const args of [
    ['-D', '--defined-only', file],
    ['--defined-only', file],
  ]) {
    let text = '';
    try {
      text = execFileSync('nm', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      continue; // "no symbols"
    }
    for (const m of text.matchAll(/^\S*\s+([A-Z])\s+(\S+)$/gm)) out.add(m[2].replace(/@.*/, ''));
  }
  return out;
}

/** `Threads:` of /proc/PID/status. */
export function threadCount(pid: number): number {
  return Number(/^Threads:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** One variable of /proc/PID/environ. */
export function environOf(pid: number, name: string): string | undefined {
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
  return undefined;
}
