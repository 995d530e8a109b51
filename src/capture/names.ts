/**
 * The parts of capturing that run no program: the error type, the checks on a PID and a host,
 * and a dump's file name. Pure, so the browser build (which cannot capture) shares them.
 */
import { t } from '../core/l10n';

export type CaptureErrorKind =
  | 'invalid' // a bad PID or host, refused before running anything
  | 'no-process'
  | 'permission'
  | 'sudo' // sudo -n could not run without a password
  | 'ssh' // ssh itself failed: connection, authentication, host key
  | 'timeout'
  | 'spawn' // sh or ssh could not be started
  | 'cancelled' // the caller's AbortSignal fired
  | 'failed'; // anything else the script reported

export class CaptureError extends Error {
  constructor(
    readonly kind: CaptureErrorKind,
    message: string,
    /** The stderr of sh or ssh, when there was some. */
    readonly detail = '',
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** A PID as the kernel prints it: 1 to 4194304 (PID_MAX_LIMIT), digits only. */
export function validatePid(pid: number | string): number {
  const text = String(pid).trim();
  if (!/^[0-9]{1,7}$/.test(text) || Number(text) < 1 || Number(text) > 4194304) {
    throw new CaptureError('invalid', t('"{0}" is not a process ID: give the number of a running process.', String(pid)));
  }
  return Number(text);
}

/**
 * A host as ssh takes it: `host`, `user@host`, an alias from ssh_config, `[::1]`, or an
 * `ssh://user@host:port` URI. It is passed to ssh as one argument after `--`, so the checks are
 * about what ssh would misread: an option, blanks, control characters, shell syntax.
 */
export function validateHost(host: string): string {
  const h = host.trim();
  if (!h) throw new CaptureError('invalid', t('Give a host name (or user@host) to capture from.'));
  if (h.startsWith('-')) throw new CaptureError('invalid', t('"{0}" is not a host name: it must not start with "-".', h));
  if (h.length > 255 || !/^[A-Za-z0-9._@:%[\]/+-]+$/.test(h)) {
    throw new CaptureError('invalid', t('"{0}" is not a host name: use letters, digits, ".", "-", "_", "@" and ":" only.', h));
  }
  return h;
}

/** A capture time as the script writes it (`date -u +%Y-%m-%dT%H:%M:%SZ`), as `20261122T012728Z`. */
function timeStamp(time: string | undefined): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/.exec(time ?? '');
  return m ? `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}${m[6]}Z` : undefined;
}

/**
 * A file name for a dump from what its header says, `mariadbd-1234-20261122T012728Z.maps`, built
 * only from validated parts (the header may come from a hostile host): the program's base name
 * in `[\w.-]` (else `fallback`), a positive whole pid, a well-formed time (else `now`).
 */
export function dumpFileName(h: { command?: string; pid?: number; time?: string }, ext: string, fallback = 'process', now = new Date()): string {
  const stamp = timeStamp(h.time) ?? timeStamp(now.toISOString())!;
  const exe = (h.command ?? '').replace(/^\[|\]$/g, '').split(' ')[0] ?? '';
  const base =
    exe
      .slice(exe.lastIndexOf('/') + 1)
      .replace(/[^\w.-]+/g, '_')
      .replace(/^[.-]+/, '')
      .slice(0, 40) || fallback;
  const pid = h.pid !== undefined && Number.isSafeInteger(h.pid) && h.pid > 0 ? `${h.pid}-` : '';
  return `${base}-${pid}${stamp}.${ext}`;
}
