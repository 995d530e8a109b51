import { isAligned, toHex } from './addr';
import { CONFIDENCE_LABEL } from './allocator';
import type { ClassifyStats } from './classify';
import { Dump, MAX_PROCESSES } from './dump';
import {
  FixContext,
  jemallocLgHugepage,
  kernelDefaultHugepagesz,
  mallocArenaMax,
  recommendedMaxMapCount,
  switchAllocatorFixes,
  sysctlMaxMapCount,
} from './fixes';
import { formatBytes, formatCount, formatPercent } from './format';
import { KIND_INDEX } from './kinds';
import { MAX_FINDING_LINES, Tally } from './tally';
import type { AllocatorInfo, Finding, Fix, KindSummary, MaxMapCountSource, Severity, VmaKind } from './types';

const MIB = 1048576;

/** "1 hole", "65,506 holes". */
const plural = (n: number, noun: string) => `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;

export interface FindingInput {
  dump: Dump;
  stats: ClassifyStats;
  kinds: Partial<Record<VmaKind, KindSummary>>;
  tally: Tally;
  allocator: AllocatorInfo;
  vmaCount: number;
  maxMapCount: number;
  maxMapCountSource: MaxMapCountSource;
  warnRatio: number;
  errorRatio: number;
  ctx: FixContext;
}

function finding(
  id: Finding['id'],
  severity: Severity,
  message: string,
  lines: number[],
  fixes: Fix[],
  data: Finding['data'],
  lineCount = lines.length,
): Finding {
  return { id, severity, message, lines: lines.slice(0, MAX_FINDING_LINES), lineCount, fixes, data };
}

export function findVmaLimit(f: FindingInput): Finding | undefined {
  const { dump, vmaCount, maxMapCount } = f;
  if (dump.format === 'smaps_rollup' || dump.count === 0) return undefined;
  const ratio = vmaCount / maxMapCount;
  const severity: Severity = ratio >= f.errorRatio ? 'error' : ratio >= f.warnRatio ? 'warning' : 'info';
  const source = { header: 'from the capture header', option: 'as given', default: 'the kernel default; the dump has no max_map_count header' }[
    f.maxMapCountSource
  ];
  let message = `${formatCount(vmaCount)} VMAs of vm.max_map_count ${formatCount(maxMapCount)} (${formatPercent(ratio)}; limit ${source}).`;
  if (severity === 'error') {
    message +=
      ' At the limit, an munmap() or mprotect() that splits a mapping fails with ENOMEM: jemalloc then aborts with "<jemalloc>: Error in munmap(): Cannot allocate memory" and the server dies.';
  } else if (severity === 'warning') {
    message += ' Approaching the limit: raise vm.max_map_count before mmap/munmap start failing with ENOMEM.';
  }
  const headerLine = dump.header.lines.max_map_count;
  const fixes =
    severity === 'info' ? [] : [sysctlMaxMapCount(f.ctx, `the process used ${formatPercent(ratio)} of vm.max_map_count`)];
  return finding('vma-limit', severity, message, [headerLine ?? dump.line[0]], fixes, {
    vmaCount,
    maxMapCount,
    ratio: Math.round(ratio * 10000) / 10000,
    source: f.maxMapCountSource,
    recommended: recommendedMaxMapCount(vmaCount),
  });
}

/**
 * The munmap-splitting signature: runs of small anonymous VMAs separated by small holes or by
 * permission changes, where one mapping became many. Each run of n VMAs costs n-1 of the limit.
 */
export function findFragmentation(f: FindingInput): Finding | undefined {
  const { dump } = f;
  // Largest first: the finding's first line is the worst run.
  const clusters = [...f.tally.runs].sort((a, b) => b.vmas - a.vmas);
  let cost = 0;
  let vmas = 0;
  let holes = 0;
  let splits = 0;
  for (const c of clusters) {
    cost += c.vmas - 1;
    vmas += c.vmas;
    holes += c.holes;
    splits += c.splits;
  }
  const significant = cost >= 1000 || (cost >= 256 && cost >= 0.2 * f.vmaCount);
  if (!significant) return undefined;
  const top = clusters[0];
  const severity: Severity = cost >= 0.1 * f.maxMapCount || f.vmaCount >= f.warnRatio * f.maxMapCount ? 'warning' : 'info';
  const fixAdvice =
    f.allocator.name === 'jemalloc'
      ? ' With jemalloc, MALLOC_CONF=retain:true (the 64-bit Linux default since 5.x) keeps freed extents mapped instead of unmapping pieces.'
      : '';
  const message =
    `${formatCount(vmas)} small anonymous VMAs in ${plural(clusters.length, 'fragmented run')}` +
    ` (${plural(holes, 'hole')}, ${plural(splits, 'permission split')}) cost ${formatCount(cost)} VMAs of the limit:` +
    ' memory unmapped or re-protected page by page inside larger mappings (the munmap-splitting signature).' +
    fixAdvice;
  return finding(
    'vma-fragmentation',
    severity,
    message,
    clusters.map((c) => dump.line[c.first]),
    [sysctlMaxMapCount(f.ctx, `fragmentation costs ${formatCount(cost)} VMAs`)],
    {
      vmas,
      clusters: clusters.length,
      cost,
      holes,
      splits,
      largestRunVmas: top.vmas,
      largestRunStart: toHex(dump.startHi[top.first], dump.startLo[top.first]),
      largestRunEnd: toHex(dump.endHi[top.last], dump.endLo[top.last]),
    },
    clusters.length,
  );
}

export function findArenas(f: FindingInput): Finding | undefined {
  const { stats, dump } = f;
  if (stats.arenaSlots === 0) return undefined;
  const slot = 2 ** stats.arenaSlotBits;
  const many = stats.arenaSlots >= 32 || stats.arenaVmas >= 0.05 * f.maxMapCount;
  const lines = f.tally.kindLines[KIND_INDEX.arena];
  const count = f.kinds.arena?.count ?? 0;
  const switchFixes = f.allocator.name !== 'glibc' ? [] : switchAllocatorFixes(f.ctx);
  const cores = dump.header.cpus ? ` (${dump.header.cpus} CPUs allow up to ${8 * dump.header.cpus})` : '';
  return finding(
    'glibc-arenas',
    many ? 'warning' : 'info',
    `${plural(stats.arenaSlots, 'glibc malloc arena heap')}${cores}: ` +
      `${formatCount(stats.arenaVmas)} VMAs and ${formatBytes(stats.arenaSlots * slot)} of address space in ${formatBytes(slot)} slots. ` +
      'glibc gives threads their own arenas, up to 8 per core; memory freed in one arena is not reused by another, so many threads mean sprawl. ' +
      'Cap them with MALLOC_ARENA_MAX or switch to jemalloc or tcmalloc.',
    lines,
    [mallocArenaMax(f.ctx), ...switchFixes],
    { arenas: stats.arenaSlots, vmas: stats.arenaVmas, bytes: stats.arenaSlots * slot, slotBytes: slot },
    count,
  );
}

/** jemalloc with 32 MiB+ huge pages: extents sized and aligned to 512 MiB, giant ---p reservations. */
export function findJemallocHugepage(f: FindingInput): Finding | undefined {
  const { dump } = f;
  const hp = dump.header.hugePageSize;
  const bigHugePage = hp !== undefined && hp >= 32 * MIB;
  const isJemalloc = f.allocator.name === 'jemalloc';
  if (!isJemalloc && !bigHugePage) return undefined;
  const kps = dump.fields.get('KernelPageSize');
  let kernelPage64k = false;
  const lines: number[] = [];
  let aligned512 = 0;
  let aligned512Bytes = 0;
  let hugeReserve = 0;
  let hugeReserveBytes = 0;
  const allocatorKind = KIND_INDEX.allocator;
  const reservedKind = KIND_INDEX.reserved;
  const anonKind = KIND_INDEX.anon;
  for (let i = 0; i < dump.count; i++) {
    const k = dump.kind[i];
    if (kps && kps[i] >= 64) kernelPage64k = true;
    if (k !== allocatorKind && k !== reservedKind && k !== anonKind) continue;
    const size = dump.size(i);
    if (size >= 512 * MIB && size % (512 * MIB) === 0 && isAligned(dump.startHi[i], dump.startLo[i], 29)) {
      aligned512++;
      aligned512Bytes += size;
      if (lines.length < MAX_FINDING_LINES) lines.push(dump.line[i]);
    } else if (k === reservedKind && size >= 1024 * MIB) {
      hugeReserve++;
      hugeReserveBytes += size;
      if (lines.length < MAX_FINDING_LINES) lines.push(dump.line[i]);
    }
  }
  const layout = aligned512 >= 2;
  if (!isJemalloc) {
    return finding(
      'jemalloc-hugepage',
      'info',
      `This system's default huge page is ${formatBytes(hp!)}. If you switch this process to jemalloc, build jemalloc with ` +
        '--with-lg-hugepage=21 or boot with default_hugepagesz=2M: jemalloc sizes its blocks to the huge page and each arena would cost 512 MiB or more.',
      [dump.header.lines.hugepagesize ?? dump.line[0]],
      [jemallocLgHugepage(f.ctx, hp), kernelDefaultHugepagesz(f.ctx)],
      { hugePageSize: hp!, aligned512, kernelPage64k },
    );
  }
  if (!layout && !bigHugePage && !kernelPage64k) return undefined;
  const evidence: string[] = [];
  if (layout) evidence.push(`${aligned512} anonymous mappings sized and aligned in 512 MiB multiples (${formatBytes(aligned512Bytes)})`);
  if (hugeReserve) evidence.push(`${hugeReserve} reservations of 1 GiB or more (${formatBytes(hugeReserveBytes)})`);
  if (bigHugePage) evidence.push(`a default huge page of ${formatBytes(hp!)}`);
  if (kernelPage64k) evidence.push('KernelPageSize 64 kB (a 64 KiB-page kernel)');
  const severity: Severity = layout ? 'error' : 'warning';
  return finding(
    'jemalloc-hugepage',
    severity,
    `jemalloc is running with a huge-page size of 32 MiB or more: ${evidence.join('; ')}. ` +
      'jemalloc sizes and aligns its metadata and first extents to the huge page, so on 64 KiB-page arm64 kernels (512 MiB huge pages) ' +
      'every arena costs 512 MiB to 1 GiB (a MySQL using 7 GB with glibc used over 100 GB). Rebuild jemalloc with --with-lg-hugepage=21 or boot with default_hugepagesz=2M.',
    lines.length ? lines : [dump.header.lines.hugepagesize ?? f.allocator.line ?? dump.line[0]],
    [jemallocLgHugepage(f.ctx, hp), kernelDefaultHugepagesz(f.ctx)],
    { aligned512, aligned512Bytes, hugeReserve, hugeReserveBytes, hugePageSize: hp ?? 0, kernelPage64k },
    Math.max(lines.length, aligned512 + hugeReserve),
  );
}

export function findThreadStacks(f: FindingInput): Finding | undefined {
  const { stats, dump } = f;
  if (stats.threadStacks === 0) return undefined;
  const vmas = stats.threadStacks + stats.guards;
  const lines = f.tally.kindLines[KIND_INDEX['thread-stack']];
  const { count, bytes } = f.kinds['thread-stack'] ?? { count: 0, bytes: 0 };
  const heavy = vmas >= 0.25 * f.maxMapCount;
  const hdr = dump.header.threads;
  return finding(
    'thread-stacks',
    heavy ? 'warning' : 'info',
    `${plural(stats.threadStacks, 'thread stack')} (${formatBytes(bytes)} reserved) cost ` +
      `${formatCount(vmas)} VMAs: each pthread has a stack and a guard page below it.` +
      (hdr !== undefined ? ` The capture counted ${formatCount(hdr)} threads.` : ''),
    lines,
    heavy ? [sysctlMaxMapCount(f.ctx, 'thread stacks use a quarter of the VMA limit')] : [],
    { threads: stats.threadStacks, vmas, guards: stats.guards, bytes },
    count,
  );
}

export function findDeleted(f: FindingInput): Finding | undefined {
  const { dump } = f;
  const count = f.kinds.deleted?.count ?? 0;
  if (count === 0) return undefined;
  const del = KIND_INDEX.deleted;
  const files = new Set<string>();
  for (let i = 0; i < dump.count; i++) if (dump.kind[i] === del) files.add(dump.name(i) ?? '');
  const lines = f.tally.kindLines[del];
  const names = [...files];
  const libs = names.filter((n) => /\.so\b/.test(n) || dump.names.indexOf(n) === 0);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, and ${names.length - 3} more` : '');
  return finding(
    'deleted-mapping',
    libs.length ? 'warning' : 'info',
    `${formatCount(names.length)} file${names.length === 1 ? ' is' : 's are'} mapped after being deleted: ${shown}. ` +
      (libs.length
        ? 'A package upgrade replaced libraries under the running process: it still runs the old code. Restart it to load the new version.'
        : 'The disk space is freed only when the process unmaps them or exits.'),
    lines,
    [],
    { files: names.length, libraries: libs.length },
    count,
  );
}

export function findAllocator(f: FindingInput): Finding {
  const a = f.allocator;
  const lines = a.line ? [a.line] : [f.dump.line[0] ?? 1];
  let message: string;
  let severity: Severity = 'info';
  let fixes: Fix[] = [];
  const label = a.name === 'unknown' ? 'Allocator unknown' : `${a.name}${a.variant ? ` (${a.variant})` : ''}, ${CONFIDENCE_LABEL[a.confidence]}`;
  if (a.confidence === 'loaded' && a.name !== 'glibc' && a.name !== 'musl') {
    message = `${a.name}${a.variant ? ` (${a.variant})` : ''} is loaded from ${a.library} (soname ${a.soname}).`;
    if (a.others.length) {
      severity = 'warning';
      message += ` Also mapped: ${a.others.map((o) => `${o.name} (${o.library})`).join(', ')}. The first in the symbol search order (LD_PRELOAD, then link order) serves malloc; mixing allocators is a common mistake.`;
    }
  } else {
    message = `${label}: ${a.evidence}.`;
  }
  if (a.name === 'glibc' && a.confidence !== 'static') {
    fixes = switchAllocatorFixes(f.ctx);
    if (f.ctx.server !== 'other' && fixes.length) message += ' MySQL and MariaDB commonly run with jemalloc or tcmalloc to reduce fragmentation.';
  }
  if (a.preloadBlocked) {
    message += ` No LD_PRELOAD fix is offered: ${a.preloadBlocked}.`;
  }
  return finding('allocator', severity, message, lines, fixes, {
    allocator: a.name,
    confidence: a.confidence,
    library: a.library ?? '',
    evidence: a.evidence,
  });
}

export function findMalformed(dump: Dump): Finding | undefined {
  if (dump.malformedCount === 0) return undefined;
  const first = dump.malformed[0];
  return finding(
    'malformed-lines',
    'warning',
    `${formatCount(dump.malformedCount)} line${dump.malformedCount === 1 ? ' was' : 's were'} not understood and skipped ` +
      `(first: line ${first.line}, ${first.reason}); everything else was analysed.`,
    dump.malformed.map((m) => m.line),
    [],
    { malformed: dump.malformedCount },
    dump.malformedCount,
  );
}

/**
 * What the parser noticed about the input as a whole: several processes in one file, ranges out
 * of order or overlapping, more field names than any real smaps.
 */
export function findInputNotes(dump: Dump, processes: { label: string; line: number }[]): Finding | undefined {
  const notes = [...dump.notes];
  if (processes.length > 1) {
    const shown = processes.slice(0, 10).map((p) => `line ${p.line}${p.label ? ` (${p.label})` : ''}`);
    const list = shown.join(', ') + (processes.length > shown.length ? `, …` : '');
    const analysed = processes.length > MAX_PROCESSES ? `the first ${MAX_PROCESSES} are analysed, each on its own` : 'each is analysed on its own';
    notes.unshift({
      line: processes[1].line,
      message: `The file holds ${formatCount(processes.length)} processes, starting at ${list}; ${analysed} and never summed (this report is of the first; the CLI and JSON list them).`,
    });
  }
  if (notes.length === 0) return undefined;
  return finding(
    'input-notes',
    'warning',
    notes.map((n) => `Line ${n.line}: ${n.message}`).join(' '),
    notes.map((n) => n.line),
    [],
    { notes: notes.length, processes: Math.max(1, processes.length) },
  );
}
