/**
 * HTML of the analysis and compare reports. Pure (no `vscode`): the panel gives the CSP source and
 * a nonce; buttons are command URIs (the panel allows only the commands they use). No external
 * resources: styles are inline (with the nonce) and use VS Code's theme variables.
 */
import { CONFIDENCE_LABEL } from '../core/allocator';
import { rangeGrew, type DumpDiff } from '../core/diff';
import { formatBytes, formatCount, formatPercent } from '../core/format';
import { t } from '../core/l10n';
import { thpMode } from '../core/header';
import { countsTowardLimit, KIND_INFO, KINDS } from '../core/kinds';
import type { Analysis, Finding, Fix, ProcessAnalysis, Severity } from '../core/types';
import { escapeHtml, webviewHtml } from '../util/webviewHtml';

export interface ReportPage {
  nonce: string;
  cspSource: string;
  /** What was analysed (a file or sample name), for the title. */
  subject: string;
  /** The page's language (`vscode.env.language`); `en` when not given. */
  lang?: string;
  /** State the page keeps for revival (the panel restores the report from it after a reload). */
  state?: unknown;
}

export interface CommandIds {
  openFix: string;
  copyCommand: string;
  revealLine: string;
}

const esc = escapeHtml;

/** A `command:` URI with JSON arguments, as webviews with enableCommandUris run them. */
export function commandUri(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 20px 40px; line-height: 1.45; }
h1 { font-size: 1.5em; font-weight: 600; margin: 18px 0 2px; }
h2 { font-size: 1.15em; font-weight: 600; margin: 26px 0 8px; border-bottom: 1px solid var(--vscode-panel-border, #8884); padding-bottom: 4px; }
.sub { color: var(--vscode-descriptionForeground); margin-bottom: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border, #8884); border-radius: 4px; padding: 10px 14px; min-width: 180px; background: var(--vscode-editorWidget-background, transparent); }
.card .label { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.card .value { font-size: 1.35em; font-weight: 600; }
.meter { height: 6px; background: var(--vscode-editorWidget-border, #8884); border-radius: 3px; margin-top: 6px; overflow: hidden; }
.meter > div { height: 100%; background: var(--vscode-charts-green, #3a3); }
.meter.warning > div { background: var(--vscode-charts-yellow, #cc3); }
.meter.error > div { background: var(--vscode-charts-red, #c33); }
table { border-collapse: collapse; margin-top: 4px; }
th, td { padding: 3px 12px 3px 0; text-align: left; }
th { color: var(--vscode-descriptionForeground); font-weight: 600; border-bottom: 1px solid var(--vscode-panel-border, #8884); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { border-top: 1px solid var(--vscode-panel-border, #8884); font-weight: 600; }
.finding { border-left: 3px solid var(--vscode-charts-blue, #38c); padding: 4px 0 6px 12px; margin: 12px 0; }
.finding.error { border-color: var(--vscode-charts-red, #c33); }
.finding.warning { border-color: var(--vscode-charts-yellow, #cc3); }
.sev { font-size: 0.8em; text-transform: uppercase; font-weight: 700; letter-spacing: 0.04em; margin-right: 6px; }
.sev.error { color: var(--vscode-errorForeground, #c33); }
.sev.warning { color: var(--vscode-editorWarning-foreground, #cc3); }
.sev.info { color: var(--vscode-editorInfo-foreground, #38c); }
p.warning { border-left: 3px solid var(--vscode-editorWarning-foreground, #cc3); padding: 4px 0 4px 10px; }
code, .mono { font-family: var(--vscode-editor-font-family); font-size: 0.95em; }
.lines { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.fix { margin: 6px 0 0; }
a.button { display: inline-block; padding: 2px 10px; margin: 2px 6px 2px 0; border-radius: 2px; text-decoration: none;
  color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
a.button:hover { background: var(--vscode-button-hoverBackground); }
a.button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
.columns { display: grid; grid-template-columns: 1fr; column-gap: 36px; }
@media (min-width: 1000px) { .columns { grid-template-columns: max-content minmax(0, 1fr); } }
.plus { color: var(--vscode-charts-red, #c33); }
.minus { color: var(--vscode-charts-green, #3a3); }
`;

function page(p: ReportPage, title: string, body: string): string {
  const state =
    p.state === undefined ? '' : `<script nonce="${p.nonce}">acquireVsCodeApi().setState(${JSON.stringify(p.state).replace(/</g, '\\u003c')});</script>`;
  return webviewHtml({ nonce: p.nonce, title, lang: p.lang, cspSource: p.cspSource, head: `<style nonce="${p.nonce}">${STYLE}</style>`, body: body + state });
}

const sevLabel = (s: Severity) => ({ error: t('Error'), warning: t('Warning'), info: t('Info') })[s];

function fixButtons(fix: Fix, cmd: CommandIds, commandLine: (f: Fix) => string | undefined): string {
  const line = commandLine(fix);
  return `<div class="fix"><span>${esc(fix.title)}</span> <span class="lines">→ <code>${esc(fix.path)}</code></span><br>
<a class="button" href="${commandUri(cmd.openFix, [fix])}" title="${t('Open the file this fix writes, as a new untitled document')}">${t('Open fix')}</a>${
    line ? `<a class="button secondary" href="${commandUri(cmd.copyCommand, [line])}" title="${esc(line)}">${t('Copy command')}</a>` : ''
  }</div>`;
}

function findingHtml(f: Finding, cmd: CommandIds, docUri: string | undefined, commandLine: (f: Fix) => string | undefined): string {
  const shown = f.lines.slice(0, 8);
  const lines = shown.length
    ? `<div class="lines">${f.lineCount > 1 ? t('Lines') : t('Line')} ${shown
        .map((l) => (docUri ? `<a href="${commandUri(cmd.revealLine, [docUri, l])}">${l}</a>` : String(l)))
        .join(', ')}${f.lineCount > shown.length ? `, … (${t('{0} in all', formatCount(f.lineCount))})` : ''}</div>`
    : '';
  return `<div class="finding ${f.severity}" id="finding-${esc(f.id)}"><span class="sev ${f.severity}">${sevLabel(f.severity)}</span><code>${esc(f.id)}</code>
<div>${esc(f.message)}</div>${lines}${f.fixes.map((x) => fixButtons(x, cmd, commandLine)).join('')}</div>`;
}

/** A file of several processes: one row each (this report is of the first; none is summed). */
function processesHtml(processes: ProcessAnalysis[]): string {
  const rows = processes
    .map((p) => {
      const worst = p.findings.find((f) => f.severity !== 'info' && f.id !== 'input-notes');
      return `<tr><td>${esc(p.label || t('process at line {0}', p.line))}</td><td class="num">${p.line}</td><td class="num">${formatCount(p.vmaCount)}</td><td>${esc(p.allocator.name)}</td><td>${worst ? `${esc(worst.severity)}: ${esc(worst.id)}` : t('no warning')}</td></tr>`;
    })
    .join('\n');
  return `<h2>${t('Processes in this file ({0}, each analysed on its own)', processes.length)}</h2>
<table id="processes"><thead><tr><th>${t('Process')}</th><th class="num">${t('Line')}</th><th class="num">VMAs</th><th>${t('Allocator')}</th><th>${t('Worst finding')}</th></tr></thead><tbody>${rows}</tbody></table>`;
}
/** The analysis report: limit, allocator, a summary by kind, the findings with their fixes. */
export function analysisHtml(
  a: Analysis,
  p: ReportPage & { cmd: CommandIds; docUri?: string; commandLine: (f: Fix) => string | undefined; elapsedMs?: number },
): string {
  const h = a.header;
  const ratio = a.vmaCount / a.maxMapCount;
  const limitSev = a.findings.find((f) => f.id === 'vma-limit')?.severity ?? 'info';
  const source = { header: t('from the capture header'), option: t('as set'), default: t('kernel default (no header)') }[a.maxMapCountSource];
  const proc = [
    h.command ? esc(h.command.split(/\s+/)[0]) : '',
    h.pid !== undefined ? t('pid {0}', h.pid) : '',
    h.host ? t('on {0}', esc(h.host)) : '',
    h.time ? t('at {0}', esc(h.time)) : '',
  ]
    .filter(Boolean)
    .join(' ');
  const sys = [
    h.kernel && t('kernel {0}', esc(h.kernel)),
    h.arch && esc(h.arch),
    h.pageSize && t('page {0}', formatBytes(h.pageSize)),
    h.hugePageSize && t('huge page {0}', formatBytes(h.hugePageSize)),
    h.thp && `THP ${esc(thpMode(h.thp) ?? h.thp)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const al = a.allocator;
  const hasRss = a.totals.rss !== undefined;
  // numa_maps gives no sizes: say so rather than 0 B.
  const size = (bytes: number) => (a.format === 'numa_maps' ? '?' : formatBytes(bytes));
  const rows = KINDS.filter((k) => a.kinds[k] && countsTowardLimit(k))
    .map((k) => {
      const s = a.kinds[k]!;
      return `<tr><td title="${esc(KIND_INFO[k].description)}">${esc(KIND_INFO[k].label)}</td><td class="num">${formatCount(s.count)}</td><td class="num">${formatPercent(
        a.totals.count ? s.count / a.totals.count : 0,
      )}</td><td class="num">${size(s.bytes)}</td>${hasRss ? `<td class="num">${formatBytes(s.rss ?? 0)}</td>` : ''}</tr>`;
    })
    .join('\n');
  const body = `
<h1>VMA Lens — ${esc(p.subject)}</h1>
<div class="sub">${t('{0} dump, {1}-bit', esc(a.format), a.addressBits)}${proc ? ` · ${proc}` : ''}${sys ? `<br>${sys}` : ''}${p.elapsedMs !== undefined ? `<br>${t('analysed in {0} ms', p.elapsedMs)}` : ''}</div>
<div class="cards">
  <div class="card" id="summary-vmas"><div class="label">${t('VMAs / vm.max_map_count')}</div><div class="value">${formatCount(a.vmaCount)} / ${formatCount(a.maxMapCount)} (${formatPercent(ratio)})</div>
    <div class="meter ${limitSev}"><div style="width:${Math.min(100, ratio * 100).toFixed(1)}%"></div></div><div class="label">${source}</div></div>
  <div class="card" id="summary-allocator"><div class="label">${t('Allocator')}</div><div class="value">${esc(al.name)}${al.variant ? ` (${esc(al.variant)})` : ''}</div>
    <div class="label" id="allocator-confidence">${esc(CONFIDENCE_LABEL[al.confidence])}${al.library ? ` · <code>${esc(al.library)}</code>` : ''}</div>
    <div class="label" id="allocator-evidence">${esc(al.evidence)}${al.preloadBlocked ? `<br>${t('LD_PRELOAD cannot switch it: {0}', esc(al.preloadBlocked))}` : ''}</div></div>
  <div class="card"><div class="label">${t('Threads')}</div><div class="value">${formatCount(a.threads)}</div><div class="label">${a.arenas ? t('{0} glibc arena heaps', formatCount(a.arenas)) : '&nbsp;'}</div></div>
  ${
    a.numaNodes
      ? `<div class="card" id="summary-numa"><div class="label">${t('Resident per NUMA node')}</div><div class="value">${Object.entries(a.numaNodes)
          .map(([n, b]) => `${esc(n)} ${formatBytes(b)}`)
          .join(' · ')}</div><div class="label">${t('from numa_maps N&lt;node&gt;= pages')}</div></div>`
      : ''
  }
  <div class="card"><div class="label">${t('Mapped')}</div><div class="value">${size(a.totals.bytes)}</div><div class="label">${hasRss ? `RSS ${formatBytes(a.totals.rss ?? 0)}` : h.rss ? `RSS ${formatBytes(h.rss)}` : t('no RSS in a plain maps dump')}</div></div>
</div>
<div class="columns"><section>
<h2>${t('Summary by kind')}</h2>
<table id="kinds"><thead><tr><th>${t('Kind')}</th><th class="num">VMAs</th><th class="num">${t('Share')}</th><th class="num">${t('Size')}</th>${hasRss ? '<th class="num">RSS</th>' : ''}</tr></thead>
<tbody>${rows}
<tr class="total"><td>${t('Total')}</td><td class="num">${formatCount(a.totals.count)}</td><td></td><td class="num">${size(a.totals.bytes)}</td>${hasRss ? `<td class="num">${formatBytes(a.totals.rss ?? 0)}</td>` : ''}</tr></tbody></table>
</section><section>
<h2>${t('Findings ({0})', a.findings.length)}</h2>
<div id="findings">${a.findings.map((f) => findingHtml(f, p.cmd, p.docUri, p.commandLine)).join('\n') || `<p>${t('Nothing to report.')}</p>`}</div>
</section></div>
${a.processes ? processesHtml(a.processes) : ''}
${a.malformedCount ? `<p class="lines">${t('{0} line(s) were not understood and skipped.', formatCount(a.malformedCount))}</p>` : ''}`;
  return page(p, `VMA Lens — ${p.subject}`, body);
}

const signed = (n: number, fmt: (n: number) => string) =>
  n > 0 ? `<span class="plus">+${fmt(n)}</span>` : n < 0 ? `<span class="minus">−${fmt(-n)}</span>` : '0';

/** The compare report: what changed between an older and a newer dump of one process. */
export function diffHtml(d: DumpDiff, p: ReportPage & { nameA: string; nameB: string; a: Analysis; b: Analysis; warning?: string }): string {
  const kinds = KINDS.filter((k) => d.kinds[k])
    .map((k) => {
      const e = d.kinds[k]!;
      return `<tr><td>${esc(KIND_INFO[k].label)}</td><td class="num">${formatCount(e.countA)}</td><td class="num">${formatCount(e.countB)}</td><td class="num">${signed(
        e.countB - e.countA,
        formatCount,
      )}</td><td class="num">${formatBytes(e.bytesA)}</td><td class="num">${formatBytes(e.bytesB)}</td><td class="num">${signed(e.bytesB - e.bytesA, formatBytes)}</td></tr>`;
    })
    .join('\n');
  const rangeRows = (list: DumpDiff['topRanges']) =>
    list
      .map(
        (r) =>
          `<tr><td class="mono">${esc(r.startHex)}–${esc(r.endHex)}</td><td>${esc(KIND_INFO[r.kind].label)}</td><td class="num">${signed(r.vmaDelta, formatCount)}</td><td class="num">+${formatCount(
            r.added,
          )} / −${formatCount(r.removed)}</td><td class="num">${signed(r.byteDelta, formatBytes)}</td></tr>`,
      )
      .join('\n');
  const ranges = rangeRows(d.topRanges.filter(rangeGrew));
  const shrank = rangeRows(d.topRanges.filter((r) => !rangeGrew(r)));
  const rangeTable = (id: string, rows: string) =>
    `<table id="${id}"><thead><tr><th>${t('Range')}</th><th>${t('Mostly')}</th><th class="num">${t('Δ VMAs')}</th><th class="num">${t('added / removed')}</th><th class="num">${t('Δ size')}</th></tr></thead><tbody>${rows}</tbody></table>`;
  const delta = d.vmaCountB - d.vmaCountA;
  const body = `
<h1>${t('Compare — {0} → {1}', esc(p.nameA), esc(p.nameB))}</h1>
<div class="sub">${esc(p.a.header.time ?? p.nameA)} → ${esc(p.b.header.time ?? p.nameB)}</div>
${p.warning ? `<p class="warning" id="process-warning" role="alert">${esc(p.warning)}</p>` : ''}
<div class="cards">
  <div class="card" id="summary-vmas"><div class="label">VMAs</div><div class="value">${formatCount(d.vmaCountA)} → ${formatCount(d.vmaCountB)} (${signed(delta, formatCount)})</div>
    <div class="label">${t('limit {0}: {1} used', formatCount(p.b.maxMapCount), formatPercent(d.vmaCountB / p.b.maxMapCount))}</div></div>
  <div class="card"><div class="label">${t('Added / removed / unchanged')}</div><div class="value">${formatCount(d.added)} / ${formatCount(d.removed)} / ${formatCount(d.unchanged)}</div></div>
  <div class="card"><div class="label">${t('Allocator')}</div><div class="value">${esc(p.a.allocator.name)}${p.a.allocator.name !== p.b.allocator.name ? ` → ${esc(p.b.allocator.name)}` : ''}</div></div>
</div>
<h2>${t('By kind')}</h2>
<table id="kinds"><thead><tr><th>${t('Kind')}</th><th class="num">${t('VMAs before')}</th><th class="num">${t('after')}</th><th class="num">Δ</th><th class="num">${t('Size before')}</th><th class="num">${t('after')}</th><th class="num">Δ</th></tr></thead><tbody>${kinds}</tbody></table>
<h2>${t('Where it grew')}</h2>
${ranges ? rangeTable('ranges', ranges) : `<p>${t('Nothing grew.')}</p>`}
${shrank ? `<h2>${t('Where it shrank')}</h2>\n${rangeTable('shrank', shrank)}` : ''}`;
  return page(p, t('Compare {0} → {1}', p.nameA, p.nameB), body);
}

/** A page with one message (a report that cannot be restored, a read error). */
export function messageHtml(p: ReportPage, title: string, message: string): string {
  return page(p, title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
