/**
 * Real processes for tests: build the C fixtures in `test/fixtures/`, run them (or any command,
 * or a throw-away MariaDB server) under a chosen allocator, capture their `/proc/PID/maps`,
 * `smaps` and `pmap` the way the product's capture writes them, and change `vm.max_map_count`
 * for a while, always putting it back.
 *
 * Nothing is left behind: every child is killed in `stop()`, on process exit, on SIGINT/SIGTERM,
 * and (through `PR_SET_PDEATHSIG`) by the kernel if the test process dies hard. A
 * `vm.max_map_count` change is recorded in a lock file, so a later run restores it even after a
 * crash.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Paths and allocator libraries

const here: string =
  typeof __dirname !== 'undefined' ? __dirname : path.dirname(fileURLToPath(import.meta.url));

/** `test/fixtures/`: the C sources. */
export const FIXTURES_DIR = path.resolve(here, '..', 'fixtures');

/** Where built fixtures are cached: `<tmp>/vma-lens-fixtures/<hash of sources and flags>/`. */
export const FIXTURE_CACHE_DIR = path.join(os.tmpdir(), 'vma-lens-fixtures');

/** The C programs in `test/fixtures/`. */
export type FixtureName = 'fragmenter' | 'mallocfrag' | 'threads' | 'deathsig';

export type AllocatorLib = 'jemalloc' | 'tcmalloc' | 'mimalloc';

/** Soname of each allocator's Debian runtime package, and the package itself. */
export const ALLOCATOR_LIBS: Record<AllocatorLib, { soname: string; debianPackage: string }> = {
  jemalloc: { soname: 'libjemalloc.so.2', debianPackage: 'libjemalloc2' },
  tcmalloc: { soname: 'libtcmalloc_minimal.so.4', debianPackage: 'libtcmalloc-minimal4' },
  mimalloc: { soname: 'libmimalloc.so.2', debianPackage: 'libmimalloc2.0' },
};

/**
 * MALLOC_CONF for jemalloc's munmap path: no retained address space, and freed extents returned
 * to the kernel at once instead of after the 10 s decay (so a free is an munmap, right away).
 */
export const JEMALLOC_MUNMAP_CONF = 'retain:false,dirty_decay_ms:0,muzzy_decay_ms:0';

/** The error jemalloc prints when the kernel refuses an munmap at vm.max_map_count. */
export const JEMALLOC_MUNMAP_ERROR = '<jemalloc>: Error in munmap(): Cannot allocate memory';

function libDirs(): string[] {
  const machine = os.machine();
  const triplet =
    machine === 'x86_64' ? 'x86_64-linux-gnu'
    : machine === 'aarch64' ? 'aarch64-linux-gnu'
    : machine === 'ppc64le' ? 'powerpc64le-linux-gnu'
    : machine === 's390x' ? 's390x-linux-gnu'
    : /^i[3-6]86$/.test(machine) ? 'i386-linux-gnu'
    : `${machine}-linux-gnu`;
  return [`/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib', `/lib/${triplet}`];
}

/**
 * The path to LD_PRELOAD for an allocator (the soname symlink, e.g.
 * `/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4`). Note that the maps of a process show
 * the file the symlink points to (`libtcmalloc_minimal.so.4.5.10`, `libmimalloc.so.2.0`).
 */
export function allocatorLibrary(name: AllocatorLib): string {
  const { soname, debianPackage } = ALLOCATOR_LIBS[name];
  for (const dir of libDirs()) {
    const p = path.join(dir, soname);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${soname} not found (install the Debian package ${debianPackage}: scripts/setup-deps.sh)`);
}

function resolvePreload(preload: AllocatorLib | string): string {
  return preload in ALLOCATOR_LIBS ? allocatorLibrary(preload as AllocatorLib) : preload;
}

// ---------------------------------------------------------------------------------------------
// Building the fixtures

const CFLAGS = ['-O2', '-Wall', '-Wextra', '-pthread'];
const built = new Map<string, string>();

/**
 * Compiles `test/fixtures/<name>.c` with the machine's `cc` (once: the binary is cached under a
 * hash of the sources, `common.h` and the flags, and rebuilt only when they change); `extraFlags`
 * such as `-m32` are added to the compiler's. Returns the
 * absolute path of the executable. Safe when several test processes build at the same time.
 */
export function buildFixture(name: FixtureName | string, extraFlags: readonly string[] = []): string {
  const key = [name, ...extraFlags].join(' ');
  const cached = built.get(key);
  if (cached) return cached;
  const src = path.join(FIXTURES_DIR, `${name}.c`);
  if (!fs.existsSync(src)) throw new Error(`no fixture ${src}`);
  const hash = createHash('sha256');
  hash.update(`${name}\0${[...CFLAGS, ...extraFlags].join(' ')}\0${os.machine()}\0`);
  hash.update(fs.readFileSync(src));
  for (const h of fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.h')).sort()) {
    hash.update(`\0${h}\0`);
    hash.update(fs.readFileSync(path.join(FIXTURES_DIR, h)));
  }
  const dir = path.join(FIXTURE_CACHE_DIR, hash.digest('hex').slice(0, 16));
  const out = path.join(dir, name);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      execFileSync('cc', [...CFLAGS, ...extraFlags, '-I', FIXTURES_DIR, '-o', tmp, src], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`cc failed for ${src}: ${err.stderr?.toString() || err.message}`);
    }
    fs.renameSync(tmp, out); // atomic: a concurrent build just replaces it with the same binary
  }
  built.set(key, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit

const cleanups = new Set<() => void>();
let cleanupInstalled = false;

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      /* best effort at exit */
    }
  }
}

/** Registers a synchronous cleanup run on exit and on SIGINT/SIGTERM/SIGHUP; returns its remover. */
function onExit(fn: () => void): () => void {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', runCleanups);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        runCleanups();
        process.removeListener(sig, handler);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, handler);
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

// ---------------------------------------------------------------------------------------------
// Running processes

export interface StartOptions {
  /** A fixture name (`fragmenter`, `threads`…; built on demand) or a path to an executable. */
  program?: FixtureName | string;
  /** Any command (looked up in PATH), run through the `deathsig` wrapper. */
  cmd?: string;
  args?: string[];
  /** Added to (or, with `undefined`, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  /** LD_PRELOAD: an allocator name (`jemalloc`, `tcmalloc`, `mimalloc`) or library path(s). */
  preload?: AllocatorLib | string | Array<AllocatorLib | string>;
  cwd?: string;
  /**
   * When the process is ready: a line on stdout or stderr matching this. Default `/^READY$/m`
   * for fixtures; `null` for `cmd` (ready once spawned) unless given.
   */
  readyLine?: RegExp | null;
  /** Polled every 50 ms after `readyLine` matched (or from the start): ready once it is true. */
  readyCheck?: () => boolean | Promise<boolean>;
  /** Time allowed to become ready (default 30 s); `ready` rejects after it, and on early exit. */
  timeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RealProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves with stdout so far once ready; rejects (with the stderr tail) if it exits first. */
  ready: Promise<string>;
  stdout(): string;
  stderr(): string;
  /** The fields of the last `RESULT key=value …` line a fixture printed (values are strings). */
  result(): Record<string, string> | undefined;
  /** Waits for a line matching `pattern` on stdout or stderr (already printed ones count). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  alive(): boolean;
  exited: Promise<ExitStatus>;
  /** Closes stdin, sends `signal` (SIGTERM), SIGKILL after `graceMs` (3000); resolves on exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

/** Parses `RESULT a=1 b=two words c=3` into `{ a: '1', b: 'two words', c: '3' }`. */
export function parseResultLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = line.replace(/^\s*\w+\s*/, '');
  for (const m of body.matchAll(/(\w+)=(.*?)(?=\s+\w+=|\s*$)/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Starts a process; see {@link StartOptions}. Call `stop()` in a `finally`. */
export function startProcess(opts: StartOptions): RealProcess {
  if (!opts.program === !opts.cmd) throw new Error('startProcess: give exactly one of program or cmd');
  let file: string;
  let args: string[];
  if (opts.program) {
    file = opts.program.includes('/') ? path.resolve(opts.program) : buildFixture(opts.program);
    args = opts.args ?? [];
  } else {
    file = buildFixture('deathsig');
    args = [opts.cmd!, ...(opts.args ?? [])];
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  if (opts.preload) {
    const list = Array.isArray(opts.preload) ? opts.preload : [opts.preload];
    env.LD_PRELOAD = list.map(resolvePreload).join(':');
  }
  const readyLine = opts.readyLine !== undefined ? opts.readyLine : opts.program ? /^READY$/m : null;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const child = spawn(file, args, { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT…); the 'error' event carries the reason.
    throw new Error(`cannot start ${file}`);
  }
  const pid = child.pid;
  let out = '';
  let err = '';
  let exitStatus: ExitStatus | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  child.stdin!.on('error', () => {
    /* EPIPE when the process is gone */
  });
  const removeCleanup = onExit(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('error', (e) => {
      err += `\n[spawn error] ${e.message}`;
      exitStatus ??= { code: -1, signal: null };
      removeCleanup();
      notify();
      resolve(exitStatus);
    });
    child.on('exit', (code, signal) => {
      exitStatus = { code, signal };
      removeCleanup();
      notify();
      resolve(exitStatus);
    });
  });

  const tail = (s: string): string => s.split('\n').slice(-15).join('\n');
  const describe = (): string =>
    `${path.basename(file)} ${args.join(' ')} (pid ${pid})\n--- stdout ---\n${tail(out)}\n--- stderr ---\n${tail(err)}`;

  const waitFor = (pattern: RegExp, ms = timeoutMs): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        const m = out.match(re) ?? err.match(re);
        if (m) {
          done();
          resolve(m);
        } else if (exitStatus) {
          done();
          reject(new Error(`exited (${JSON.stringify(exitStatus)}) before printing ${re}: ${describe()}`));
        }
      };
      const done = (): void => {
        listeners.delete(check);
        if (timer) clearTimeout(timer);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${re}: ${describe()}`));
      }, ms);
      listeners.add(check);
      check();
    });

  const ready = (async (): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    if (readyLine) await waitFor(readyLine, timeoutMs);
    else
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
    if (opts.readyCheck) {
      for (;;) {
        if (exitStatus) throw new Error(`exited (${JSON.stringify(exitStatus)}) before ready: ${describe()}`);
        if (await opts.readyCheck()) break;
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${describe()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return out;
  })();
  ready.catch(() => {
    /* handled by whoever awaits it; never an unhandled rejection */
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<ExitStatus> => {
    if (exitStatus) return exitStatus;
    child.stdin!.end();
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    const status = await exited;
    clearTimeout(timer);
    return status;
  };

  return {
    pid,
    child,
    ready,
    stdout: () => out,
    stderr: () => err,
    result: () => {
      const lines = out.match(/^RESULT .*$/gm);
      return lines ? parseResultLine(lines[lines.length - 1]!) : undefined;
    },
    waitFor,
    alive: () => !exitStatus,
    exited,
    stop,
  };
}

/** Starts a process, waits until ready, runs `fn`, and always stops it. */
export async function withProcess<T>(opts: StartOptions, fn: (p: RealProcess) => T | Promise<T>): Promise<T> {
  const p = startProcess(opts);
  try {
    await p.ready;
    return await fn(p);
  } finally {
    await p.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Capturing

/** The `# key: value` context a capture writes above the dump, in this order. */
export interface CaptureHeader {
  host: string;
  pid: number;
  command: string;
  /** ISO 8601, UTC. */
  time: string;
  max_map_count: number;
  page_size: number;
  /** As /proc/meminfo prints it, e.g. `2048 kB`. */
  hugepagesize?: string;
  /** /sys/kernel/mm/transparent_hugepage/enabled, e.g. `always [madvise] never`. */
  thp?: string;
  kernel: string;
  arch: string;
  threads?: number;
}

const readText = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

let pageSize: number | undefined;
function systemPageSize(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

/** Reads `vm.max_map_count`. */
export function readMaxMapCount(): number {
  return Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
}

/** Collects the capture context of a process (read now, so call it right before the dump). */
export function captureHeaderFields(pid: number): CaptureHeader {
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) throw new Error(`no process ${pid}`);
  const status = readText(`/proc/${pid}/status`) ?? '';
  const meminfo = readText('/proc/meminfo') ?? '';
  const threads = /^Threads:\s*(\d+)/m.exec(status)?.[1];
  const header: CaptureHeader = {
    host: os.hostname(),
    pid,
    command: cmdline.replace(/\0+$/, '').replace(/\0/g, ' '),
    time: new Date().toISOString(),
    max_map_count: readMaxMapCount(),
    page_size: systemPageSize(),
    kernel: os.release(),
    arch: os.machine(),
  };
  const huge = /^Hugepagesize:\s*(.+?)\s*$/m.exec(meminfo)?.[1];
  if (huge) header.hugepagesize = huge;
  const thp = readText('/sys/kernel/mm/transparent_hugepage/enabled')?.trim();
  if (thp) header.thp = thp;
  if (threads) header.threads = Number(threads);
  return header;
}

/** Formats the header lines, starting with `# vma-lens capture`; each line ends with `\n`. */
export function formatCaptureHeader(h: CaptureHeader): string {
  const lines = ['# vma-lens capture'];
  const keys: Array<keyof CaptureHeader> = [
    'host', 'pid', 'command', 'time', 'max_map_count', 'page_size', 'hugepagesize', 'thp', 'kernel', 'arch', 'threads',
  ];
  for (const k of keys) if (h[k] !== undefined) lines.push(`# ${k}: ${h[k]}`);
  return lines.join('\n') + '\n';
}

export interface CaptureOptions {
  /** Prepend the `# …` capture header (default true: the product's capture format). */
  header?: boolean;
}

function captureFile(pid: number, file: string, opts: CaptureOptions, defaultHeader: boolean): string {
  const head = (opts.header ?? defaultHeader) ? formatCaptureHeader(captureHeaderFields(pid)) : '';
  const body = readText(`/proc/${pid}/${file}`);
  if (body === undefined) throw new Error(`cannot read /proc/${pid}/${file}`);
  return head + body;
}

/** `/proc/PID/maps`, with the capture header unless `{ header: false }`. */
export function captureMaps(pid: number, opts: CaptureOptions = {}): string {
  return captureFile(pid, 'maps', opts, true);
}

/** `/proc/PID/smaps`, with the capture header unless `{ header: false }`. */
export function captureSmaps(pid: number, opts: CaptureOptions = {}): string {
  return captureFile(pid, 'smaps', opts, true);
}

/** `/proc/PID/smaps_rollup`, with the capture header unless `{ header: false }`. */
export function captureSmapsRollup(pid: number, opts: CaptureOptions = {}): string {
  return captureFile(pid, 'smaps_rollup', opts, true);
}

/** `pmap -x|-X|-XX PID` output as a user would paste it (no header unless `{ header: true }`). */
export function capturePmap(pid: number, flag: '-x' | '-X' | '-XX' = '-x', opts: CaptureOptions = {}): string {
  const head = opts.header ? formatCaptureHeader(captureHeaderFields(pid)) : '';
  return head + execFileSync('pmap', [flag, String(pid)], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

// ---------------------------------------------------------------------------------------------
// Reading maps in tests (a minimal reader, independent of the product's parser)

export interface MapsEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  path: string;
  /** 1-based line number in the text. */
  line: number;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][sp]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+) ?\s*(.*)$/;

/** Parses the VMA lines of a maps text; `#` header lines and blank lines are skipped. */
export function parseMaps(text: string): MapsEntry[] {
  const out: MapsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '' || l.startsWith('#')) continue;
    const m = MAPS_LINE.exec(l);
    if (!m) throw new Error(`line ${i + 1} is not a maps line: ${JSON.stringify(l)}`);
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3]!,
      offset: BigInt(`0x${m[4]}`),
      dev: m[5]!,
      inode: Number(m[6]),
      path: m[7]!,
      line: i + 1,
    });
  }
  return out;
}

/** VMAs as the kernel counts them against vm.max_map_count: every line except `[vsyscall]`. */
export function countVmas(text: string): number {
  return parseMaps(text).filter((e) => e.path !== '[vsyscall]').length;
}

/** Parses `# key: value` header lines at the top of a capture. */
export function parseCaptureHeader(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    if (!l.startsWith('#')) break;
    const m = /^#\s*([\w.-]+):\s?(.*)$/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const MiB64 = 64n << 20n;

/**
 * glibc arena heaps: an anonymous `rw-p` VMA starting on a 64 MiB boundary directly followed by
 * an anonymous `---p` VMA, the two spanning exactly 64 MiB (a fully grown arena has no `---p`
 * part and is a single 64 MiB `rw-p`). Returns the head of each slot.
 */
export function findArenaSlots(entries: MapsEntry[]): Array<{ head: MapsEntry; reserve?: MapsEntry }> {
  const slots: Array<{ head: MapsEntry; reserve?: MapsEntry }> = [];
  const anon = (e: MapsEntry): boolean => e.inode === 0 && e.path === '';
  for (let i = 0; i < entries.length; i++) {
    const head = entries[i]!;
    if (!anon(head) || head.perms !== 'rw-p' || head.start % MiB64 !== 0n) continue;
    if (head.end - head.start === MiB64) {
      slots.push({ head });
      continue;
    }
    const next = entries[i + 1];
    if (next && anon(next) && next.perms === '---p' && next.start === head.end && next.end - head.start === MiB64)
      slots.push({ head, reserve: next });
  }
  return slots;
}

// ---------------------------------------------------------------------------------------------
// vm.max_map_count

const LOCK_FILE = path.join(os.tmpdir(), 'vma-lens-max-map-count.lock');
let lockDepth = 0;
let lockOriginal: number | undefined;
let removeLockCleanup: (() => void) | undefined;

function writeMaxMapCount(n: number): void {
  fs.writeFileSync('/proc/sys/vm/max_map_count', `${n}\n`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Restores vm.max_map_count left changed by a test process that died while holding the lock.
 * Returns the value restored, or undefined when there was nothing to do.
 */
export function recoverStaleMaxMapCount(): number | undefined {
  const text = readText(LOCK_FILE);
  if (text === undefined) return undefined;
  let info: { pid?: number; original?: number };
  try {
    info = JSON.parse(text) as { pid?: number; original?: number };
  } catch {
    return undefined; // being written right now
  }
  if (!info.pid || pidAlive(info.pid)) return undefined;
  if (info.original) writeMaxMapCount(info.original);
  fs.rmSync(LOCK_FILE, { force: true });
  return info.original;
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    recoverStaleMaxMapCount();
    try {
      const fd = fs.openSync(LOCK_FILE, 'wx');
      lockOriginal = readMaxMapCount();
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, original: lockOriginal }));
      fs.closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (Date.now() > deadline) throw new Error(`vm.max_map_count is held by another test (${LOCK_FILE})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function releaseLock(): void {
  if (lockOriginal !== undefined) writeMaxMapCount(lockOriginal);
  lockOriginal = undefined;
  try {
    const holder = (JSON.parse(fs.readFileSync(LOCK_FILE, 'utf8')) as { pid?: number }).pid;
    if (holder === process.pid) fs.rmSync(LOCK_FILE, { force: true });
  } catch {
    /* no lock file (or not ours to remove) */
  }
}

/**
 * Sets vm.max_map_count to `n` while `fn` runs, then restores the value it had (also on throw,
 * on exit and on SIGINT/SIGTERM; after a hard crash the next call restores it from the lock
 * file). Test processes take turns through a lock file, so two of them never interleave
 * changes. Nested calls in one process are fine. Needs root.
 */
export async function withMaxMapCount<T>(n: number, fn: () => T | Promise<T>): Promise<T> {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`bad vm.max_map_count ${n}`);
  const outer = lockDepth === 0;
  if (outer) {
    await acquireLock(120_000);
    removeLockCleanup = onExit(releaseLock);
  }
  lockDepth++;
  const previous = readMaxMapCount();
  try {
    writeMaxMapCount(n);
    return await fn();
  } finally {
    lockDepth--;
    writeMaxMapCount(previous);
    if (outer) {
      removeLockCleanup?.();
      removeLockCleanup = undefined;
      releaseLock();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB

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
        '--no-defaults', `--user=${os.userInfo().username}`, `--datadir=${tmp}/data`, '--skip-test-db',
        '--auth-root-authentication-method=normal', ...MARIADB_SMALL,
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
        '--no-defaults', `--user=${os.userInfo().username}`, `--datadir=${datadir}`, `--socket=${socket}`,
        '--skip-networking', `--pid-file=${path.join(dir, 'mysqld.pid')}`, `--tmpdir=${path.join(dir, 'tmp')}`,
        ...MARIADB_SMALL, ...(opts.args ?? []),
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
