import { parseSize } from './format';
import type { DumpHeader } from './types';

/** Other spellings people (and other tools) use for the keys a capture writes. */
const ALIASES: Record<string, string> = {
  vm_max_map_count: 'max_map_count',
  maxmapcount: 'max_map_count',
  hostname: 'host',
  cmd: 'command',
  cmdline: 'command',
  comm: 'command',
  exe: 'command',
  date: 'time',
  timestamp: 'time',
  captured: 'time',
  captured_at: 'time',
  pagesize: 'page_size',
  hugepage_size: 'hugepagesize',
  default_hugepagesz: 'hugepagesize',
  transparent_hugepage: 'thp',
  thp_enabled: 'thp',
  uname: 'kernel',
  kernel_release: 'kernel',
  machine: 'arch',
  architecture: 'arch',
  nthreads: 'threads',
  thread_count: 'threads',
  nproc: 'cpus',
  cores: 'cpus',
};

export function normaliseKey(key: string): string {
  const k = key
    .trim()
    .toLowerCase()
    .replace(/[\s.-]+/g, '_');
  return ALIASES[k] ?? k;
}

function int(v: string): number | undefined {
  const m = /^\s*(\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** A `# key: value` header line: groups are the `#` prefix, the key and the value. */
export const HEADER_LINE = /^(#\s*)([A-Za-z_][\w .-]*?)\s*[:=]\s*(.*?)\s*$/;

/**
 * Reads one `# key: value` line into the header. Returns false for a plain comment.
 * Sizes accept "2048 kB" (as /proc/meminfo prints), "2M", "65536" (bytes).
 */
export function applyHeaderLine(header: DumpHeader, text: string, line: number): boolean {
  const m = HEADER_LINE.exec(text);
  if (!m) return false;
  const key = normaliseKey(m[2]);
  const value = m[3];
  header.raw[key] = value;
  header.lines[key] = line;
  switch (key) {
    case 'host':
      header.host = value;
      break;
    case 'pid':
      header.pid = int(value);
      break;
    case 'command':
      header.command = value;
      break;
    case 'time':
      header.time = value;
      break;
    case 'max_map_count':
      header.maxMapCount = int(value);
      break;
    case 'page_size':
      header.pageSize = parseSize(value);
      break;
    case 'hugepagesize':
      header.hugePageSize = parseSize(value);
      break;
    case 'thp':
      header.thp = value;
      break;
    case 'kernel':
      header.kernel = value;
      break;
    case 'arch':
      header.arch = value;
      break;
    case 'threads':
      header.threads = int(value);
      break;
    case 'cpus':
      header.cpus = int(value);
      break;
    case 'rss':
      header.rss = parseSize(value);
      break;
    case 'pss':
      header.pss = parseSize(value);
      break;
    case 'malloc_conf':
      header.mallocConf = value;
      break;
    case 'malloc_arena_max':
      header.mallocArenaMax = int(value);
      break;
    case 'glibc_tunables':
      header.glibcTunables = value;
      break;
    case 'overcommit_memory':
      header.overcommitMemory = int(value);
      break;
  }
  return true;
}

/** The THP mode in brackets, e.g. "madvise" from "always [madvise] never". */
export function thpMode(thp: string | undefined): string | undefined {
  if (!thp) return undefined;
  return /\[(\w+)\]/.exec(thp)?.[1] ?? thp.trim();
}
