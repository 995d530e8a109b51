import { spawn, spawnSync } from 'node:child_process';
import { t } from '../core/l10n';
import { addExeFacts } from './exeFacts';
import { CaptureError, dumpFileName, validateHost, validatePid } from './names';
import { CAPTURE_SCRIPT, EXIT_NO_PROCESS, EXIT_PERMISSION, EXIT_USAGE, EXIT_VANISHED } from './script';

/**
 * Capturing /proc/PID/maps with its context header, from this machine or over SSH. No `vscode`
 * here: the editor's commands and the timeline's live watch both call these. Every failure is a
 * CaptureError whose message is a sentence meant for the user.
 */

export { CaptureError, dumpFileName, validateHost, validatePid, type CaptureErrorKind } from './names';

export interface CaptureOptions {
  /** Give up after this long (default 15 s locally; see SshOptions for SSH). */
  timeoutMs?: number;
  /** `maps` (default) or `smaps`. */
  file?: 'maps' | 'smaps';
  signal?: AbortSignal;
}

export interface SshOptions extends CaptureOptions {
  /** Run the script under `sudo -n` on the remote host. */
  sudo?: boolean;
  /** ssh's ConnectTimeout in seconds (default 15); the whole run may take twice that. */
  connectTimeoutSeconds?: number;
  /** An ssh_config file to use instead of ~/.ssh/config (`ssh -F`). */
  configFile?: string;
  /** The ssh program (default `ssh` from PATH). */
  sshPath?: string;
}

export interface Capture {
  /** The dump: `#` header lines, then the maps (or smaps). */
  text: string;
  pid: number;
  /** `local` or the SSH host as given. */
  host: string;
  /** The process's command line as the header records it. */
  command: string;
  /** A file name for it, e.g. `mariadbd-1234-20261122T012728Z.maps`. */
  fileName: string;
}

export interface ProcessInfo {
  pid: number;
  /** VMAs counted against vm.max_map_count, or undefined when the maps are not readable. */
  vmas: number | undefined;
  uid: number | undefined;
  /** The kernel's short name (/proc/PID/comm). */
  comm: string;
  cmdline: string;
  /** mysqld or mariadbd (listed first). */
  database: boolean;
}

const MAX_OUTPUT = 1 << 30;

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a program with the capture script on its stdin; never through a shell string. */
function run(file: string, args: string[], timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      // Its own process group (detached: setsid), so that a cancel or a timeout ends the script's
      // children too (cat, awk; ssh's ProxyCommand), not only sh or ssh.
      child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, detached: true });
    } catch (err) {
      reject(new CaptureError('spawn', t('Cannot run {0}: {1}.', file, (err as Error).message)));
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      kill();
      finish(() => reject(new CaptureError('timeout', t('{0} did not finish within {1} s.', what, Math.round(timeoutMs / 1000)), err.trim())));
    }, timeoutMs);
    const onAbort = () => {
      kill();
      finish(() => reject(new CaptureError('cancelled', t('{0} was cancelled.', what))));
    };
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? t('it is not installed or not on PATH') : e.message;
      finish(() => reject(new CaptureError('spawn', t('Cannot run {0}: {1}.', file, why))));
    });
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > MAX_OUTPUT) {
        kill();
        finish(() => reject(new CaptureError('failed', t('{0} printed more than 1 GiB; stopped.', what))));
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 65536) err += d.toString('utf8');
    });
    child.stdin.on('error', () => {
      /* EPIPE: the program exited before reading the script (ssh failing to connect) */
    });
    child.on('close', (code) => {
      finish(() => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: err, code }));
    });
    child.stdin.end(CAPTURE_SCRIPT);
  });
}

/** The script's own message ("vma-lens: …" on stderr), without the prefix. */
function scriptMessage(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('vma-lens: '));
  return lines.length ? lines[lines.length - 1].slice('vma-lens: '.length).trim() : '';
}

/** Non-script stderr lines (ssh's, sudo's), trimmed, without ssh's warnings about known_hosts. */
function otherMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('vma-lens: ') && !/^Warning: Permanently added/.test(l))
    .join(' ');
}

function whereText(host: string | undefined): string {
  return host ? t(' on {0}', host) : '';
}

/** Turns a failed run into the error the user sees (exported for tests). */
export function explainFailure(
  r: RunResult,
  pid: number | undefined,
  remote: { host: string; sudo: boolean } | undefined,
  /** Who to run as the owner, for a local permission error. */
  runner = 'VS Code',
): CaptureError {
  const script = scriptMessage(r.stderr);
  const other = otherMessage(r.stderr);
  const host = remote?.host;
  if (remote && r.code === 255) {
    return new CaptureError('ssh', t('ssh to {0} failed: {1}.', String(host), other || t('no message from ssh')).replace(/\.\.$/, '.'), r.stderr);
  }
  if (remote?.sudo && /\bsudo: (command )?not found/.test(r.stderr)) {
    return new CaptureError(
      'sudo',
      t('sudo is not installed on {0}: turn off the setting "VMA Lens › SSH: Use Sudo", or log in as root.', String(host)),
      r.stderr,
    );
  }
  if (remote?.sudo && /sudo:.*(password|terminal|not allowed|not in the sudoers)/i.test(r.stderr)) {
    return new CaptureError(
      'sudo',
      t(
        'sudo -n on {0} needs a password or is not allowed ({1}). Allow the user to run "sh" with NOPASSWD in sudoers, or turn off the setting "VMA Lens › SSH: Use Sudo" and capture a process the SSH user owns.',
        String(host),
        other,
      ),
      r.stderr,
    );
  }
  switch (r.code) {
    case EXIT_NO_PROCESS:
      return new CaptureError('no-process', t('There is no process {0}{1} (it may have exited).', String(pid), whereText(host)), r.stderr);
    case EXIT_PERMISSION: {
      const todo = remote
        ? remote.sudo
          ? t('Log in as the user that owns it or as root.')
          : t('Turn on the setting "VMA Lens › SSH: Use Sudo" (sudo -n, passwordless), or log in as the user that owns it or as root.')
        : t(
            'Run {0} as the user that owns the process or as root, or capture it in a terminal with "sudo cat /proc/PID/maps > file.maps" and open that file.',
            runner,
          );
      return new CaptureError(
        'permission',
        t(
          'Permission denied reading the memory map of process {0}{1}: it belongs to another user (or ptrace is restricted). {2}',
          String(pid),
          whereText(host),
          todo.replace('PID', String(pid)),
        ),
        r.stderr,
      );
    }
    case EXIT_VANISHED:
      return new CaptureError('no-process', t('Process {0}{1} exited while it was being captured.', String(pid), whereText(host)), r.stderr);
    case EXIT_USAGE:
      return new CaptureError('invalid', t('The capture script refused its arguments: {0}.', script), r.stderr);
  }
  if (remote && r.code === 127) {
    return new CaptureError(
      'failed',
      t('{0} has no POSIX "sh" (or sudo) on the PATH of the SSH user: {1}.', String(host), other || t('exit status {0}', 127)),
      r.stderr,
    );
  }
  const msg = script || other || t('exit status {0}', r.code ?? 'unknown');
  return new CaptureError('failed', t('Capture{0} failed: {1}.', whereText(host), msg).replace(/\.\.$/, '.'), r.stderr);
}

/** `mariadbd-1234-20261122T012728Z.maps` from the header the script wrote. */
export function captureFileName(text: string, pid: number, file: 'maps' | 'smaps', now = new Date()): string {
  const head = text.slice(0, 8192);
  const command = /^# command: (.*)$/m.exec(head)?.[1];
  const time = /^# time: (.*)$/m.exec(head)?.[1];
  return dumpFileName({ command, pid: validatePid(pid), time }, file, 'process', now);
}

function toCapture(r: RunResult, pid: number, host: string, file: 'maps' | 'smaps'): Capture {
  const command = /^# command: (.*)$/m.exec(r.stdout.slice(0, 65536))?.[1] ?? '';
  return { text: r.stdout, pid, host, command, fileName: captureFileName(r.stdout, pid, file) };
}

/** Captures a process of this machine: `sh -s -- capture PID` with the script on stdin. */
export async function captureLocal(pid: number | string, opts: CaptureOptions = {}): Promise<Capture> {
  const p = validatePid(pid);
  const file = opts.file ?? 'maps';
  const r = await run('sh', ['-s', '--', 'capture', String(p), file], opts.timeoutMs ?? 15_000, opts.signal, t('Capturing process {0}', p));
  if (r.code !== 0) throw explainFailure(r, p, undefined);
  return toCapture({ ...r, stdout: await addExeFacts(r.stdout, p) }, p, 'local', file);
}

/** The same capture, synchronously (the command line, which has nothing else to do meanwhile). */
export function captureLocalSync(pid: number | string, opts: Pick<CaptureOptions, 'timeoutMs' | 'file'> = {}): Capture {
  const p = validatePid(pid);
  const file = opts.file ?? 'maps';
  const r = spawnSync('sh', ['-s', '--', 'capture', String(p), file], {
    input: CAPTURE_SCRIPT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 15_000,
    maxBuffer: MAX_OUTPUT,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException;
    if (e.code === 'ETIMEDOUT')
      throw new CaptureError('timeout', t('{0} did not finish within {1} s.', t('Capturing process {0}', p), Math.round((opts.timeoutMs ?? 15_000) / 1000)));
    throw new CaptureError('spawn', t('Cannot run {0}: {1}.', 'sh', e.message));
  }
  const res: RunResult = { stdout: r.stdout, stderr: r.stderr, code: r.status };
  if (r.status !== 0) throw explainFailure(res, p, undefined, 'vma-lens');
  return toCapture(res, p, 'local', file);
}

/** The ssh command line for running the script on `host` with `scriptArgs` (exported for tests). */
export function sshArgs(host: string, scriptArgs: string[], opts: SshOptions = {}): string[] {
  const h = validateHost(host);
  const connect = Math.max(1, Math.round(opts.connectTimeoutSeconds ?? 15));
  for (const a of scriptArgs) {
    if (!/^[a-z0-9]+$/.test(a)) throw new CaptureError('invalid', t('Bad capture argument "{0}".', a));
  }
  const remote = [...(opts.sudo ? ['sudo', '-n'] : []), 'sh', '-s', '--', ...scriptArgs].join(' ');
  return [
    ...(opts.configFile ? ['-F', opts.configFile] : []),
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${connect}`,
    '-o',
    'ServerAliveInterval=5',
    '-o',
    'ServerAliveCountMax=2',
    '-T',
    '--',
    h,
    remote,
  ];
}

function sshTimeout(opts: SshOptions): number {
  return opts.timeoutMs ?? 2 * 1000 * Math.max(1, opts.connectTimeoutSeconds ?? 15);
}

/**
 * Captures a process on an SSH host: one `ssh -o BatchMode=yes HOST sh -s -- capture PID` run
 * (optionally `sudo -n sh -s …`), the user's own ssh and ssh_config, the script on stdin.
 */
export async function captureRemote(host: string, pid: number | string, opts: SshOptions = {}): Promise<Capture> {
  const p = validatePid(pid);
  const file = opts.file ?? 'maps';
  const args = sshArgs(host, ['capture', String(p), file], opts);
  const r = await run(opts.sshPath ?? 'ssh', args, sshTimeout(opts), opts.signal, t('Capturing process {0} on {1}', p, host));
  if (r.code !== 0) throw explainFailure(r, p, { host: host.trim(), sudo: !!opts.sudo });
  return toCapture(r, p, host.trim(), file);
}

const DATABASE = /^(mysqld|mariadbd|mysqld-debug|mariadbd-debug)$/;

/** Parses the `list` output, databases first, then by VMA count (highest first). */
export function parseProcessList(stdout: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length < 5 || !/^\d+$/.test(f[0])) continue;
    const cmdline = f.slice(4).join(' ').trim();
    if (cmdline === 'sh -s -- list' || cmdline === 'sudo -n sh -s -- list') continue;
    const comm = f[3].trim();
    const exe = cmdline.split(' ')[0] ?? '';
    const base = exe.slice(exe.lastIndexOf('/') + 1);
    out.push({
      pid: Number(f[0]),
      vmas: /^\d+$/.test(f[1]) ? Number(f[1]) : undefined,
      uid: /^\d+$/.test(f[2]) ? Number(f[2]) : undefined,
      comm,
      cmdline,
      database: DATABASE.test(comm) || DATABASE.test(base),
    });
  }
  return out.sort((a, b) => Number(b.database) - Number(a.database) || (b.vmas ?? -1) - (a.vmas ?? -1) || a.pid - b.pid);
}

/** Processes of this machine (user-space ones), mysqld/mariadbd first, each with its VMA count. */
export async function listLocalProcesses(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProcessInfo[]> {
  const r = await run('sh', ['-s', '--', 'list'], opts.timeoutMs ?? 30_000, opts.signal, t('Listing processes'));
  if (r.code !== 0) throw explainFailure(r, undefined, undefined);
  return parseProcessList(r.stdout);
}

/** Processes of an SSH host, as listLocalProcesses; with `sudo`, the VMA counts of every user's processes. */
export async function listRemoteProcesses(host: string, opts: SshOptions = {}): Promise<ProcessInfo[]> {
  const args = sshArgs(host, ['list'], opts);
  const r = await run(opts.sshPath ?? 'ssh', args, sshTimeout(opts), opts.signal, t('Listing processes on {0}', host));
  if (r.code !== 0) throw explainFailure(r, undefined, { host: host.trim(), sudo: !!opts.sudo });
  return parseProcessList(r.stdout);
}
