import { detectAllocator } from './allocator';
import { classify, ClassifyStats } from './classify';
import { Dump, MAX_PROCESSES } from './dump';
import {
  FindingInput,
  findAllocator,
  findArenas,
  findDeleted,
  findFragmentation,
  findInputNotes,
  findJemallocHugepage,
  findJemallocOvercommit,
  findJemallocRetain,
  findJemallocThp,
  findMalformed,
  findMimallocDecommit,
  findProductMaxMapCount,
  findThreadStacks,
  findVmaLimit,
} from './findings';
import { fixContext } from './fixes';
import { countsTowardLimit, KIND_INDEX, KINDS } from './kinds';
import { t } from './l10n';
import { numaNodeBytes } from './numa';
import { parseDump } from './parse';
import { tally, Tally } from './tally';
import type { AllocatorInfo, Analysis, AnalyzeOptions, Finding, KindSummary, MaxMapCountSource, ProcessAnalysis, VmaKind } from './types';

export const DEFAULT_MAX_MAP_COUNT = 65530;
/** Shares of the limit from which vma-limit is a warning and an error, unless the options say. */
export const DEFAULT_WARN_RATIO = 0.6;
export const DEFAULT_ERROR_RATIO = 0.9;

/** Severity of the vma-limit finding at this share of the limit; undefined below the warning. */
export function limitSeverity(ratio: number, warnRatio = DEFAULT_WARN_RATIO, errorRatio = DEFAULT_ERROR_RATIO): 'error' | 'warning' | undefined {
  return ratio >= errorRatio ? 'error' : ratio >= warnRatio ? 'warning' : undefined;
}
const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/**
 * Everything the report, the diagnostics and the CLI show, from one parsed dump. A file of
 * several processes is analysed process by process: the result is the first's, with all of them
 * in `processes`.
 */
export function analyze(dump: Dump, options: AnalyzeOptions = {}): Analysis {
  if (dump.sections.length < 2) return analyzeOne(dump, options);
  // A crafted file of thousands of one-line "processes" must not cost thousands of analyses.
  const processes: ProcessAnalysis[] = dump.sections.slice(0, MAX_PROCESSES).map((sec, k) => {
    const part = dump.section(k);
    const a = analyzeOne(part, options);
    dump.kind.set(part.kind.subarray(0, part.count), sec.first); // hovers and the outline read the whole file's kinds
    part.release();
    return { label: sec.label, line: sec.line, ...a };
  });
  const notes = findInputNotes(dump, dump.sections);
  const first = processes[0];
  const findings = [...first.findings.filter((f) => f.id !== 'input-notes'), ...(notes ? [notes] : [])];
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const { label: _label, line: _line, ...top } = first;
  return { ...top, findings, processes, processCount: dump.sections.length };
}

interface Kinds {
  allocator: AllocatorInfo;
  stats: ClassifyStats;
  addressBits: 32 | 64;
  /** A rule changed kinds after the kernel's tally pass (which then must run again). */
  kindsChanged: boolean;
}

/**
 * The kind of every VMA, as analyze() decides it, without the findings: all that a diff, which
 * groups VMAs by kind, needs of a single-process dump. withTally: the kernel tallies as it
 * classifies (analyze reads that tally).
 */
export function classifyKinds(dump: Dump, withTally = false): Kinds {
  const addressBits: 32 | 64 = dump.maxEndHi > 0 ? 64 : 32;
  let allocator = detectAllocator(dump);
  // Without a verdict, classify by glibc's layout rules: its arenas are evidence in themselves.
  // The tally is made with the classification, and made again if a kind changes here.
  const stats = classify(dump, allocator.name === 'unknown' ? 'glibc' : allocator.name, addressBits, withTally);
  let kindsChanged = false;
  const open = allocator.confidence === 'unknown' || (allocator.name === 'glibc' && allocator.confidence === 'suspected');
  const staticJemalloc = open ? suspectStaticJemalloc(dump, stats, allocator) : undefined;
  if (staticJemalloc) {
    allocator = staticJemalloc;
    kindsChanged = true;
  }
  if (dump.permsUnknown) {
    unknownPermsKinds(dump);
    kindsChanged = true;
  }
  return { allocator, stats, addressBits, kindsChanged };
}

function analyzeOne(dump: Dump, options: AnalyzeOptions): Analysis {
  const { allocator, stats, addressBits, kindsChanged } = classifyKinds(dump, true);
  const t = tally(dump, !kindsChanged);
  const { kinds, totals, vmaCount } = summarise(t);
  const nodes = numaNodeBytes(dump);
  let maxMapCount = DEFAULT_MAX_MAP_COUNT;
  let maxMapCountSource: MaxMapCountSource = 'default';
  if (options.maxMapCount) {
    maxMapCount = options.maxMapCount;
    maxMapCountSource = 'option';
  } else if (dump.header.maxMapCount) {
    maxMapCount = dump.header.maxMapCount;
    maxMapCountSource = 'header';
  } else if (options.defaultMaxMapCount) {
    maxMapCount = options.defaultMaxMapCount;
  }

  const input: FindingInput = {
    dump,
    stats,
    kinds,
    tally: t,
    allocator,
    vmaCount,
    maxMapCount,
    maxMapCountSource,
    warnRatio: options.warnRatio ?? DEFAULT_WARN_RATIO,
    errorRatio: options.errorRatio ?? DEFAULT_ERROR_RATIO,
    ctx: fixContext(dump.names, dump.header, vmaCount, maxMapCount, { addressBits, allocator }),
  };
  const findings = [
    findVmaLimit(input),
    findFragmentation(input),
    findJemallocHugepage(input),
    findJemallocThp(input),
    findJemallocOvercommit(input),
    findJemallocRetain(input),
    findMimallocDecommit(input),
    findProductMaxMapCount(input),
    findArenas(input),
    findThreadStacks(input),
    findDeleted(input),
    dump.count > 0 && dump.format !== 'smaps_rollup' ? findAllocator(input) : undefined,
    findMalformed(dump),
    findInputNotes(dump, []),
  ].filter((f): f is Finding => f !== undefined && !(dump.permsUnknown && LAYOUT_FINDINGS.has(f.id)));
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);

  return {
    format: dump.format,
    header: dump.header,
    vmaCount,
    maxMapCount,
    maxMapCountSource,
    allocator,
    kinds,
    totals,
    threads: stats.threadStacks + (kinds.stack ? 1 : 0),
    arenas: stats.arenaSlots,
    findings,
    malformed: dump.malformed,
    malformedCount: dump.malformedCount,
    addressBits,
    ...(nodes ? { numaNodes: nodes } : {}),
  };
}

/** Findings read from permissions and sizes: not made when the input lacks them (numa_maps, old gdb). */
const LAYOUT_FINDINGS: ReadonlySet<Finding['id']> = new Set(['vma-fragmentation', 'glibc-arenas', 'thread-stacks', 'jemalloc-hugepage']);

/**
 * Without permissions every VMA reads as `---p`: anonymous ones would pass for reservations and
 * images for their padding. They are only what their names say: anonymous memory, mapped files.
 */
function unknownPermsKinds(dump: Dump): void {
  const reserved = KIND_INDEX.reserved;
  const gap = KIND_INDEX['image-gap'];
  for (let i = 0; i < dump.count; i++) {
    if (dump.kind[i] === reserved) dump.kind[i] = KIND_INDEX.anon;
    else if (dump.kind[i] === gap) dump.kind[i] = KIND_INDEX.file;
  }
}

/** Parse and analyse in one call. */
export function analyzeText(text: string | Uint8Array, options?: AnalyzeOptions): Analysis {
  const dump = parseDump(text);
  const analysis = analyze(dump, options);
  dump.release(); // the analysis holds no column of it
  return analysis;
}

/** The per-kind summary of the report, the totals, and the VMAs that count toward the limit. */
function summarise(t: Tally): { kinds: Partial<Record<VmaKind, KindSummary>>; totals: KindSummary; vmaCount: number } {
  const { count, bytes, rss, pss, swap } = t;
  const kinds: Partial<Record<VmaKind, KindSummary>> = {};
  const totals: KindSummary = { count: 0, bytes: 0 };
  let vmaCount = 0;
  KINDS.forEach((kind, k) => {
    if (!count[k]) return;
    const s: KindSummary = { count: count[k], bytes: bytes[k] };
    if (rss) s.rss = rss[k];
    if (pss) s.pss = pss[k];
    if (swap) s.swap = swap[k];
    kinds[kind] = s;
    // One rule everywhere: totals are the VMAs the kernel counts (not [vsyscall], not [rollup]).
    if (!countsTowardLimit(kind)) return;
    totals.count += s.count;
    totals.bytes += s.bytes;
    if (s.rss !== undefined) totals.rss = (totals.rss ?? 0) + s.rss;
    if (s.pss !== undefined) totals.pss = (totals.pss ?? 0) + s.pss;
    if (s.swap !== undefined) totals.swap = (totals.swap ?? 0) + s.swap;
    vmaCount += s.count;
  });
  // smaps_rollup: the one [rollup] line carries the process totals.
  if (kinds.rollup) {
    totals.rss = kinds.rollup.rss;
    totals.pss = kinds.rollup.pss;
    totals.swap = kinds.rollup.swap;
  }
  return { kinds, totals, vmaCount };
}

/**
 * jemalloc linked statically maps no library; its layout still shows: anonymous rw-p extents whose
 * start and size are multiples of its 2 MiB huge page (or 512 MiB on 64K-page kernels), and no
 * glibc arena slots even though threads exist.
 */
function suspectStaticJemalloc(dump: Dump, stats: ClassifyStats, before: AllocatorInfo): AllocatorInfo | undefined {
  const { bigAnon: big, bigAnonAligned: aligned } = stats;
  if (stats.arenaSlots > 0 || aligned < 8 || aligned * 10 < big * 7 || stats.threadStacks === 0) return undefined;
  const anon = KIND_INDEX.anon;
  for (let i = 0; i < dump.count; i++) if (dump.kind[i] === anon) dump.kind[i] = KIND_INDEX.allocator;
  return {
    name: 'jemalloc',
    confidence: 'suspected',
    evidence: t(
      '{0} of {1} large anonymous mappings are 2 MiB-aligned multiples of 2 MiB and there are no glibc arenas despite {2} thread stacks',
      aligned,
      big,
      stats.threadStacks,
    ),
    preloadBlocked:
      before.preloadBlocked ??
      t(
        'the layout suggests jemalloc linked into the executable, whose own malloc comes before any preloaded library (check: nm -D --defined-only EXE | grep -w malloc)',
      ),
    others: [],
  };
}
