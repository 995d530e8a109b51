/**
 * Captures as the product writes them: the `# key: value` header read from the live system, then
 * `/proc/PID/maps`, `smaps`, `smaps_rollup` or `pmap` output.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { readElfFacts } from '../../src/core/elf';

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
  /** /proc/PID/exe and what its ELF says (read with the product's ELF reader; the script uses readelf). */
  exe?: string;
  comm?: string;
  exe_static?: 'yes' | 'no';
  exe_symbols?: string;
  /** The first mapped libc.so.6 (or musl's libc). */
  libc?: string;
  /** The innermost `*.service` of /proc/PID/cgroup. */
  unit?: string;
  ld_preload?: string;
  malloc_conf?: string;
  malloc_arena_max?: string;
  glibc_tunables?: string;
  overcommit_memory?: number;
  thp_defrag?: string;
}

/** A /proc or /sys file as text; undefined when it cannot be read. */
export const readText = (p: string): string | undefined => {
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
  Object.assign(header, processFacts(pid));
  return header;
}

/** The executable, environment, unit and libc facts of a capture header, read independently of the script. */
function processFacts(pid: number): Partial<CaptureHeader> {
  const h: Partial<CaptureHeader> = {};
  try {
    h.exe = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // unreadable (another user's process): the script leaves the key out too
  }
  const comm = readText(`/proc/${pid}/comm`)?.replace(/\n$/, '');
  if (comm) h.comm = comm;
  let exe: Buffer | undefined;
  try {
    exe = fs.readFileSync(`/proc/${pid}/exe`);
  } catch {
    exe = undefined;
  }
  const elf = exe && readElfFacts(exe);
  if (elf) {
    h.exe_static = elf.static ? 'yes' : 'no';
    h.exe_symbols = elf.symbols.length ? elf.symbols.join(', ') : 'none';
  }
  const maps = readText(`/proc/${pid}/maps`) ?? '';
  const libc = /\s(\/\S*\/(?:libc\.so\.6|libc-2\.\d+\.so|ld-musl-[^/\s]*\.so\.1|[^/\s]*-linux-musl[^/\s]*\/libc\.so))$/m.exec(maps)?.[1];
  if (libc) h.libc = libc;
  const cgroup = readText(`/proc/${pid}/cgroup`) ?? '';
  const unit = cgroup
    .split('\n')
    .filter((l) => /^[^:]*:(?:name=systemd)?:/.test(l))
    .map((l) =>
      l
        .split(':')
        .slice(2)
        .join(':')
        .split('/')
        .filter((c) => c.endsWith('.service') && c.length > 8)
        .pop(),
    )
    .find(Boolean);
  if (unit) h.unit = unit;
  const env = new Map(
    (readText(`/proc/${pid}/environ`) ?? '').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1).split('\n')[0]] as const),
  );
  for (const k of ['LD_PRELOAD', 'MALLOC_CONF', 'MALLOC_ARENA_MAX', 'GLIBC_TUNABLES'] as const) {
    const v = env.get(k);
    if (v) h[k.toLowerCase() as 'ld_preload' | 'malloc_conf' | 'malloc_arena_max' | 'glibc_tunables'] = v;
  }
  const oc = readText('/proc/sys/vm/overcommit_memory')?.trim();
  if (oc) h.overcommit_memory = Number(oc);
  const defrag = readText('/sys/kernel/mm/transparent_hugepage/defrag')?.trim();
  if (defrag) h.thp_defrag = defrag;
  return h;
}

/** Formats the header lines, starting with `# vma-lens capture`; each line ends with `\n`. */
export function formatCaptureHeader(h: CaptureHeader): string {
  const lines = ['# vma-lens capture'];
  const keys: Array<keyof CaptureHeader> = [
    'host',
    'pid',
    'command',
    'time',
    'max_map_count',
    'page_size',
    'hugepagesize',
    'thp',
    'kernel',
    'arch',
    'threads',
    'exe',
    'comm',
    'exe_static',
    'exe_symbols',
    'libc',
    'unit',
    'ld_preload',
    'malloc_conf',
    'malloc_arena_max',
    'glibc_tunables',
    'overcommit_memory',
    'thp_defrag',
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
