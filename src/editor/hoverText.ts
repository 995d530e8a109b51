/**
 * Hover texts for every column of a maps line, every smaps field and VmFlags code, every pmap
 * column and `#` header line. Pure (no `vscode`): given the parsed dump and its analysis, a line's
 * text and a character position, returns Markdown and the span it is about.
 */
import { isAligned, toBigInt } from '../core/addr';
import { allocatorOfPath, CONFIDENCE_LABEL } from '../core/allocator';
import type { Dump } from '../core/dump';
import { formatBytes, formatCount, formatPercent } from '../core/format';
import { HEADER_LINE, normaliseKey, thpMode } from '../core/header';
import { KIND_INFO } from '../core/kinds';
import { t } from '../core/l10n';
import type { AllocatorName, Analysis, VmaKind } from '../core/types';
import { SMAPS_FIELD_INFO, VMFLAG_INFO } from '../core/vmflags';
import { upperBound } from '../core/search';

export interface HoverResult {
  markdown: string;
  /** Span in the line (0-based characters, end exclusive). */
  start: number;
  end: number;
}

export interface HoverContext {
  dump: Dump;
  analysis: Analysis;
  /** Column names of a `pmap -X` header row (see pmapColumnsOf). */
  pmapColumns?: string[];
}

const MIB = 1048576;
const GIB = 1024 * MIB;

/** `code` in Markdown, safe for backticks. */
const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);

/** Index of the VMA on the line or the nearest one above it (smaps field lines), or -1. */
export function vmaAtOrAbove(dump: Dump, line: number): number {
  return upperBound(dump.line, line, dump.count) - 1;
}

/** The page size that applies to VMA i: its KernelPageSize, the header's, else 4 KiB (assumed). */
function pageSizeOf(src: HoverContext, i: number): { bytes: number; known: boolean } {
  const kps = src.dump.fields.get('KernelPageSize')?.[i];
  if (kps !== undefined && kps === kps && kps > 0) return { bytes: kps * 1024, known: true };
  const h = src.dump.header.pageSize;
  return h ? { bytes: h, known: true } : { bytes: 4096, known: false };
}

/** Alignments worth naming, largest first (texts are functions: the catalogue is set at start-up). */
const ALIGNMENTS: [number, () => string][] = [
  [GIB, () => t('1 GiB (a gigantic huge page)')],
  [512 * MIB, () => t('512 MiB (the huge page of 64 KiB-page arm64 kernels; jemalloc extents there)')],
  [64 * MIB, () => t('64 MiB (a glibc arena slot size)')],
  [32 * MIB, () => '32 MiB'],
  [2 * MIB, () => t('2 MiB (a huge page on x86_64 and 4K-page arm64; jemalloc’s extent alignment)')],
  [64 * 1024, () => '64 KiB'],
];

function alignmentText(dump: Dump, i: number, size: number): string {
  for (const [bytes, text] of ALIGNMENTS) {
    if (isAligned(dump.startHi[i], dump.startLo[i], Math.log2(bytes))) {
      return size % bytes === 0
        ? t('Start aligned to {0}, and its size is a multiple of {1}.', text(), formatBytes(bytes))
        : t('Start aligned to {0}.', text());
    }
  }
  return t('Page-aligned (as every mapping is).');
}

const ALLOCATOR_NAMES: Record<AllocatorName, () => string> = {
  glibc: () => 'glibc malloc (ptmalloc2)',
  jemalloc: () => 'jemalloc',
  tcmalloc: () => 'tcmalloc',
  mimalloc: () => 'mimalloc',
  go: () => t('the Go runtime’s allocator'),
  musl: () => t('musl’s malloc'),
  unknown: () => t('an allocator the input does not show'),
};

function allocatorLabel(a: Analysis): string {
  const c = a.allocator.confidence;
  return ALLOCATOR_NAMES[a.allocator.name]() + (c === 'loaded' || c === 'unknown' ? '' : ` (${CONFIDENCE_LABEL[c]})`);
}

/** The allocator verdict with its evidence, for the header lines it rests on. */
function verdictText(src: HoverContext): string {
  const a = src.analysis.allocator;
  const what = a.name === 'unknown' ? t('Allocator: **unknown**') : t('Allocator: **{0}**, {1}', a.name, CONFIDENCE_LABEL[a.confidence]);
  return ` ${what} — ${a.evidence}.${a.preloadBlocked ? ' ' + t('LD_PRELOAD cannot switch it: {0}.', a.preloadBlocked) : ''}`;
}

/** In a file of several processes, the analysis of the one the line belongs to (its allocator, limit). */
function processOf(src: HoverContext, lineNo: number): HoverContext {
  const processes = src.analysis.processes;
  if (!processes) return src;
  let k = 0;
  while (k + 1 < processes.length && processes[k + 1].line <= lineNo) k++;
  return { ...src, analysis: processes[k] };
}

/** Who most likely made this VMA, in a phrase. */
function ownerText(src: HoverContext, i: number, kind: VmaKind): string | undefined {
  const a = src.analysis;
  const name = src.dump.name(i) ?? '';
  switch (kind) {
    case 'arena':
    case 'arena-reserve':
      return t('glibc malloc: a thread arena (each busy thread may get one, up to 8 per core on 64-bit)');
    case 'heap':
      return a.allocator.name === 'glibc'
        ? t('glibc malloc’s main arena (grown with brk)')
        : a.allocator.name === 'tcmalloc'
          ? t('tcmalloc (it grows the brk heap with sbrk)')
          : a.allocator.name === 'unknown'
            ? t('brk heap (grown with brk by the allocator or the program)')
            : t('brk heap ({0} maps most of its memory with mmap; this is from before it loaded, its metadata, or from the program)', allocatorLabel(a));
    case 'allocator':
      return `${allocatorLabel(a)}: ${
        a.allocator.name === 'jemalloc'
          ? t('an extent or arena chunk')
          : a.allocator.name === 'tcmalloc'
            ? t('spans of its page heap')
            : t('a segment or arena')
      }`;
    case 'anon':
      return a.allocator.name === 'glibc'
        ? t('glibc malloc’s mmap()ed chunks (allocations of 128 KiB and up by default), or the program’s own mmap()')
        : t('the program’s own mmap() (or a library’s)');
    case 'thread-stack':
    case 'guard':
      return t('pthread_create() (glibc), which maps the stack and its guard in one call');
    case 'reserved':
      return a.allocator.name === 'jemalloc'
        ? t('jemalloc (retained or reserved address space) or the program')
        : t('the program or a runtime reserving address space (PROT_NONE) to commit later');
    case 'text':
    case 'rodata':
    case 'data':
    case 'bss':
    case 'image-gap': {
      const alloc = allocatorOfPath(name);
      if (alloc) return t('{0} itself (its library {1})', alloc.name, alloc.soname);
      return name ? t('the dynamic loader, mapping {0}', name) : undefined;
    }
    default:
      return undefined;
  }
}

/** What the VMA most likely is, with its allocator: shared by every column's hover. */
export function vmaSummary(src: HoverContext, i: number): string {
  const dump = src.dump;
  const kind = dump.kindOf(i);
  const info = KIND_INFO[kind];
  const name = dump.name(i);
  let what = `**${info.label}** — ${info.description}.`;
  if (name && (kind === 'text' || kind === 'rodata' || kind === 'data' || kind === 'bss' || kind === 'image-gap')) {
    const seg = {
      text: t('code segment'),
      rodata: t('read-only segment'),
      data: t('data segment'),
      bss: t('.bss (after the data segment)'),
      'image-gap': t('padding between segments'),
    }[kind];
    const isExe = dump.names[0] === name && !/\.so\b/.test(name);
    what = `**${info.label}** — ${isExe ? t('the {0} of the executable {1}.', seg, code(name)) : t('the {0} of the library {1}.', seg, code(name))}`;
  }
  const owner = ownerText(src, i, kind);
  return what + (owner ? `\n\n${t('Made by: {0}.', owner)}` : '');
}

function rangeHover(src: HoverContext, i: number): string {
  const dump = src.dump;
  const v = dump.vma(i);
  const page = pageSizeOf(src, i);
  const pages = v.size / page.bytes;
  const lines = [
    `**${code(v.startHex)}–${code(v.endHex)}** · ${formatBytes(v.size)} (${
      pages === 1
        ? t('{0} bytes, {1} page of {2}', formatCount(v.size), formatCount(pages), formatBytes(page.bytes))
        : t('{0} bytes, {1} pages of {2}', formatCount(v.size), formatCount(pages), formatBytes(page.bytes))
    }${page.known ? '' : t(', assumed')})`,
    '',
    `${alignmentText(dump, i, v.size)} ${t('The end is exclusive: the last byte is {0}.', code((toBigInt(dump.endHi[i], dump.endLo[i]) - 1n).toString(16).padStart(v.endHex.length, '0')))}`,
  ];
  const order = dump.order();
  const k = dump.sorted ? i : order.indexOf(i);
  if (k > 0) {
    const gap = dump.gap(order[k - 1], i);
    lines.push(
      '',
      gap === 0
        ? t('Directly after the previous mapping (no gap).')
        : gap > 0
          ? t('{0} unmapped below it.', formatBytes(gap))
          : t('Overlaps the previous line (not a kernel dump?).'),
    );
  }
  lines.push('', vmaSummary(src, i));
  return lines.join('\n');
}

/** Texts are functions: the catalogue is set at start-up. */
const PERM_LETTERS: Record<number, Record<string, () => string>> = {
  0: { r: () => t('`r` readable'), '-': () => t('`-` not readable') },
  1: { w: () => t('`w` writable'), '-': () => t('`-` not writable') },
  2: { x: () => t('`x` executable'), '-': () => t('`-` not executable') },
  3: {
    p: () => t('`p` private: copy-on-write; writes stay in this process and never reach the file or other processes'),
    s: () => t('`s` shared: writes are seen by every process mapping it (and reach the file, if there is one)'),
  },
};

function permsHover(src: HoverContext, i: number, perms: string, at: number): string {
  const items = [...perms].map((c, k) => {
    const text = PERM_LETTERS[k]?.[c]?.() ?? t('{0} unknown', code(c));
    return k === at ? `- **${text}** ←` : `- ${text}`;
  });
  const extra: string[] = [];
  if (perms.startsWith('---'))
    extra.push(
      t('No access at all (PROT_NONE): a guard page, an arena’s reserve, or address space reserved for later; it costs no memory but counts as a VMA.'),
    );
  if (perms === 'rw-p' && !src.dump.name(i)) extra.push(t('Private anonymous read-write memory: what malloc, thread stacks and most buffers are made of.'));
  if (perms[2] === 'x' && perms[1] === 'w') extra.push(t('Writable and executable at once: JIT code, or a security smell.'));
  return [`**${t('Permissions {0}', code(perms))}**`, '', ...items, ...(extra.length ? ['', ...extra] : []), '', vmaSummary(src, i)].join('\n');
}

function offsetHover(src: HoverContext, i: number, text: string): string {
  const v = src.dump.vma(i);
  const bytes = parseInt(text, 16);
  const file = v.inode !== 0 && v.name.startsWith('/');
  const meaning = file
    ? t('Where in {0} this mapping starts: byte {1} ({2}), a multiple of the page size.', code(v.name), formatCount(bytes), formatBytes(bytes))
    : bytes === 0
      ? t('Anonymous memory has no file, so the offset is 0.')
      : t('For anonymous or pseudo mappings the kernel prints the page offset it was created with (often after mremap or a split); it has no file meaning.');
  return [`**${t('Offset {0}', code(text))}**`, '', meaning].join('\n');
}

function devHover(text: string): string {
  const m = /^([0-9a-f]+):([0-9a-f]+)$/i.exec(text);
  const major = m ? parseInt(m[1], 16) : NaN;
  const minor = m ? parseInt(m[2], 16) : NaN;
  let meaning: string;
  if (major === 0 && minor === 0) meaning = t('`00:00` means no device: anonymous memory or a kernel pseudo-mapping ([heap], [stack], [vdso]…).');
  else if (major === 0)
    meaning = t(
      'Major 0 is an anonymous block device: a filesystem without a disk of its own (tmpfs, overlayfs, btrfs subvolume, shared memory); minor {0}.',
      minor,
    );
  else
    meaning = t(
      'The device holding the file, in hexadecimal `major:minor`: major {0}, minor {1} (as `ls -l /dev` or `lsblk` print them in decimal).',
      major,
      minor,
    );
  return [`**${t('Device {0}', code(text))}**`, '', meaning].join('\n');
}

function inodeHover(src: HoverContext, i: number, text: string): string {
  const name = src.dump.name(i) ?? '';
  const meaning =
    text === '0'
      ? t('Inode 0: no file behind this mapping (anonymous memory or a pseudo-path).')
      : src.dump.vma(i).deleted
        ? t(
            'Inode {0} of {1} on that device (the file has since been deleted); `ls -i` or `stat` show the same number.',
            text,
            name ? code(name) : t('the file'),
          )
        : t('Inode {0} of {1} on that device; `ls -i` or `stat` show the same number.', text, name ? code(name) : t('the file'));
  return [`**${t('Inode {0}', code(text))}**`, '', meaning].join('\n');
}

/** What a pathname or pseudo-path means. */
export function pathMeaning(name: string, deleted: boolean, isFirst: boolean): string {
  if (name === '') return t('No name: anonymous memory (mmap with MAP_ANONYMOUS, malloc’s big chunks, thread stacks, allocator extents).');
  if (name === '[heap]') return t('`[heap]`: the program break area, grown with brk()/sbrk(); glibc’s main arena and tcmalloc use it.');
  if (name === '[stack]') return t('`[stack]`: the main thread’s stack; the kernel grows it downwards on demand up to `ulimit -s`.');
  if (name.startsWith('[stack:')) return t('{0}: the stack of thread {1} (kernels 3.4–4.4 named thread stacks this way).', code(name), name.slice(7, -1));
  if (name === '[vdso]')
    return t('`[vdso]`: the virtual dynamic shared object the kernel maps into every process, so clock_gettime() and friends run without a system call.');
  if (name === '[vvar]' || name === '[vvar_vclock]') return t('{0}: kernel data (clocks) read by the vDSO; read-only.', code(name));
  if (name === '[vsyscall]')
    return t('`[vsyscall]`: the legacy fixed vsyscall page at ffffffffff600000. It is not a VMA of the process and does not count toward vm.max_map_count.');
  if (name === '[rollup]') return t('`[rollup]`: smaps_rollup sums every mapping of the process into this one line.');
  if (name.startsWith('[anon:'))
    return t(
      '{0}: anonymous memory named by the program with prctl(PR_SET_VMA_ANON_NAME) (Linux 5.17+); glibc 2.39+ names its own with glibc.mem.decorate_maps.',
      code(name),
    );
  if (name.startsWith('[anon_shmem:')) return t('{0}: named shared anonymous memory (Linux 6.2+).', code(name));
  if (name === '/dev/zero') return t('`/dev/zero (deleted)`: shared anonymous memory (mmap MAP_SHARED|MAP_ANONYMOUS), shown as a deleted /dev/zero.');
  if (name === '/anon_hugepage')
    return t(
      "`/anon_hugepage (deleted)`: huge-page memory from the hugetlbfs pool (mmap MAP_HUGETLB, e.g. mimalloc's reserved 1 GiB pages, a database's huge-page buffer pool), not a deleted file; `HugePages_*` in /proc/meminfo counts it.",
    );
  if (name.startsWith('[ shmid=')) return t("{0}: pmap's name for a System V shared memory segment (its shmid; `ipcs -m` lists it).", code(name));
  if (name.startsWith('/memfd:')) return t('{0}: a memfd_create() file: memory-backed, unlinked from the start (always "(deleted)").', code(name));
  const sysv = /^\/SYSV([0-9a-f]{8})$/.exec(name);
  if (sysv) return t('{0}: a System V shared memory segment, key 0x{1} (`ipcs -m` lists it).', code(name), sysv[1]);
  const alloc = allocatorOfPath(name);
  if (alloc) {
    return alloc.variant
      ? t(
          '{0}: the **{1}** allocator library (soname {2}, {3} variant). Its being mapped means the process can use it: LD_PRELOAD, malloc-lib, or linked in.',
          code(name),
          alloc.name,
          code(alloc.soname),
          alloc.variant,
        )
      : t(
          '{0}: the **{1}** allocator library (soname {2}). Its being mapped means the process can use it: LD_PRELOAD, malloc-lib, or linked in.',
          code(name),
          alloc.name,
          code(alloc.soname),
        );
  }
  let text: string;
  if (/\.so(\.|$)/.test(name)) text = t('{0}: a shared library.', code(name));
  else if (isFirst) text = t('{0}: the program’s executable.', code(name));
  else if (name.startsWith('/')) text = t('{0}: a mapped file.', code(name));
  else text = t('{0}: a pseudo-path.', code(name));
  if (deleted)
    text +=
      ' ' + t('**(deleted)**: the file was deleted or replaced after it was mapped; the process still uses the old one (restart it to load a new version).');
  return text;
}

function pathHover(src: HoverContext, i: number): string {
  const v = src.dump.vma(i);
  return [`**${t('Path')}**`, '', pathMeaning(v.name, v.deleted, src.dump.names[0] === v.name), '', vmaSummary(src, i)].join('\n');
}

/** Spans of `start-end perms offset dev inode [path]` in a maps line; undefined if it is not one. */
export function mapsColumns(
  text: string,
):
  | { range: [number, number]; perms: [number, number]; offset: [number, number]; dev: [number, number]; inode: [number, number]; path: [number, number] }
  | undefined {
  const m = /^([0-9a-fA-F]+-[0-9a-fA-F]+)( +)([rwxsp-]{4})( +)([0-9a-fA-F]+)( +)([0-9a-fA-F]+:[0-9a-fA-F]+)( +)(\d+)( *)(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  let p = 0;
  const span = (k: number): [number, number] => {
    let s = 0;
    for (let j = 1; j < k; j++) s += m[j].length;
    p = s;
    return [p, p + m[k].length];
  };
  return { range: span(1), perms: span(3), offset: span(5), dev: span(7), inode: span(9), path: span(11) };
}

function hoverMapsLine(src: HoverContext, i: number, text: string, ch: number): HoverResult | undefined {
  const cols = mapsColumns(text);
  if (!cols) return undefined;
  const inSpan = (s: [number, number]) => ch >= s[0] && ch < s[1];
  if (inSpan(cols.range)) return { markdown: rangeHover(src, i), start: cols.range[0], end: cols.range[1] };
  if (inSpan(cols.perms)) return { markdown: permsHover(src, i, text.slice(...cols.perms), ch - cols.perms[0]), start: ch, end: ch + 1 };
  if (inSpan(cols.offset)) return { markdown: offsetHover(src, i, text.slice(...cols.offset)), ...range(cols.offset) };
  if (inSpan(cols.dev)) return { markdown: devHover(text.slice(...cols.dev)), ...range(cols.dev) };
  if (inSpan(cols.inode)) return { markdown: inodeHover(src, i, text.slice(...cols.inode)), ...range(cols.inode) };
  if (cols.path[1] > cols.path[0] && ch >= cols.path[0]) return { markdown: pathHover(src, i), start: cols.path[0], end: text.trimEnd().length };
  return undefined;
}

const range = (s: [number, number]) => ({ start: s[0], end: s[1] });

/** `Key:   123 kB` of smaps, and VmFlags. */
function hoverFieldLine(src: HoverContext, i: number, text: string, ch: number): HoverResult | undefined {
  const m = /^(\s*)([A-Za-z_][\w]*):(\s*)(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  const key = m[2];
  const keyStart = m[1].length;
  const valueStart = keyStart + key.length + 1 + m[3].length;
  if (key === 'VmFlags') {
    const codes = m[4].split(/\s+/).filter(Boolean);
    let at = valueStart;
    for (const c of codes) {
      const s = text.indexOf(c, at);
      at = s + c.length;
      if (ch >= s && ch < at) {
        return { markdown: `**VmFlags ${code(c)}**: ${VMFLAG_INFO[c] ?? t('a flag this version of VMA Lens does not know')}.`, start: s, end: at };
      }
    }
    const list = codes.map((c) => `- ${code(c)} ${VMFLAG_INFO[c] ?? t('(unknown)')}`);
    return { markdown: [`**VmFlags** — ${SMAPS_FIELD_INFO.VmFlags}:`, '', ...list].join('\n'), start: keyStart, end: text.trimEnd().length };
  }
  const info = SMAPS_FIELD_INFO[key];
  const value = /^(\d+)(?:\s*kB)?$/.exec(m[4]);
  const lines = [`**${key}** — ${info ?? t('a field of this kernel’s smaps that VMA Lens does not describe')}.`];
  if (value) {
    const n = Number(value[1]);
    if (/kB$/.test(m[4])) {
      const bytes = n * 1024;
      const size = i >= 0 ? src.dump.size(i) : 0;
      const share =
        i >= 0 && key !== 'Size' && key !== 'KernelPageSize' && key !== 'MMUPageSize' && size > 0
          ? ` — ${t('{0} of the mapping’s size', formatPercent(bytes / size))}`
          : '';
      lines.push('', `${formatCount(n)} kB = ${formatBytes(bytes)}${share}.`);
    } else if (key === 'THPeligible')
      lines.push('', n ? t('This mapping may use transparent huge pages.') : t('This mapping cannot use transparent huge pages.'));
  }
  if (i >= 0 && src.dump.name(i) === '[rollup]') lines.push('', t('In smaps_rollup this is the total over every mapping of the process.'));
  return { markdown: lines.join('\n'), start: keyStart, end: text.trimEnd().length };
}

const HEADER_INFO: Record<string, (value: string, src: HoverContext) => string> = {
  host: (v) => t('The machine the dump was captured on: {0}.', code(v)),
  pid: (v) => t('The process ID at capture time: {0}.', v),
  command: () => t('The process’s command line (/proc/PID/cmdline).'),
  time: (v) => {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? t('When it was captured.') : t('When it was captured: {0}.', new Date(ms).toUTCString());
  },
  max_map_count: (v, src) => {
    const n = Number(/\d+/.exec(v)?.[0]);
    const ratio = src.analysis.vmaCount / n;
    return (
      t(
        '`vm.max_map_count` on that machine: the most VMAs one process may have (kernel default 65530 = 65535 − 5; Fedora 39+, Arch and Ubuntu 24.04+ ship 1048576). ',
      ) +
      t(
        'This dump has {0} VMAs: {1} of it. At the limit mmap, munmap, mprotect and madvise fail with ENOMEM.',
        formatCount(src.analysis.vmaCount),
        formatPercent(ratio),
      )
    );
  },
  page_size: (v) => t('The base page size: {0} (x86_64 4 KiB; arm64 4, 16 or 64 KiB; ppc64le 64 KiB).', formatBytes(Number(v))),
  hugepagesize: (_v, src) => {
    const hp = src.dump.header.hugePageSize;
    const big =
      hp && hp >= 32 * MIB
        ? ' ' +
          t(
            '**A huge page this large makes jemalloc size each arena in 512 MiB steps**: build it with --with-lg-hugepage=21 or boot with default_hugepagesz=2M.',
          )
        : '';
    return (
      (hp
        ? t('The default huge page size (Hugepagesize in /proc/meminfo): {0}.', formatBytes(hp))
        : t('The default huge page size (Hugepagesize in /proc/meminfo).')) +
      ' ' +
      t('2 MiB on x86_64 and 4K-page arm64; 512 MiB on 64K-page arm64 (RHEL/CentOS 8 aarch64).') +
      big
    );
  },
  thp: (v) =>
    t(
      'Transparent huge pages mode: **{0}** (/sys/kernel/mm/transparent_hugepage/enabled). `always` backs large anonymous mappings with huge pages; `madvise` only where MADV_HUGEPAGE asks.',
      thpMode(v) ?? v,
    ),
  kernel: (v) => t('The kernel release (uname -r): {0}.', code(v)),
  arch: (v) => t('The machine architecture (uname -m): {0}.', code(v)),
  threads: (v) => t('Threads of the process at capture time: {0}. Each has a stack and a guard page: 2 VMAs.', v),
  cpus: (v) => t('Online CPUs: {0}. glibc allows up to 8 arenas per CPU on 64-bit.', v),
  rss: (_v, src) =>
    src.dump.header.rss
      ? t('Resident memory of the whole process (smaps_rollup Rss): {0}.', formatBytes(src.dump.header.rss))
      : t('Resident memory of the whole process (smaps_rollup Rss).'),
  pss: (_v, src) =>
    src.dump.header.pss
      ? t('Proportional set size of the process (smaps_rollup Pss): {0}: shared pages divided among their sharers.', formatBytes(src.dump.header.pss))
      : t('Proportional set size of the process (smaps_rollup Pss): shared pages divided among their sharers.'),
  exe: (v) => t('The executable (/proc/PID/exe): {0}. Fixes name the unit after it when the capture found no systemd unit.', code(v)),
  comm: (v) =>
    t(
      "The kernel's short name of the process (/proc/PID/comm, 15 characters at most): {0}. A process title set by the program (`postgres: checkpointer`) does not change it.",
      code(v),
    ),
  exe_static: (v, src) =>
    (/^y/i.test(v)
      ? t(
          'The executable has no program interpreter (no PT_INTERP): **statically linked**. The dynamic loader never runs, so LD_PRELOAD is never read and no mapped library tells its allocator.',
        )
      : t('The executable has a program interpreter (PT_INTERP): dynamically linked, so ld.so reads LD_PRELOAD.')) + verdictText(src),
  exe_symbols: (v, src) =>
    (/^none$/i.test(v.trim())
      ? t('The capture read the executable’s symbol tables and found **no allocator symbol defined** in it: malloc comes from a library.')
      : t(
          'Allocator symbols the executable **defines** itself: {0} (mallctl/je_* jemalloc, tc_* tcmalloc, mi_* mimalloc, __libc_malloc_impl musl, runtime.mallocgc Go). Symbol lookup finds the executable first, so a preloaded allocator cannot replace a malloc defined here.',
          code(v),
        )) + verdictText(src),
  ld_preload: (v) =>
    t(
      'LD_PRELOAD from the process’s environment: {0}. ld.so loads these before everything else (ignored for static executables and for a library of the wrong ELF class).',
      code(v),
    ),
  malloc_conf: (v) => t('jemalloc’s options from the environment (MALLOC_CONF): {0}.', code(v)),
  malloc_arena_max: (v) => t('glibc’s arena cap from the environment (MALLOC_ARENA_MAX): {0}. The arena fix proposes less than this.', v),
  glibc_tunables: (v) => t('glibc tunables from the environment (GLIBC_TUNABLES): {0}, e.g. glibc.malloc.arena_max.', code(v)),
  unit: (v) => t('The systemd unit the process runs in, from /proc/PID/cgroup: {0}. Drop-in fixes go to /etc/systemd/system/{1}.d/.', code(v), v),
  overcommit_memory: (v) => t('vm.overcommit_memory: {0} (0 heuristic, 1 always, 2 strict: commit limited to swap + overcommit_ratio of RAM).', v),
  thp_defrag: (v) => t('Transparent huge pages defrag mode: **{0}** (/sys/kernel/mm/transparent_hugepage/defrag).', thpMode(v) ?? v),
  libc: (v, src) =>
    t(
      'The mapped libc: {0}. Its directory tells the distribution: Debian multiarch (/usr/lib/x86_64-linux-gnu, /usr/lib/i386-linux-gnu) or RHEL (/usr/lib64, /usr/lib for 32-bit).',
      code(v),
    ) + verdictText(src),
};

function hoverHeaderLine(src: HoverContext, text: string): HoverResult | undefined {
  const m = HEADER_LINE.exec(text);
  if (!m) {
    if (/^#\s*vma-lens capture/.test(text)) {
      return {
        markdown: t('A VMA Lens capture: the `#` lines below are the context of the dump (host, process, limits, page sizes), then the maps.'),
        start: 0,
        end: text.length,
      };
    }
    return undefined;
  }
  const canonical = normaliseKey(m[2]);
  const explain = HEADER_INFO[canonical];
  return {
    markdown: `**# ${canonical}** — ${explain ? explain(m[3], src) : t('a capture header line (kept, not interpreted).')}`,
    start: m[1].length,
    end: text.trimEnd().length,
  };
}

/** Texts are functions: the catalogue is set at start-up. */
const PMAP_COLUMNS: Record<string, () => string> = {
  Address: () => t('start address of the mapping (hexadecimal)'),
  Kbytes: () => t('size of the mapping in KiB'),
  RSS: () => t('resident memory of the mapping in KiB (`-` when pmap could not read it)'),
  Dirty: () => t('dirty (modified) resident memory in KiB'),
  Mode: () => t('permissions: r w x, then `s` for shared (`-` private), then `R` (older procps: no swap reserved, MAP_NORESERVE)'),
  Mapping: () => t('the mapped file, or `[ anon ]` / `[ stack ]`'),
  Perm: () => t('permissions as in /proc/PID/maps'),
  Offset: () => t('offset into the file (hexadecimal)'),
  Device: () => t('device `major:minor` (hexadecimal)'),
  Inode: () => t('inode of the file (0 for none)'),
};

function pmapRowHover(src: HoverContext, i: number, text: string, ch: number): HoverResult | undefined {
  const tokens = [...text.matchAll(/\S+/g)];
  const k = tokens.findIndex((m) => ch >= m.index! && ch < m.index! + m[0].length);
  if (k < 0) return undefined;
  const tok = tokens[k];
  const span = { start: tok.index!, end: tok.index! + tok[0].length };
  if (k === 0) return { markdown: rangeHover(src, i), ...span };
  if (src.dump.format === 'pmap-X') {
    const header = pmapHeaderColumns(src);
    const col = header[k];
    if (!col || col === 'Mapping') return { markdown: pathHover(src, i), start: tok.index!, end: text.trimEnd().length };
    if (col === 'Perm') return { markdown: permsHover(src, i, tok[0], Math.min(3, ch - tok.index!)), ...span };
    if (col === 'Offset') return { markdown: offsetHover(src, i, tok[0]), ...span };
    if (col === 'Device') return { markdown: devHover(tok[0]), ...span };
    if (col === 'Inode') return { markdown: inodeHover(src, i, tok[0]), ...span };
    if (col === 'VmFlags' || VMFLAG_INFO[tok[0]]) return { markdown: `**VmFlags ${code(tok[0])}**: ${VMFLAG_INFO[tok[0]] ?? t('unknown')}.`, ...span };
    const r = hoverFieldLine(src, i, `${col}: ${tok[0]} kB`, 0);
    return r && { markdown: r.markdown, ...span };
  }
  // pmap -x: Address Kbytes RSS Dirty Mode Mapping; plain pmap: Address Kbytes Mode Mapping.
  const ext = src.dump.format === 'pmap-x';
  const cols = ext ? ['Address', 'Kbytes', 'RSS', 'Dirty', 'Mode'] : ['Address', 'Kbytes', 'Mode'];
  const col = cols[k] ?? 'Mapping';
  if (col === 'Mapping') return { markdown: pathHover(src, i), start: tok.index!, end: text.trimEnd().length };
  if (col === 'Mode') {
    const letter = Math.min(4, ch - tok.index!);
    const perms = tok[0].slice(0, 3) + (tok[0][3] === 's' ? 's' : 'p');
    const md = letter === 4 ? `**${t('Mode {0}', code(tok[0]))}** — ${PMAP_COLUMNS.Mode()}.` : permsHover(src, i, perms, letter);
    return { markdown: md, start: ch, end: ch + 1 };
  }
  const kb = Number(tok[0].replace(/K$/, ''));
  const what = col === 'Kbytes' ? 'Size' : col === 'RSS' ? 'Rss' : 'Dirty';
  const r = hoverFieldLine(src, i, `${what}: ${Number.isFinite(kb) ? kb : 0} kB`, 0);
  return r && { markdown: `**${col}** (pmap) — ${PMAP_COLUMNS[col]()}.\n\n${r.markdown.split('\n').slice(2).join('\n')}`, ...span };
}

/** gdb `info proc mappings`: Start Addr, End Addr, Size, Offset, [Perms], objfile. */
function gdbRowHover(src: HoverContext, i: number, text: string, ch: number): HoverResult | undefined {
  const tokens = [...text.matchAll(/\S+/g)];
  const k = tokens.findIndex((m) => ch >= m.index! && ch < m.index! + m[0].length);
  if (k < 0) return undefined;
  const tok = tokens[k];
  const span = { start: tok.index!, end: tok.index! + tok[0].length };
  if (k <= 1) return { markdown: rangeHover(src, i), ...span };
  if (k === 2) return { markdown: `**Size ${code(tok[0])}** (gdb): ${t('{0}, end minus start.', formatBytes(src.dump.size(i)))}`, ...span };
  if (k === 3) return { markdown: offsetHover(src, i, tok[0].replace(/^0x/, '')), ...span };
  if (k === 4 && /^[r-][w-][x-][ps]$/.test(tok[0])) return { markdown: permsHover(src, i, tok[0], Math.min(3, ch - tok.index!)), ...span };
  return { markdown: pathHover(src, i), start: tok.index!, end: text.trimEnd().length };
}

/** Texts are functions: the catalogue is set at start-up. */
const NUMA_KEYS: Record<string, () => string> = {
  anon: () => t('pages of anonymous memory'),
  dirty: () => t('dirty pages'),
  mapped: () => t('pages mapped from the file (or shared memory)'),
  mapmax: () => t('the most processes mapping any one of its pages'),
  swapcache: () => t('pages in the swap cache'),
  active: () => t('pages on the active list (shown when not all are)'),
  writeback: () => t('pages being written back'),
  kernelpagesize_kB: () => t('the page size backing the VMA, in kB'),
};

/** /proc/PID/numa_maps: `start policy [file=…|heap|stack|huge] key=value… N0=… N1=…`. */
function numaRowHover(src: HoverContext, i: number, text: string, ch: number): HoverResult | undefined {
  const tok = [...text.matchAll(/\S+/g)].find((m) => ch >= m.index! && ch < m.index! + m[0].length);
  if (!tok) return undefined;
  const span = { start: tok.index!, end: tok.index! + tok[0].length };
  const dump = src.dump;
  const pageKb = dump.fields.get('kernelpagesize_kB')?.[i];
  const page = (Number.isNaN(pageKb ?? NaN) ? 4 : pageKb!) * 1024;
  if (tok.index === 0) {
    return {
      markdown: `**${t('Start {0}', code(tok[0]))}** — ${t("numa_maps gives each VMA's start, not its end or permissions.")}

${vmaSummary(src, i)}`,
      ...span,
    };
  }
  const node = /^N(\d+)=(\d+)$/.exec(tok[0]);
  if (node) {
    const pages = Number(node[2]);
    const rss = (dump.fields.get('Rss')?.[i] ?? 0) * 1024;
    const share = rss > 0 ? ' ' + t("({0} of this VMA's resident memory)", formatPercent((pages * page) / rss)) : '';
    const count =
      pages === 1
        ? t('{0} page of {1} = {2} of this VMA on node {3}', formatCount(pages), formatBytes(page), formatBytes(pages * page), node[1])
        : t('{0} pages of {1} = {2} of this VMA on node {3}', formatCount(pages), formatBytes(page), formatBytes(pages * page), node[1]);
    return {
      markdown: `**${t('NUMA node {0}', node[1])}**: ${count}${share}.`,
      ...span,
    };
  }
  if (tok[0].startsWith('file=') || tok[0] === 'heap' || tok[0] === 'stack') return { markdown: pathHover(src, i), ...span };
  if (tok[0] === 'huge') return { markdown: `**huge**: ${t('hugetlbfs memory (MAP_HUGETLB or a hugetlbfs file).')}`, ...span };
  const kv = /^(\w+)=(\d+)$/.exec(tok[0]);
  if (kv) return { markdown: `**${kv[1]}=${kv[2]}** — ${NUMA_KEYS[kv[1]]?.() ?? t('a numa_maps count')}.`, ...span };
  return {
    markdown: `**${t('Memory policy {0}', code(tok[0]))}** — ${t(
      "where the kernel places this VMA's pages: `default` (the process's policy, usually local), `bind`, `interleave`, `prefer`, `local` (set with numactl or set_mempolicy/mbind).",
    )}`,
    ...span,
  };
}

function pmapHeaderColumns(src: HoverContext): string[] {
  return src.pmapColumns ?? [];
}

/** The column names of pmap output's header row (`Address Perm Offset …`), from its first lines. */
export function pmapColumnsOf(text: string): string[] | undefined {
  const head = text.slice(0, 4096).split('\n').slice(0, 6);
  const row = head.find((l) => /^\s*Address\s+\S/.test(l));
  return row ? row.trim().split(/\s+/) : undefined;
}

/** Hover for the column header row or the title of pmap output. */
function pmapMetaHover(text: string, ch: number, lineNo: number): HoverResult | undefined {
  const title = /^(\d+):\s+(.*)$/.exec(text);
  if (title && lineNo <= 3) return { markdown: t('**pmap** of process {0}: {1}.', title[1], code(title[2].trim())), start: 0, end: text.trimEnd().length };
  if (/^\s*Address\s/.test(text)) {
    const tok = [...text.matchAll(/\S+/g)].find((m) => ch >= m.index! && ch < m.index! + m[0].length);
    if (!tok) return undefined;
    const desc = PMAP_COLUMNS[tok[0]]?.() ?? SMAPS_FIELD_INFO[tok[0]];
    return { markdown: `**${tok[0]}** — ${desc ?? t('a pmap column')}.`, start: tok.index!, end: tok.index! + tok[0].length };
  }
  if (/^\s*total\b/.test(text)) return { markdown: `**total** — ${t('the sums over every mapping, in KiB.')}`, start: 0, end: text.trimEnd().length };
  return undefined;
}

/**
 * The hover for `ch` (0-based) on 1-based line `lineNo` whose text is `text`; undefined when
 * the position has nothing to explain.
 */
export function hoverAt(src: HoverContext, lineNo: number, text: string, ch: number): HoverResult | undefined {
  const exact = src.dump.indexAtLine(lineNo);
  src = processOf(src, lineNo);
  // A JVM crash log is text around its maps lines: only those are explained.
  if (src.dump.format === 'hs_err') return exact >= 0 ? hoverMapsLine(src, exact, text, ch) : undefined;
  if (/^\s*#/.test(text)) return hoverHeaderLine(src, text);
  if (src.dump.format.startsWith('pmap')) {
    if (exact >= 0) return pmapRowHover(src, exact, text, ch);
    return pmapMetaHover(text, ch, lineNo);
  }
  if (exact >= 0 && src.dump.format === 'gdb') return gdbRowHover(src, exact, text, ch);
  if (exact >= 0 && src.dump.format === 'numa_maps') return numaRowHover(src, exact, text, ch);
  if (exact >= 0) return hoverMapsLine(src, exact, text, ch);
  if (/^\s*[A-Za-z_]\w*:/.test(text)) return hoverFieldLine(src, vmaAtOrAbove(src.dump, lineNo), text, ch);
  return undefined;
}
