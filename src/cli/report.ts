import { CONFIDENCE_LABEL } from '../core/allocator';
import { rangeGrew, type DumpDiff, type RangeGrowth } from '../core/diff';
import { showEscaped as esc } from '../core/escape';
import { formatBytes, formatCount, formatPercent } from '../core/format';
import { countsTowardLimit, KIND_INFO, KINDS } from '../core/kinds';
import { t } from '../core/l10n';
import { reasonText } from '../core/parse';
import type { Forecast, TimelineSample } from '../core/timeline';
import type { MappingSort, MappingUse } from '../core/mappings';
import type { Analysis, Severity } from '../core/types';

/**
 * Plain-text reports for a terminal; colour only when asked (a TTY without NO_COLOR). Every text
 * from the dump or the command line goes through `esc`: a control character in a header or a
 * path would otherwise drive the terminal (set its title, clear the screen).
 */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  sev(sev: Severity, s: string): string;
}

export function style(color: boolean): Style {
  const wrap = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevCode = { error: '31;1', warning: '33;1', info: '36' } as const;
  return { bold: wrap('1'), dim: wrap('2'), sev: (sev, s) => wrap(sevCode[sev])(s) };
}

const SEV_MARK = { error: '✖ error  ', warning: '▲ warning', info: '● info   ' } as const;

/** Terminal columns of a text: CJK and full-width characters take two (translated headings). */
function columns(s: string): number {
  let n = 0;
  for (const c of s) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(c) ? 2 : 1;
  return n;
}

function table(rows: string[][], alignRight: boolean[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => columns(r[c]))));
  const fill = (cell: string, c: number) => ' '.repeat(widths[c] - columns(cell));
  return rows.map((r) =>
    r
      .map((cell, c) => (alignRight[c] ? fill(cell, c) + cell : cell + fill(cell, c)))
      .join('  ')
      .trimEnd(),
  );
}

/** A report line's heading, padded to the value column (11 columns, as in English). */
const field = (name: string) => name + ' '.repeat(Math.max(1, 11 - columns(name)));

function bar(ratio: number, width = 30): string {
  const filled = Math.min(width, Math.round(Math.min(1, ratio) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export interface AnalysisExtras {
  /** The largest mappings (--top), by `sort`. */
  top?: MappingUse[];
  sort?: MappingSort;
  /** The fields of a smaps_rollup's one line, in kB. */
  rollup?: Record<string, number>;
}

/** What a smaps_rollup has, in the order /proc prints it, with the Pss split shown under Pss. */
const ROLLUP_FIELDS = [
  'Rss',
  'Pss',
  'Pss_Anon',
  'Pss_File',
  'Pss_Shmem',
  'Pss_Dirty',
  'Shared_Clean',
  'Shared_Dirty',
  'Private_Clean',
  'Private_Dirty',
  'Referenced',
  'Anonymous',
  'LazyFree',
  'AnonHugePages',
  'ShmemPmdMapped',
  'FilePmdMapped',
  'Shared_Hugetlb',
  'Private_Hugetlb',
  'Swap',
  'SwapPss',
  'Locked',
];

/** Pss = Pss_Anon + Pss_File + Pss_Shmem. */
const PSS_SPLIT = new Set(['Pss_Anon', 'Pss_File', 'Pss_Shmem']);

function renderRollup(fields: Record<string, number>, st: Style): string[] {
  const rows = ROLLUP_FIELDS.filter((k) => fields[k] !== undefined).map((k) => [PSS_SPLIT.has(k) ? `  ${k}` : k, formatBytes(fields[k] * 1024)]);
  return [st.bold(t('Rollup (the sum over every mapping; smaps_rollup lists no VMAs)')), ...table(rows, [false, true]).map((l) => `    ${l}`)];
}

function renderTop(top: MappingUse[], sort: MappingSort, st: Style): string[] {
  const hasRss = top.some((m) => m.rss !== undefined);
  const rows = [[t('Mapping'), 'VMAs', t('Size'), ...(hasRss ? ['RSS'] : [])]];
  for (const m of top)
    rows.push([esc(m.mapping), formatCount(m.vmas), formatBytes(m.bytes), ...(hasRss ? [m.rss !== undefined ? formatBytes(m.rss) : '-'] : [])]);
  const lines = table(rows, [false, true, true, true]);
  const title =
    sort === 'vmas'
      ? t('Top {0} mappings by VMA count', top.length)
      : sort === 'rss'
        ? t('Top {0} mappings by RSS', top.length)
        : t('Top {0} mappings by size', top.length);
  return [st.bold(title), st.bold(lines[0]), ...lines.slice(1)];
}

export function renderAnalysis(a: Analysis, source: string, st: Style, showFixes: boolean, extras: AnalysisExtras = {}): string {
  const out: string[] = [];
  const h = a.header;
  out.push(st.bold(`VMA Lens — ${esc(source)}`) + st.dim(` (${a.format}, ${a.addressBits}-bit)`));
  const proc = [
    h.command && `${esc(h.command.split(/\s+/)[0])}`,
    h.pid !== undefined && t('pid {0}', h.pid),
    h.host && t('on {0}', esc(h.host)),
    h.time && t('at {0}', esc(h.time)),
  ]
    .filter(Boolean)
    .join(' ');
  if (proc) out.push(`${field(t('Process'))}${proc}`);
  const sys = [
    h.kernel && t('kernel {0}', esc(h.kernel)),
    h.arch && esc(h.arch),
    h.pageSize && t('page {0}', formatBytes(h.pageSize)),
    h.hugePageSize && t('huge page {0}', formatBytes(h.hugePageSize)),
    h.thp && `THP ${esc(h.thp)}`,
  ]
    .filter(Boolean)
    .join(', ');
  if (sys) out.push(`${field(t('System'))}${sys}`);
  if (extras.rollup) {
    // A rollup sums the process: no VMA count, no libraries to name an allocator by, no stacks.
    if (h.threads !== undefined) out.push(`${field(t('Threads'))}${t('{0} (from the header)', formatCount(h.threads))}`);
    out.push('', ...renderRollup(extras.rollup, st), '');
  } else {
    const ratio = a.vmaCount / a.maxMapCount;
    const limitSev: Severity = a.findings.find((f) => f.id === 'vma-limit')?.severity ?? 'info';
    out.push(
      `VMAs       ${st.sev(limitSev, `${formatCount(a.vmaCount)} / ${formatCount(a.maxMapCount)} (${formatPercent(ratio)})`)} ${bar(ratio)} ` +
        st.dim(
          a.maxMapCountSource === 'default'
            ? t('vm.max_map_count default')
            : a.maxMapCountSource === 'header'
              ? t('vm.max_map_count from header')
              : t('vm.max_map_count from option'),
        ),
    );
    const al = a.allocator;
    out.push(
      `${field(t('Allocator'))}${st.bold(al.name)}${al.variant ? ` (${al.variant})` : ''}, ${CONFIDENCE_LABEL[al.confidence]}` +
        (al.library ? ` — ${esc(al.library)}` : ''),
      st.dim(`           ${esc(al.evidence)}`),
    );
    if (al.preloadBlocked) out.push(st.dim(`           ${t('LD_PRELOAD cannot switch it: {0}', esc(al.preloadBlocked))}`));
    out.push(`${field(t('Threads'))}${formatCount(a.threads)}${a.arenas ? `, ${t('glibc arena heaps {0}', formatCount(a.arenas))}` : ''}`);
    if (a.numaNodes)
      out.push(
        `${field('NUMA')}${t(
          '{0} resident',
          Object.entries(a.numaNodes)
            .map(([n, b]) => `${n} ${formatBytes(b)}`)
            .join(' · '),
        )}`,
      );
    out.push('');

    const hasRss = a.totals.rss !== undefined;
    // numa_maps gives no sizes: say so rather than 0 B.
    const size = (bytes: number) => (a.format === 'numa_maps' ? '?' : formatBytes(bytes));
    const rows: string[][] = [[t('Kind'), 'VMAs', t('Size'), ...(hasRss ? ['RSS'] : [])]];
    for (const k of KINDS) {
      const s = a.kinds[k];
      if (!s || !countsTowardLimit(k)) continue;
      rows.push([KIND_INFO[k].label, formatCount(s.count), size(s.bytes), ...(hasRss ? [formatBytes(s.rss ?? 0)] : [])]);
    }
    rows.push([t('Total'), formatCount(a.totals.count), size(a.totals.bytes), ...(hasRss ? [formatBytes(a.totals.rss ?? 0)] : [])]);
    const lines = table(rows, [false, true, true, true]);
    out.push(st.bold(lines[0]), ...lines.slice(1, -1), st.dim(lines[lines.length - 1]));
    out.push('');
  }
  if (extras.top?.length) out.push(...renderTop(extras.top, extras.sort ?? 'size', st), '');
  out.push(st.bold(t('Findings ({0})', a.findings.length)));
  for (const f of a.findings) {
    const where = f.lines.length
      ? st.dim(` (${t(f.lineCount > 1 ? 'lines {0}' : 'line {0}', f.lines.slice(0, 5).join(', ') + (f.lineCount > 5 ? ', …' : ''))})`)
      : '';
    out.push(`${st.sev(f.severity, SEV_MARK[f.severity])} ${st.bold(f.id)}${where}`);
    out.push(`    ${esc(f.message)}`);
    for (const fix of f.fixes) {
      out.push(`    ${st.bold(t('fix'))} ${esc(fix.title)} ${st.dim(`→ ${esc(fix.path)}`)}`);
      if (showFixes)
        out.push(
          ...fix.text
            .trimEnd()
            .split('\n')
            .map((l) => `        ${esc(l)}`),
        );
    }
  }
  if (a.malformedCount) {
    out.push('');
    out.push(st.sev('warning', t('Malformed lines ({0}), skipped:', formatCount(a.malformedCount))));
    for (const m of a.malformed.slice(0, 10)) out.push(`    ${t('line {0}', m.line)}: ${esc(reasonText(m.reason))}: ${st.dim(esc(m.text))}`);
    if (a.malformedCount > 10) out.push(st.dim(`    ${t('… and {0} more', formatCount(a.malformedCount - 10))}`));
  }
  if (!showFixes && a.findings.some((f) => f.fixes.length)) out.push('', st.dim(t('Run with --fixes to print the fix files.')));
  return out.join('\n') + '\n';
}

/** A change with its sign, as diff tools print it: +3, -2, 0. */
function signed(n: number, fmt: (n: number) => string): string {
  return n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : '0';
}

export function renderDiff(d: DumpDiff, a: string, b: string, st: Style, warning?: string): string {
  const out: string[] = [];
  const delta = d.vmaCountB - d.vmaCountA;
  out.push(st.bold(`VMA Lens diff — ${esc(a)} → ${esc(b)}`));
  if (warning) out.push(st.sev('warning', `${field(t('Warning'))}${esc(warning)}`));
  out.push(`${field('VMAs')}${formatCount(d.vmaCountA)} → ${formatCount(d.vmaCountB)} (${signed(delta, formatCount)})`);
  out.push(`${field(t('Changes'))}${t('{0} added, {1} removed, {2} unchanged', formatCount(d.added), formatCount(d.removed), formatCount(d.unchanged))}`);
  out.push('');
  const rows: string[][] = [[t('Kind'), t('VMAs A'), t('VMAs B'), t('Δ VMAs'), t('Δ size')]];
  for (const k of KINDS) {
    const s = d.kinds[k];
    if (!s || (s.countA === s.countB && s.bytesA === s.bytesB)) continue;
    const dc = s.countB - s.countA;
    rows.push([KIND_INFO[k].label, formatCount(s.countA), formatCount(s.countB), signed(dc, formatCount), signed(s.bytesB - s.bytesA, formatBytes)]);
  }
  if (rows.length > 1) {
    const lines = table(rows, [false, true, true, true, true]);
    out.push(st.bold(lines[0]), ...lines.slice(1), '');
  }
  const ranges = (title: string, list: RangeGrowth[]) => {
    if (!list.length) return;
    out.push(st.bold(title));
    for (const r of list) {
      out.push(
        `    ${r.startHex}-${r.endHex}  ${signed(r.vmaDelta, formatCount)} VMAs  ${signed(r.byteDelta, formatBytes)}  ${st.dim(`${KIND_INFO[r.kind].label}, +${r.added}/-${r.removed}`)}`,
      );
    }
  };
  ranges(t('Top-growing ranges'), d.topRanges.filter(rangeGrew));
  ranges(
    t('Shrinking ranges'),
    d.topRanges.filter((r) => !rangeGrew(r)),
  );
  return out.join('\n') + '\n';
}

export function renderTimeline(samples: TimelineSample[], fc: Forecast, dir: string, st: Style): string {
  const out: string[] = [st.bold(t('VMA Lens timeline — {0} ({1} samples)', esc(dir), samples.length)), ''];
  const rows: string[][] = [[t('Sample'), 'VMAs', t('Limit'), t('Use'), 'RSS', t('Allocator'), t('Worst finding')]];
  for (const s of samples) {
    const worst = s.findings.find((f) => f.severity === 'error') ?? s.findings.find((f) => f.severity === 'warning');
    rows.push([
      esc(s.label),
      formatCount(s.vmaCount),
      formatCount(s.maxMapCount),
      formatPercent(s.vmaCount / s.maxMapCount),
      s.rss !== undefined ? formatBytes(s.rss) : '-',
      esc(s.allocator),
      worst ? `${worst.severity} ${worst.id}` : '-',
    ]);
  }
  out.push(...table(rows, [false, true, true, true, true, false, false]).map((l, i) => (i === 0 ? st.bold(l) : l)));
  out.push('', `${field(t('Forecast'))}${fc.text}`);
  return out.join('\n') + '\n';
}
