import { isAligned, toHex } from './addr';
import { CONFIDENCE_LABEL } from './allocator';
import type { ClassifyStats } from './classify';
import { Dump, MAX_PROCESSES, PERM_R, PERM_SHARED, PERM_W, PERM_X } from './dump';
import { thpMode } from './header';
import {
  FixContext,
  jemallocLgHugepage,
  jemallocLgPage,
  jvmMallocArenaMax,
  kernelDefaultHugepagesz,
  mallocArenaMax,
  mallocConfFix,
  maxMapCountFixes,
  mimallocPurgeDecommits,
  overcommitMemory,
  productMinimum,
  recommendedMaxMapCount,
  switchAllocatorFixes,
  thpMadvise,
} from './fixes';
import { formatBytes, formatCount, formatPercent } from './format';
import { t } from './l10n';
import { KIND_INDEX } from './kinds';
import { reasonText } from './parse';
import { editMallocConf, parseMallocConf } from './mallocConf';
import { MAX_FINDING_LINES, Tally } from './tally';
import type { AllocatorInfo, DumpHeader, Finding, Fix, KindSummary, MaxMapCountSource, Severity, VmaKind } from './types';

const MIB = 1048576;

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
  const source = { header: t('from the capture header'), option: t('as given'), default: t('the kernel default; the dump has no max_map_count header') }[
    f.maxMapCountSource
  ];
  let message = t('{0} VMAs of vm.max_map_count {1} ({2}; limit {3}).', formatCount(vmaCount), formatCount(maxMapCount), formatPercent(ratio), source);
  if (severity === 'error') {
    message += ` ${t('At the limit, an munmap() or mprotect() that splits a mapping fails with ENOMEM: jemalloc then aborts with "<jemalloc>: Error in munmap(): Cannot allocate memory" and the server dies.')}`;
  } else if (severity === 'warning') {
    message += ` ${t('Approaching the limit: raise vm.max_map_count before mmap/munmap start failing with ENOMEM.')}`;
  }
  const headerLine = dump.header.lines.max_map_count;
  const fixes =
    severity === 'info'
      ? []
      : maxMapCountFixes(f.ctx, `the process used ${formatPercent(ratio)} of vm.max_map_count`, productMinimum(dump.header.command)?.minimum);
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
      ? ` ${t('With jemalloc, MALLOC_CONF=retain:true (the 64-bit Linux default since 5.x) keeps freed extents mapped instead of unmapping pieces.')}`
      : '';
  const message =
    t(
      '{0} small anonymous VMAs in {1} ({2}, {3}) cost {4} VMAs of the limit: memory unmapped or re-protected page by page inside larger mappings (the munmap-splitting signature).',
      formatCount(vmas),
      t(clusters.length === 1 ? '{0} fragmented run' : '{0} fragmented runs', formatCount(clusters.length)),
      t(holes === 1 ? '{0} hole' : '{0} holes', formatCount(holes)),
      t(splits === 1 ? '{0} permission split' : '{0} permission splits', formatCount(splits)),
      formatCount(cost),
    ) + fixAdvice;
  return finding(
    'vma-fragmentation',
    severity,
    message,
    clusters.map((c) => dump.line[c.first]),
    maxMapCountFixes(f.ctx, `fragmentation costs ${formatCount(cost)} VMAs`),
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

/** The glibc arena cap the capture's environment sets: glibc.malloc.arena_max in GLIBC_TUNABLES, else MALLOC_ARENA_MAX. */
function arenaCap(header: DumpHeader): { value: number; source: string } | undefined {
  const tunable = /(?:^|:)glibc\.malloc\.arena_max=(\d+)/.exec(header.glibcTunables ?? '')?.[1];
  if (tunable) return { value: Number(tunable), source: `GLIBC_TUNABLES glibc.malloc.arena_max=${tunable}` };
  const v = header.mallocArenaMax;
  return v !== undefined && v > 0 ? { value: v, source: `MALLOC_ARENA_MAX=${v}` } : undefined;
}

/** A JVM, from the command line or the executable's name. */
const isJvm = (f: FindingInput) => /(?:^|\/)java\s|(?:^|\/)java$/.test(f.dump.header.command ?? '') || f.ctx.program === 'java';

/**
 * glibc arena heaps. A thread arena is one heap or more (it grows by adding heaps), so the heaps
 * seen bound the arenas from above; the cap (MALLOC_ARENA_MAX, or 8 per core on 64-bit and 2 per
 * core on 32-bit) bounds them too. The arena-max fix proposes a lower cap than the one in force.
 */
export function findArenas(f: FindingInput): Finding | undefined {
  const { stats, dump } = f;
  if (stats.arenaSlots === 0) return undefined;
  const heaps = stats.arenaSlots;
  const slot = 2 ** stats.arenaSlotBits;
  // 32 heaps of 64 MiB: 2 GiB of address space (32-bit heaps are 1 MiB: their count alone says little).
  const many = stats.arenaBytes >= 2048 * MIB || stats.arenaVmas >= 0.05 * f.maxMapCount;
  const lines = f.tally.kindLines[KIND_INDEX.arena];
  const count = f.kinds.arena?.count ?? 0;
  const switchFixes = f.allocator.name !== 'glibc' ? [] : switchAllocatorFixes(f.ctx);
  const perCore = stats.arenaSlotBits === 20 ? 2 : 8;
  const cap = arenaCap(dump.header);
  const cpus = dump.header.cpus;
  const threadArenas = Math.max((cap?.value ?? 0) - 1, 1);
  const limit = cap
    ? ` ${t(
        '{0} is set: at most {1} besides the main one, so heaps beyond that are arenas that grew.',
        cap.source,
        t(threadArenas === 1 ? '{0} thread arena' : '{0} thread arenas', formatCount(threadArenas)),
      )}`
    : cpus
      ? ` ${t('{0} CPUs allow up to {1} arenas ({2} per core).', cpus, perCore * cpus, perCore)}`
      : '';
  // Never a cap at or above the one in force (set, or the default when the CPUs are known); below
  // 2 every thread would share one arena.
  const current = cap?.value ?? (cpus ? perCore * cpus : undefined);
  const proposed = Math.min(isJvm(f) || perCore === 2 ? 2 : 4, current === undefined ? Infinity : Math.floor(current / 2));
  const capFix = proposed < 2 ? [] : isJvm(f) ? [jvmMallocArenaMax(f.ctx, proposed)] : [mallocArenaMax(f.ctx, proposed)];
  return finding(
    'glibc-arenas',
    many ? 'warning' : 'info',
    t(
      '{0} of {1} (HEAP_MAX_SIZE on {2}-bit): {3} VMAs and {4} of address space.',
      t(heaps === 1 ? '{0} glibc malloc arena heap' : '{0} glibc malloc arena heaps', formatCount(heaps)),
      formatBytes(slot),
      stats.arenaSlotBits === 20 ? '32' : '64',
      formatCount(stats.arenaVmas),
      formatBytes(stats.arenaBytes),
    ) +
      `${limit} ` +
      t(
        'glibc gives busy threads arenas of their own, up to {0} per core, and an arena grows by adding heaps; memory freed in one arena is not reused by another, so many threads mean sprawl.',
        perCore,
      ) +
      ' ' +
      (capFix.length
        ? t('Cap them with MALLOC_ARENA_MAX or switch to jemalloc or tcmalloc.')
        : t('The cap is already low: switch to jemalloc or tcmalloc to go further.')),
    lines,
    [...capFix, ...switchFixes],
    { arenas: heaps, heaps, vmas: stats.arenaVmas, bytes: stats.arenaBytes, slotBytes: slot, cap: cap?.value ?? 0 },
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
      t(
        "This system's default huge page is {0}. If you switch this process to jemalloc, build jemalloc with --with-lg-hugepage=21 or boot with default_hugepagesz=2M: jemalloc sizes its blocks to the huge page and each arena would cost 512 MiB or more.",
        formatBytes(hp!),
      ),
      [dump.header.lines.hugepagesize ?? dump.line[0]],
      [jemallocLgHugepage(f.ctx, hp), kernelDefaultHugepagesz(f.ctx)],
      { hugePageSize: hp!, aligned512, kernelPage64k },
    );
  }
  if (!layout && !bigHugePage && !kernelPage64k) return undefined;
  const evidence: string[] = [];
  if (layout) evidence.push(t('{0} anonymous mappings sized and aligned in 512 MiB multiples ({1})', aligned512, formatBytes(aligned512Bytes)));
  if (hugeReserve) evidence.push(t('{0} reservations of 1 GiB or more ({1})', hugeReserve, formatBytes(hugeReserveBytes)));
  if (bigHugePage) evidence.push(t('a default huge page of {0}', formatBytes(hp!)));
  if (kernelPage64k) evidence.push(t('KernelPageSize 64 kB (a 64 KiB-page kernel)'));
  const severity: Severity = layout ? 'error' : 'warning';
  return finding(
    'jemalloc-hugepage',
    severity,
    t(
      'jemalloc is running with a huge-page size of 32 MiB or more: {0}. jemalloc sizes and aligns its metadata and first extents to the huge page, so on 64 KiB-page arm64 kernels (512 MiB huge pages) every arena costs 512 MiB to 1 GiB (a MySQL using 7 GB with glibc used over 100 GB). Rebuild jemalloc with --with-lg-hugepage=21 or boot with default_hugepagesz=2M.',
      evidence.join('; '),
    ),
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
    t(
      '{0} ({1} reserved) cost {2} VMAs: each pthread has a stack and a guard page below it.',
      t(stats.threadStacks === 1 ? '{0} thread stack' : '{0} thread stacks', formatCount(stats.threadStacks)),
      formatBytes(bytes),
      formatCount(vmas),
    ) +
      ' ' +
      (hdr !== undefined
        ? t(
            'The capture counted {0} threads (the main one uses [stack]), so there are at most {1} thread stacks.',
            formatCount(hdr),
            formatCount(Math.max(hdr - 1, 0)),
          )
        : t('The capture has no thread count: pairs of a guard and a stack-sized mapping are counted as stacks.')),
    lines,
    heavy ? maxMapCountFixes(f.ctx, 'thread stacks use a quarter of the VMA limit') : [],
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
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? t(', and {0} more', names.length - 3) : '');
  return finding(
    'deleted-mapping',
    libs.length ? 'warning' : 'info',
    t(
      names.length === 1 ? '{0} file is mapped after being deleted: {1}.' : '{0} files are mapped after being deleted: {1}.',
      formatCount(names.length),
      shown,
    ) +
      ' ' +
      (libs.length
        ? t('A package upgrade replaced libraries under the running process: it still runs the old code. Restart it to load the new version.')
        : t('The disk space is freed only when the process unmaps them or exits.')),
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
  const label = a.name === 'unknown' ? t('Allocator unknown') : `${a.name}${a.variant ? ` (${a.variant})` : ''}, ${CONFIDENCE_LABEL[a.confidence]}`;
  if (a.confidence === 'loaded' && a.name !== 'glibc' && a.name !== 'musl') {
    message = t('{0} is loaded from {1} (soname {2}).', `${a.name}${a.variant ? ` (${a.variant})` : ''}`, a.library ?? '', a.soname ?? '');
    if (a.others.length) {
      severity = 'warning';
      message += ` ${t('Also mapped: {0}. The first in the symbol search order (LD_PRELOAD, then link order) serves malloc; mixing allocators is a common mistake.', a.others.map((o) => `${o.name} (${o.library})`).join(', '))}`;
    }
  } else {
    message = `${label}: ${a.evidence}.`;
  }
  if (a.name === 'glibc' && a.confidence !== 'static') {
    // A switch is a fix for a problem: offered here for the servers that commonly run on jemalloc
    // or tcmalloc; for any other program only with the arena finding, the trouble it addresses.
    if (f.ctx.server !== 'other') {
      fixes = switchAllocatorFixes(f.ctx);
      if (fixes.length) message += ` ${t('MySQL and MariaDB commonly run with jemalloc or tcmalloc to reduce fragmentation.')}`;
    } else if (!a.preloadBlocked) {
      message += ` ${
        f.stats.arenaSlots > 0
          ? t('Switching to jemalloc or tcmalloc is offered with the glibc arena finding, the trouble it would address.')
          : t('No allocator switch is offered: nothing in this dump shows glibc malloc trouble for it to fix.')
      }`;
    }
  }
  if (a.preloadBlocked) {
    message += ` ${t('No LD_PRELOAD fix is offered: {0}.', a.preloadBlocked)}`;
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
    t(
      dump.malformedCount === 1
        ? '{0} line was not understood and skipped (first: line {1}, {2}); everything else was analysed.'
        : '{0} lines were not understood and skipped (first: line {1}, {2}); everything else was analysed.',
      formatCount(dump.malformedCount),
      first.line,
      reasonText(first.reason),
    ),
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
    const shown = processes.slice(0, 10).map((p) => t('line {0}', p.line) + (p.label ? ` (${p.label})` : ''));
    const list = shown.join(', ') + (processes.length > shown.length ? `, …` : '');
    const analysed = processes.length > MAX_PROCESSES ? t('the first {0} are analysed, each on its own', MAX_PROCESSES) : t('each is analysed on its own');
    notes.unshift({
      line: processes[1].line,
      message: t(
        'The file holds {0} processes, starting at {1}; {2} and never summed (this report is of the first; the CLI and JSON list them).',
        formatCount(processes.length),
        list,
        analysed,
      ),
    });
  }
  if (notes.length === 0) return undefined;
  return finding(
    'input-notes',
    'warning',
    notes.map((n) => t('Line {0}: {1}', n.line, n.message)).join(' '),
    notes.map((n) => n.line),
    [],
    { notes: notes.length, processes: Math.max(1, processes.length) },
  );
}

const isAnonPrivate = (dump: Dump, i: number) => (dump.perms[i] & PERM_SHARED) === 0 && (dump.nameId[i] < 0 || (dump.name(i) ?? '').startsWith('[anon:'));

/**
 * Boundaries between contiguous anonymous rw-p and ---p VMAs, in address order: what decommitting
 * with PROT_NONE inside a mapping leaves. With `align`, only ---p → rw-p boundaries off an `align`
 * boundary count (a mimalloc segment's committed head follows the previous segment's tail there).
 */
function protectionBoundaries(dump: Dump, align = 0): { count: number; lines: number[] } {
  const order = dump.order();
  const lines: number[] = [];
  let count = 0;
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1];
    const b = order[k];
    if (!isAnonPrivate(dump, a) || !isAnonPrivate(dump, b) || dump.gap(a, b) !== 0) continue;
    const pa = dump.perms[a] & (PERM_R | PERM_W | PERM_X);
    const pb = dump.perms[b] & (PERM_R | PERM_W | PERM_X);
    const rwNone = (pa === (PERM_R | PERM_W) && pb === 0) || (pa === 0 && pb === (PERM_R | PERM_W));
    if (!rwNone) continue;
    if (align && (pa !== 0 || isAligned(dump.startHi[b], dump.startLo[b], Math.log2(align)))) continue;
    count++;
    if (lines.length < MAX_FINDING_LINES) lines.push(dump.line[b]);
  }
  return { count, lines };
}

/**
 * Transparent huge pages under jemalloc: with thp:always (or the kernel's THP mode always) its
 * extents are backed by 2 MiB pages however little of them is used, and RSS grows. Measured from
 * smaps AnonHugePages when the dump has it; from a maps dump only the configuration is evidence.
 */
export function findJemallocThp(f: FindingInput): Finding | undefined {
  const { dump } = f;
  if (f.allocator.name !== 'jemalloc') return undefined;
  const conf = parseMallocConf(dump.header.mallocConf);
  const asks = conf.thp === 'always' || conf.metadata_thp === 'always';
  const mode = thpMode(dump.header.thp);
  const huge = dump.fields.get('AnonHugePages');
  const rss = dump.fields.get('Rss');
  const evidence: string[] = [];
  if (asks)
    evidence.push(
      t(
        'MALLOC_CONF asks for {0}',
        ['thp', 'metadata_thp']
          .filter((k) => conf[k] === 'always')
          .map((k) => `${k}:always`)
          .join(','),
      ),
    );
  if (mode === 'always') evidence.push(t("the kernel's THP mode is always"));
  let hugeKb = 0;
  let rssKb = 0;
  const lines: number[] = [];
  if (huge && dump.format !== 'smaps_rollup') {
    for (let i = 0; i < dump.count; i++) {
      if (!isAnonPrivate(dump, i)) continue;
      const h = huge[i];
      const r = rss?.[i];
      if (r === r && r !== undefined) rssKb += r;
      if (h > 0) {
        hugeKb += h;
        if (lines.length < MAX_FINDING_LINES) lines.push(dump.line[i]);
      }
    }
    if (hugeKb === 0) return undefined;
    evidence.unshift(t('{0} of anonymous memory is in transparent huge pages (smaps AnonHugePages)', formatBytes(hugeKb * 1024)));
  } else if (!asks && mode !== 'always') {
    return undefined;
  }
  const measured = hugeKb > 0;
  const severity: Severity = measured && hugeKb >= 65536 && hugeKb >= 0.25 * rssKb ? 'warning' : 'info';
  const fixes: Fix[] = [
    mallocConfFix(
      f.ctx,
      editMallocConf(dump.header.mallocConf, { thp: 'never', metadata_thp: 'disabled' }),
      t('jemalloc without transparent huge pages (MALLOC_CONF thp:never,metadata_thp:disabled)'),
      [
        'thp:never and metadata_thp:disabled stop jemalloc from asking for huge pages (madvise(MADV_HUGEPAGE))',
        'for its extents and metadata; other options already set are kept.',
      ],
    ),
  ];
  if (mode === 'always') fixes.push(thpMadvise(f.ctx));
  return finding(
    'jemalloc-thp',
    severity,
    t('Transparent huge pages under jemalloc: {0}.', evidence.join('; ')) +
      ' ' +
      (measured
        ? t(
            'A huge page holds 2 MiB whatever part of it is used, so sparsely used extents inflate RSS ({0} of the anonymous RSS here).',
            formatPercent(rssKb ? hugeKb / rssKb : 0),
          )
        : t('A huge page holds 2 MiB whatever part of it is used, so sparsely used extents inflate RSS; smaps would show how much (AnonHugePages).')),
    lines.length ? lines : [dump.header.lines.malloc_conf ?? dump.header.lines.thp ?? f.allocator.line ?? dump.line[0]],
    fixes,
    { anonHugeBytes: hugeKb * 1024, anonRssBytes: rssKb * 1024, thpAlways: asks, thpMode: mode ?? '' },
    measured ? lines.length : 1,
  );
}

/**
 * jemalloc under vm.overcommit_memory=2: it then decommits with mmap(PROT_NONE) instead of
 * madvise, and freed extents inside its mappings become ---p pieces between rw-p ones.
 */
export function findJemallocOvercommit(f: FindingInput): Finding | undefined {
  const { dump } = f;
  const oc = dump.header.overcommitMemory;
  if (f.allocator.name !== 'jemalloc' || (oc !== undefined && oc !== 2)) return undefined;
  const { count, lines } = protectionBoundaries(dump);
  if (count < 256) return undefined;
  const severity: Severity = count >= 0.1 * f.maxMapCount || f.vmaCount >= f.warnRatio * f.maxMapCount ? 'warning' : 'info';
  return finding(
    'jemalloc-overcommit',
    severity,
    t(
      oc === 2
        ? '{0} boundaries between anonymous rw-p and ---p pieces under jemalloc, and the capture shows vm.overcommit_memory = 2: under strict overcommit accounting jemalloc decommits freed memory with PROT_NONE, so its extents alternate rw-p/---p and each piece is a VMA. With vm.overcommit_memory 0 or 1 it purges with madvise and the mapping stays whole.'
        : '{0} boundaries between anonymous rw-p and ---p pieces under jemalloc (the capture does not record vm.overcommit_memory): under strict overcommit accounting jemalloc decommits freed memory with PROT_NONE, so its extents alternate rw-p/---p and each piece is a VMA. With vm.overcommit_memory 0 or 1 it purges with madvise and the mapping stays whole.',
      formatCount(count),
    ),
    lines,
    [overcommitMemory(f.ctx), jemallocLgPage(f.ctx), ...maxMapCountFixes(f.ctx, `jemalloc's decommitted pieces cost ${formatCount(count)} VMAs`)],
    { boundaries: count, overcommitMemory: oc ?? -1 },
    count,
  );
}

/** mimalloc 2.1+ decommits purged memory (PROT_NONE) by default: holes inside its segments and arenas. */
export function findMimallocDecommit(f: FindingInput): Finding | undefined {
  const { dump } = f;
  if (f.allocator.name !== 'mimalloc') return undefined;
  // A segment's committed head starts on its 32 MiB boundary; a hole ends anywhere else.
  const { count, lines } = protectionBoundaries(dump, 32 * MIB);
  if (count < 128) return undefined;
  const severity: Severity = 2 * count >= 0.1 * f.maxMapCount || f.vmaCount >= f.warnRatio * f.maxMapCount ? 'warning' : 'info';
  return finding(
    'mimalloc-decommit',
    severity,
    t(
      "{0} decommitted (---p) holes inside mimalloc's reserved memory, each splitting a mapping (about {1} VMAs): mimalloc purges unused pages by decommitting them (PROT_NONE), and interleaved purges cut its segments and arenas into many VMAs. Purging by reset (MIMALLOC_PURGE_DECOMMITS=0) keeps them whole.",
      formatCount(count),
      formatCount(2 * count),
    ),
    lines,
    [mimallocPurgeDecommits(f.ctx), ...maxMapCountFixes(f.ctx, `mimalloc's decommitted holes cost about ${formatCount(2 * count)} VMAs`)],
    { holes: count, vmas: 2 * count },
    count,
  );
}

/**
 * jemalloc told by MALLOC_CONF not to retain address space (retain:false): freed extents are
 * unmapped, a piece of a larger mapping at a time, and with a low decay right away. That is how a
 * jemalloc process walks into vm.max_map_count and dies on "Error in munmap()".
 */
export function findJemallocRetain(f: FindingInput): Finding | undefined {
  const { dump } = f;
  if (f.allocator.name !== 'jemalloc') return undefined;
  const conf = parseMallocConf(dump.header.mallocConf);
  if (conf.retain !== 'false') return undefined;
  const decay = ['dirty_decay_ms', 'muzzy_decay_ms'].filter((k) => conf[k] !== undefined && Number(conf[k]) >= 0 && Number(conf[k]) <= 1000);
  const splitting = f.tally.runs.reduce((n, r) => n + r.vmas - 1, 0);
  const severity: Severity = splitting >= 256 || f.vmaCount >= f.warnRatio * f.maxMapCount ? 'warning' : 'info';
  return finding(
    'jemalloc-retain',
    severity,
    (decay.length
      ? t(
          'MALLOC_CONF sets retain:false and {0}: jemalloc unmaps freed extents instead of keeping their address space for reuse, almost as soon as they are freed.',
          decay.map((k) => `${k}:${conf[k]}`).join(', '),
        )
      : t('MALLOC_CONF sets retain:false: jemalloc unmaps freed extents instead of keeping their address space for reuse.')) +
      ' ' +
      t(
        'Each munmap of a piece of a larger mapping splits it; at vm.max_map_count the kernel refuses with ENOMEM and jemalloc prints "<jemalloc>: Error in munmap(): Cannot allocate memory". retain:true is the 64-bit Linux default.',
      ) +
      (splitting ? ` ${t('Fragmented runs here cost {0} VMAs.', formatCount(splitting))}` : ''),
    [dump.header.lines.malloc_conf ?? f.allocator.line ?? dump.line[0]],
    [
      mallocConfFix(
        f.ctx,
        editMallocConf(dump.header.mallocConf, { retain: 'true' }, ['dirty_decay_ms', 'muzzy_decay_ms']),
        t('jemalloc keeps freed address space (MALLOC_CONF retain:true, default decay)'),
        [
          'retain:true keeps freed extents mapped for reuse (purged with madvise), so frees do not split mappings;',
          'the decay settings go back to their defaults.',
        ],
      ),
    ],
    { retain: false, decay: decay.join(','), splitting },
  );
}

/** A recognised product whose documented minimum vm.max_map_count is above the limit seen. */
export function findProductMaxMapCount(f: FindingInput): Finding | undefined {
  const { dump } = f;
  const p = productMinimum(dump.header.command);
  if (!p || f.maxMapCount >= p.minimum) return undefined;
  const known = f.maxMapCountSource !== 'default';
  return finding(
    'product-max-map-count',
    known ? 'warning' : 'info',
    t(
      known
        ? '{0} needs vm.max_map_count of at least {1} ({2}); the limit here is {3}.'
        : '{0} needs vm.max_map_count of at least {1} ({2}); the capture does not record the limit (the kernel default is {3}).',
      p.product,
      formatCount(p.minimum),
      p.source,
      formatCount(f.maxMapCount),
    ),
    [dump.header.lines.command ?? dump.line[0]],
    maxMapCountFixes(f.ctx, `${p.product} needs at least ${p.minimum} (${p.source})`, p.minimum),
    { product: p.product, minimum: p.minimum, limit: f.maxMapCount },
  );
}
