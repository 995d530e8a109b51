/**
 * Running real processes (a fixture or any command) under a chosen allocator, killed in `stop()`,
 * on exit, and by the kernel (`PR_SET_PDEATHSIG`) if the test process dies hard.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { onExit } from './exitCleanup';
import { buildFixture, resolvePreload, type AllocatorLib, type FixtureName } from './fixtures';

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
  const describe = (): string => `${path.basename(file)} ${args.join(' ')} (pid ${pid})\n--- stdout ---\n${tail(out)}\n--- stderr ---\n${tail(err)}`;

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
