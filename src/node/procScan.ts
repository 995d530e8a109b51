/**
 * The /proc scan behind `vma-lens metrics`: VMA counts of the processes of this host, read from
 * /proc/PID/maps only (never smaps: the kernel walks every page for smaps, which on a big process
 * would make the scan itself the load). A maps file is counted by newlines in one reused buffer;
 * only the lines that name an allocator library or the dynamic loader are looked at.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { allocatorOfPath } from '../core/allocator';
import { limitSeverity } from '../core/analyze';
import type { MetricsScan, ProcessMetrics, ScanErrorReason } from '../core/promText';

export interface ScanOptions {
  /** Only these PIDs (others are not read at all). */
  pids?: number[];
  /** Only processes whose command line (or comm, for those without one) matches. */
  match?: RegExp;
  /** Keep the N processes with the most VMAs. */
  top?: number;
}

const CHUNK = 1 << 20;
/** Stop filling the buffer when less than this is free (one read gives a page and a line at most). */
const FILL_SLACK = 64 << 10;
let buffer: Buffer | undefined;

const NL = 0x0a;
const VSYSCALL = Buffer.from('[vsyscall]');
const MALLOC = Buffer.from('malloc');
const LD_LINUX = Buffer.from('/ld-linux');
const LD_MUSL = Buffer.from('/ld-musl');
/** The Go runtime reserves its heap arenas from 0xc000000000 up (a line starting with it). */
const GO_ARENA = Buffer.from('c000000000-');

interface MapsCount {
  lines: number;
  vsyscall: boolean;
  /** Paths of the lines that mention "malloc" (allocator libraries), at most a few. */
  mallocPaths: string[];
  loader?: 'glibc' | 'musl';
  goArena: boolean;
}

/** The path at the end of the line that contains `at`. */
function pathOfLine(buf: Buffer, at: number, end: number): string {
  const start = buf.lastIndexOf(NL, at) + 1;
  let stop = buf.indexOf(NL, at);
  if (stop < 0 || stop > end) stop = end;
  const line = buf.toString('latin1', start, stop);
  const slash = line.indexOf('/');
  return slash >= 0 ? line.slice(slash) : line;
}

/** Counts the lines of a maps file without parsing them. */
function countMaps(path: string): MapsCount {
  buffer ??= Buffer.allocUnsafe(CHUNK);
  const buf = buffer;
  const fd = openSync(path, 'r');
  const out: MapsCount = { lines: 0, vsyscall: false, mallocPaths: [], goArena: false };
  try {
    let carry = 0; // bytes of an unfinished line kept at the start of the buffer
    let eof = false;
    while (!eof) {
      // The kernel hands maps out about a page per read: fill most of the buffer before looking.
      let end = carry;
      while (end < CHUNK - FILL_SLACK) {
        const n = readSync(fd, buf, end, CHUNK - end, null);
        if (n === 0) {
          eof = true;
          break;
        }
        end += n;
      }
      // Only whole lines are searched; the unfinished last one waits for the next fill (a buffer
      // without any newline is not maps: it is taken as it is).
      const lastNl = eof ? end - 1 : buf.lastIndexOf(NL, end - 1);
      const upto = lastNl < 0 ? end : lastNl + 1;
      const region = buf.subarray(0, upto);
      for (let i = region.indexOf(NL); i >= 0; i = region.indexOf(NL, i + 1)) out.lines++;
      if (eof && upto > 0 && buf[upto - 1] !== NL) out.lines++; // a last line without a newline
      if (!out.vsyscall && region.indexOf(VSYSCALL) >= 0) out.vsyscall = true;
      for (let i = region.indexOf(MALLOC); i >= 0 && out.mallocPaths.length < 4; i = region.indexOf(MALLOC, i + MALLOC.length)) {
        out.mallocPaths.push(pathOfLine(region, i, region.length));
      }
      // Searched without the newline before it (a pattern starting with one matches every line
      // and is slow); a hit must start a line, not end a longer address like 7fc000000000.
      for (let i = out.goArena ? -1 : region.indexOf(GO_ARENA); i >= 0; i = region.indexOf(GO_ARENA, i + 1)) {
        if (i === 0 || region[i - 1] === NL) {
          out.goArena = true;
          break;
        }
      }
      if (!out.loader) {
        if (region.indexOf(LD_LINUX) >= 0) out.loader = 'glibc';
        else if (region.indexOf(LD_MUSL) >= 0) out.loader = 'musl';
      }
      carry = end - upto;
      buf.copy(buf, 0, upto, end);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** What the maps show of the allocator, claiming no more than that. */
function allocatorOf(m: MapsCount): ProcessMetrics['allocator'] {
  // Go allocates from its own arenas even when a C allocator is loaded for cgo code.
  if (m.goArena) return { name: 'go', evidence: 'a Go heap arena is mapped at 0xc000000000' };
  for (const p of m.mallocPaths) {
    const a = allocatorOfPath(p.replace(/ \(deleted\)$/, ''));
    if (a) return { name: a.name, evidence: `${a.soname} is mapped` };
  }
  if (m.loader === 'musl') return { name: 'musl', evidence: 'ld-musl is mapped and no jemalloc, tcmalloc or mimalloc library' };
  if (m.loader === 'glibc') return { name: 'glibc', evidence: 'no jemalloc, tcmalloc or mimalloc library is mapped' };
  return { name: 'unknown', evidence: 'no dynamic loader is mapped: statically linked, its allocator is built in' };
}

/** The systemd unit of a cgroup v2 path (`0::/system.slice/postgresql@15-main.service`). */
export function unitOfCgroup(text: string): string {
  const line = text.split('\n').find((l) => l.startsWith('0::')) ?? '';
  const parts = line.slice(3).split('/');
  for (let k = parts.length - 1; k >= 0; k--) if (/\.(service|scope)$/.test(parts[k])) return parts[k];
  return '';
}

function errorReason(err: unknown): ScanErrorReason | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH') return 'vanished';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return undefined;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return fallback;
  }
}

/** vm.max_map_count of this host. */
export function readMaxMapCount(): number {
  try {
    return Number(readFileSync('/proc/sys/vm/max_map_count', 'latin1').trim());
  } catch (err) {
    throw new ScanError(`cannot read /proc/sys/vm/max_map_count: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The scan cannot run at all (no /proc): a message for the user, not a bug. */
export class ScanError extends Error {}

/** Scans the processes; never throws for a process that vanished or is not readable (counted). */
export function scanProcesses(opts: ScanOptions = {}): MetricsScan {
  const t0 = process.hrtime.bigint();
  const root = '/proc';
  const errors: Record<ScanErrorReason, number> = { vanished: 0, denied: 0 };
  const maxMapCount = readMaxMapCount();
  let pids = opts.pids;
  try {
    pids ??= readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch (err) {
    throw new ScanError(`cannot list ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const processes: ProcessMetrics[] = [];
  for (const pid of pids) {
    const dir = `${root}/${pid}`;
    try {
      const comm = readFileSync(`${dir}/comm`, 'utf8').replace(/\n$/, '');
      if (opts.match) {
        const cmdline = readFileSync(`${dir}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
        if (!opts.match.test(cmdline || comm)) continue;
      }
      const maps = countMaps(`${dir}/maps`);
      if (maps.lines === 0) continue; // a kernel thread (or a zombie): no address space
      let exe = '';
      try {
        exe = readlinkSync(`${dir}/exe`);
      } catch (err) {
        if (errorReason(err) === 'vanished') throw err;
      }
      const vmaCount = maps.lines - (maps.vsyscall ? 1 : 0);
      const severity = limitSeverity(vmaCount / maxMapCount);
      processes.push({
        pid,
        comm,
        exe,
        unit: unitOfCgroup(readOr(`${dir}/cgroup`, '')),
        vmaCount,
        allocator: allocatorOf(maps),
        findings: severity ? [{ id: 'vma-limit', severity }] : [],
      });
    } catch (err) {
      const reason = errorReason(err);
      if (!reason) throw err;
      errors[reason]++;
    }
  }
  if (opts.top !== undefined) {
    processes.sort((a, b) => b.vmaCount - a.vmaCount || a.pid - b.pid);
    processes.length = Math.min(processes.length, opts.top);
  }
  return { processes, maxMapCount, errors, durationSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
