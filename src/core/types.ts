/**
 * Public types of the VMA Lens engine. Pure data: no I/O, no `vscode`.
 * The extension, the CLI and the webview all speak these.
 */

/** The input formats the parser understands. A file may start as one and carry `#` headers. */
export type DumpFormat = 'maps' | 'smaps' | 'smaps_rollup' | 'pmap' | 'pmap-x' | 'pmap-d' | 'pmap-X' | 'gdb' | 'numa_maps' | 'hs_err' | 'empty';

/** What a VMA most likely is. Order matters only for display (see KIND_ORDER). */
export type VmaKind =
  | 'text' // executable or library code (r-x, file-backed)
  | 'rodata' // read-only file-backed data, ELF headers, relro
  | 'data' // writable file-backed data (.data)
  | 'bss' // anonymous rw-p right after an image's data segment
  | 'image-gap' // ---p padding between the segments of a library
  | 'file' // any other mapped file (locale archive, data files, caches)
  | 'heap' // [heap]: brk area
  | 'stack' // [stack]: the main thread's stack
  | 'thread-stack' // a pthread stack (anonymous rw-p with a guard below)
  | 'guard' // the ---p guard page(s) under a thread stack
  | 'arena' // glibc malloc arena heap: the rw-p head of a 64 MiB slot
  | 'arena-reserve' // glibc malloc arena heap: the ---p rest of the slot
  | 'allocator' // anonymous memory owned by jemalloc / tcmalloc / mimalloc
  | 'anon' // other private anonymous memory (glibc mmap()ed chunks, JITs, buffers)
  | 'reserved' // large ---p anonymous reservations
  | 'shm' // shared memory: SysV, memfd, /dev/zero, [anon_shmem:], anonymous shared
  | 'hugetlb' // hugetlbfs huge pages (MAP_HUGETLB): /anon_hugepage (deleted)
  | 'deleted' // a file mapped after it was deleted (other than shm)
  | 'vdso'
  | 'vvar'
  | 'vsyscall'
  | 'rollup'; // the single [rollup] line of smaps_rollup

export type Severity = 'error' | 'warning' | 'info';

/** `go` and `musl` are the Go runtime's and musl's own allocators; `unknown` when the input cannot tell. */
export type AllocatorName = 'glibc' | 'jemalloc' | 'tcmalloc' | 'mimalloc' | 'go' | 'musl' | 'unknown';

/** The allocators that come as a shared library (and so can be preloaded). */
export type LibraryAllocator = 'jemalloc' | 'tcmalloc' | 'mimalloc';

/** How sure a verdict is: `static` = the executable itself defines the allocator (shown "linked statically"). */
export type AllocatorConfidence = 'loaded' | 'static' | 'suspected' | 'unknown';

/** Context carried in `# key: value` header lines of a capture. */
export interface DumpHeader {
  host?: string;
  pid?: number;
  command?: string;
  /** ISO 8601 time of the capture. */
  time?: string;
  maxMapCount?: number;
  /** Base page size in bytes. */
  pageSize?: number;
  /** Default huge page size in bytes (from `Hugepagesize:` in /proc/meminfo). */
  hugePageSize?: number;
  /** THP mode as the kernel prints it, e.g. `always [madvise] never`. */
  thp?: string;
  kernel?: string;
  arch?: string;
  threads?: number;
  cpus?: number;
  /** Rss / Pss of the whole process in bytes, when the capture added smaps_rollup. */
  rss?: number;
  pss?: number;
  /** Path of /proc/PID/exe. */
  exe?: string;
  /** /proc/PID/comm: the kernel's short name (a process title does not change it). */
  comm?: string;
  /** The executable has no PT_INTERP: statically linked, never reads LD_PRELOAD. */
  exeStatic?: boolean;
  /** Allocator symbols the executable defines (malloc, mallctl, je_malloc…); [] = checked, none. */
  exeSymbols?: string[];
  /** LD_PRELOAD, MALLOC_CONF, MALLOC_ARENA_MAX, GLIBC_TUNABLES from /proc/PID/environ. */
  ldPreload?: string;
  mallocConf?: string;
  mallocArenaMax?: number;
  glibcTunables?: string;
  /** systemd unit from /proc/PID/cgroup, e.g. postgresql@15-main.service. */
  unit?: string;
  /** vm.overcommit_memory (0, 1 or 2). */
  overcommitMemory?: number;
  /** /sys/kernel/mm/transparent_hugepage/defrag as the kernel prints it. */
  thpDefrag?: string;
  /** Path of the mapped libc (multiarch /usr/lib/<triplet>/ on Debian, /usr/lib64/ on RHEL). */
  libc?: string;
  /** Every header as written (normalised key → raw value), including unknown ones. */
  raw: Record<string, string>;
  /** 1-based line number of each normalised key. */
  lines: Record<string, number>;
}

export interface Malformed {
  /** 1-based line number. */
  line: number;
  reason: string;
  /** The first characters of the line, printable. */
  text: string;
}

/** Something the parser noticed about the input as a whole, at the line it is about. */
export interface DumpNote {
  line: number;
  message: string;
}

/** One process of a file that holds several (see Dump.sections). */
export interface DumpSection {
  /** What the file calls it: the `==> f <==` name, the pmap title, or '' when unnamed. */
  label: string;
  /** 1-based line where it starts. */
  line: number;
  /** Index of its first VMA. */
  first: number;
  header: DumpHeader;
  /** Its addresses ascend. */
  sorted: boolean;
}

/** A VMA materialised as a plain object (for display; hot loops use the Dump columns). */
export interface Vma {
  index: number;
  line: number;
  /** Exact addresses as lowercase hex, no 0x, zero-padded like the input (at least 8 digits). */
  startHex: string;
  endHex: string;
  /** Addresses as numbers: exact for page-aligned addresses (all real ones), see addr.ts. */
  start: number;
  end: number;
  /** end - start, exact. */
  size: number;
  perms: string; // e.g. "r-xp"
  offset: number;
  dev: string; // "fe:00"
  inode: number;
  /** Path or pseudo-path as written, with `\012` decoded and " (deleted)" removed. */
  name: string;
  deleted: boolean;
  kind: VmaKind;
  /** smaps fields (in kB, except THPeligible/ProtectionKey which are plain numbers). */
  smaps?: Record<string, number>;
  vmFlags?: string[];
}

export interface KindSummary {
  count: number;
  bytes: number;
  /** Rss / Pss in bytes, when smaps or pmap gave them. */
  rss?: number;
  pss?: number;
  swap?: number;
}

export interface AllocatorInfo {
  name: AllocatorName;
  /**
   * `loaded`: its library is mapped (and, for glibc and musl, the executable was checked not to define malloc).
   * `static`: the executable defines it. `suspected`: layout or partial evidence only. `unknown`: see evidence.
   */
  confidence: AllocatorConfidence;
  /** Full path of the mapped library, when there is one. */
  library?: string;
  soname?: string;
  variant?: string; // e.g. "minimal" for libtcmalloc_minimal
  line?: number;
  /** Why: the facts the verdict rests on, or why there is none. */
  evidence: string;
  /** Why an LD_PRELOAD of another allocator cannot take effect (static executable, or it defines malloc). */
  preloadBlocked?: string;
  /** Every allocator library mapped, when more than one is. */
  others: { name: AllocatorName; library: string; line: number }[];
}

export interface Fix {
  id: FixId;
  title: string;
  /** Suggested path of the file to write (absolute on the target host). */
  path: string;
  /** VS Code language id for the snippet: ini, properties, shellscript, systemd… */
  language: string;
  /** The file's content, with comments that say what it does and how to apply it. */
  text: string;
  /** Shell commands that apply it, for a "copy command" action. */
  commands: string[];
}

export type FixId =
  | 'sysctl-max-map-count'
  | 'mysqld-safe-malloc-lib'
  | 'systemd-ld-preload'
  | 'jemalloc-lg-hugepage'
  | 'kernel-default-hugepagesz'
  | 'malloc-arena-max'
  | 'k8s-max-map-count'
  | 'ansible-max-map-count'
  | 'jvm-malloc-arena-max'
  | 'malloc-conf'
  | 'thp-madvise'
  | 'overcommit-memory'
  | 'jemalloc-lg-page'
  | 'mimalloc-purge-decommits';

export type FindingId =
  | 'vma-limit'
  | 'vma-fragmentation'
  | 'glibc-arenas'
  | 'jemalloc-hugepage'
  | 'thread-stacks'
  | 'deleted-mapping'
  | 'allocator'
  | 'malformed-lines'
  | 'input-notes'
  | 'jemalloc-thp'
  | 'jemalloc-overcommit'
  | 'mimalloc-decommit'
  | 'jemalloc-retain'
  | 'product-max-map-count';

export interface Finding {
  id: FindingId;
  severity: Severity;
  /** One plain-language sentence or two. */
  message: string;
  /** 1-based lines it is about (capped, first ones; see lineCount). */
  lines: number[];
  lineCount: number;
  fixes: Fix[];
  /** Numbers behind the message, for reports and tests. */
  data: Record<string, number | string | boolean>;
}

export interface AnalyzeOptions {
  /** Overrides the header's max_map_count. */
  maxMapCount?: number;
  /** Used when neither the option nor the header gives one. Default 65530. */
  defaultMaxMapCount?: number;
  /** Ratio of the limit from which vma-limit is a warning (0.6) and an error (0.9). */
  warnRatio?: number;
  errorRatio?: number;
}

export type MaxMapCountSource = 'option' | 'header' | 'default';

export interface Analysis {
  format: DumpFormat;
  header: DumpHeader;
  vmaCount: number;
  /** Lines counted by the kernel against the limit (all but [vsyscall] and [rollup]). */
  maxMapCount: number;
  maxMapCountSource: MaxMapCountSource;
  allocator: AllocatorInfo;
  kinds: Partial<Record<VmaKind, KindSummary>>;
  totals: KindSummary;
  threads: number;
  /** glibc arena heaps (HEAP_MAX_SIZE slots holding a heap): an arena has one or more. */
  arenas: number;
  findings: Finding[];
  malformed: Malformed[];
  /** Number of malformed lines (malformed[] is capped). */
  malformedCount: number;
  /** 64 if any address needs more than 32 bits, else 32. */
  addressBits: 32 | 64;
  /**
   * When the file holds several processes: each one's analysis (the top level is then the
   * first's, with an input-notes finding that says so).
   */
  processes?: ProcessAnalysis[];
  /** How many processes the file holds (only the first MAX_PROCESSES are in `processes`). */
  processCount?: number;
  /** numa_maps: bytes resident on each NUMA node (`N0`, `N1`…), summed over the VMAs. */
  numaNodes?: Record<string, number>;
}

export interface ProcessAnalysis extends Analysis {
  /** What the file calls it (`==> f <==` name, pmap title), '' when unnamed. */
  label: string;
  /** 1-based line where it starts. */
  line: number;
}
