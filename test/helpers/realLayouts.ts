/**
 * Real layouts for the classification tests, and their truth taken from the live process rather
 * than from its maps: each thread's stack pointer (/proc/PID/task/TID/syscall) names the VMA that
 * is its stack; glibc's own malloc_info counts its arenas and heaps (from the fixture itself, or
 * called through gdb in a JVM); the environment and vm.overcommit_memory come from /proc as the
 * process sees them.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { captureHeaderFields, FIXTURES_DIR, formatCaptureHeader, parseMaps, startProcess, type RealProcess, type StartOptions } from './realProcess';

const readText = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** The process's environment (NUL-separated in /proc/PID/environ). */
export function processEnviron(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (readText(`/proc/${pid}/environ`) ?? '').split('\0')) {
    const at = kv.indexOf('=');
    if (at > 0) out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}

/** vm.overcommit_memory as the process sees it (through its own mount namespace). */
export function overcommitSeenBy(pid: number): number {
  return Number((readText(`/proc/${pid}/root/proc/sys/vm/overcommit_memory`) ?? readText('/proc/sys/vm/overcommit_memory') ?? '').trim());
}

/**
 * A capture of maps or smaps with the usual header plus the keys issue 9 adds that these tests
 * need (malloc_conf, malloc_arena_max, glibc_tunables, overcommit_memory), read from /proc.
 */
export function captureLayout(pid: number, file: 'maps' | 'smaps' = 'maps'): string {
  const head = formatCaptureHeader(captureHeaderFields(pid));
  const env = processEnviron(pid);
  const extra: string[] = [];
  if (env.MALLOC_CONF !== undefined) extra.push(`# malloc_conf: ${env.MALLOC_CONF}`);
  if (env.MALLOC_ARENA_MAX !== undefined) extra.push(`# malloc_arena_max: ${env.MALLOC_ARENA_MAX}`);
  if (env.GLIBC_TUNABLES !== undefined) extra.push(`# glibc_tunables: ${env.GLIBC_TUNABLES}`);
  extra.push(`# overcommit_memory: ${overcommitSeenBy(pid)}`);
  const body = readText(`/proc/${pid}/${file}`);
  if (body === undefined) throw new Error(`cannot read /proc/${pid}/${file}`);
  return head + extra.join('\n') + '\n' + body;
}

export interface StackTruth {
  /** Threads: in /proc/PID/status. */
  threads: number;
  /** Distinct VMAs holding a non-main thread's stack pointer. */
  stacks: number;
  /** Start addresses (hex) of those VMAs. */
  starts: Set<string>;
  /** Threads whose stack pointer could not be read (running on a CPU at that moment). */
  unread: number;
}

/**
 * Thread stacks from the threads themselves: a blocked thread's /proc/PID/task/TID/syscall ends
 * with its stack pointer and program counter; the VMA holding the stack pointer is its stack.
 * Needs the threads to be blocked (the fixtures wait on a condition variable or stdin): a thread
 * still on its way there shows "running", so this reads again, for up to 5 s, until none does.
 */
export function liveThreadStacks(pid: number): StackTruth {
  let truth = readThreadStacks(pid);
  for (let tries = 0; truth.unread > 0 && tries < 100; tries++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    truth = readThreadStacks(pid);
  }
  return truth;
}

function readThreadStacks(pid: number): StackTruth {
  const maps = parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
  const status = readText(`/proc/${pid}/status`) ?? '';
  const threads = Number(/^Threads:\s*(\d+)/m.exec(status)?.[1] ?? 0);
  const starts = new Set<string>();
  let unread = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue; // the main thread runs on [stack]
    const fields = (readText(`/proc/${pid}/task/${tid}/syscall`) ?? 'running').trim().split(/\s+/);
    if (fields.length < 3) {
      unread++;
      continue;
    }
    const sp = BigInt(fields[fields.length - 2]!);
    const vma = maps.find((m) => m.start <= sp && sp < m.end);
    if (vma) starts.add(vma.start.toString(16));
    else unread++;
  }
  return { threads, stacks: starts.size, starts, unread };
}

/**
 * A capture and the stack truth of the same moment: a JVM starts and ends threads of its own
 * (compiler threads come and go), so the truth is read before and after the capture, again until
 * both agree.
 */
export function captureWithStacks(pid: number, file: 'maps' | 'smaps' = 'maps'): { text: string; truth: StackTruth } {
  for (let tries = 0; ; tries++) {
    const before = liveThreadStacks(pid);
    const text = captureLayout(pid, file);
    const after = liveThreadStacks(pid);
    const same = before.threads === after.threads && [...before.starts].sort().join() === [...after.starts].sort().join();
    if (same || tries === 20) return { text, truth: after };
  }
}

/** glibc's malloc_info, summed: arenas (with the main one) and the heaps of the thread arenas. */
export function parseMallocInfo(xml: string): { arenas: number; heaps: number } {
  const arenas = (xml.match(/<heap nr=/g) ?? []).length;
  let heaps = 0;
  for (const m of xml.matchAll(/<aspace type="subheaps" size="(\d+)"\/>/g)) heaps += Number(m[1]);
  return { arenas, heaps };
}

/**
 * Asks glibc in a running process (a JVM) for its malloc_info, through gdb: the process stops
 * for the call and goes on. Returns the arenas and heaps it reports.
 */
export function mallocInfoByGdb(pid: number): { arenas: number; heaps: number } {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-mi-')), 'malloc_info.xml');
  try {
    execFileSync(
      'gdb',
      [
        '-p',
        String(pid),
        '-batch',
        '-nx',
        '-ex',
        `set $f = (void *) fopen("${out}", "w")`,
        '-ex',
        'call (int) malloc_info(0, $f)',
        '-ex',
        'call (int) fclose($f)',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    return parseMallocInfo(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/**
 * A JVM running test/fixtures/VmaLensLayouts.java (the source launcher compiles it in memory):
 * `threads` Java threads that allocate native memory, then wait. Ready at READY.
 */
export function startJvm(threads: number, opts: Pick<StartOptions, 'env'> = {}): RealProcess {
  return startProcess({
    cmd: 'java',
    // A fixed set of JIT compiler threads: fewer threads coming and going while the test reads.
    args: ['-Xss1m', '-XX:-UseDynamicNumberOfCompilerThreads', path.join(FIXTURES_DIR, 'VmaLensLayouts.java'), String(threads)],
    env: opts.env,
    readyLine: /^READY$/m,
    timeoutMs: 120_000,
  });
}

let fakeOvercommitDir: string | undefined;

/**
 * Starts a program that sees vm.overcommit_memory = `value` while the host keeps its own: in a
 * private mount namespace (unshare -m) with a file bind-mounted over
 * /proc/sys/vm/overcommit_memory. jemalloc reads that file once, at start, to choose between
 * purging with madvise and decommitting with PROT_NONE; the kernel's accounting is unchanged,
 * so no other process on the machine is affected. Needs root. (unshare and sh exec the program:
 * the pid is the program's.)
 */
export function startWithOvercommitView(value: number, opts: StartOptions & { program: string }): RealProcess {
  fakeOvercommitDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-overcommit-'));
  const file = path.join(fakeOvercommitDir, String(value));
  fs.writeFileSync(file, `${value}\n`);
  const { program, args, ...rest } = opts;
  return startProcess({
    ...rest,
    cmd: 'unshare',
    args: ['-m', 'sh', '-c', `mount --bind ${file} /proc/sys/vm/overcommit_memory && exec "$0" "$@"`, program, ...(args ?? [])],
    readyLine: opts.readyLine ?? /^READY$/m,
  });
}
