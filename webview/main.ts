/// <reference types="vscode-webview" />
/**
 * The timeline webview: receives per-sample summaries from the host (protocol.ts), draws the chart,
 * the fragmentation strip, the diff of two picked samples and an accessible summary table.
 */
import './l10n';
import * as l10n from '@vscode/l10n';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './style.css';

import { rangeGrew } from '../src/core/diff';
import { formatBytes, formatCount, formatDuration, formatPercent } from '../src/core/format';
import { KIND_INFO } from '../src/core/kinds';
import type { TimelineSample } from '../src/core/timeline';
import type { VmaKind } from '../src/core/types';
import {
  MessageType,
  WATCH_INTERVAL_MAX_S,
  WATCH_INTERVAL_MIN_S,
  type DiffResultMessage,
  type HostMessage,
  type InitMessage,
  type SkippedFile,
  type TimelineSource,
  type WatchStatusMessage,
  type WebviewMessage,
  type WebviewState,
} from '../src/protocol';
import { TimelineChart } from './chart';
import { readPalette } from './colors';
import { TimelineModel } from './model';
import { StripView } from './stripView';

// A failure in the panel's own code is shown in the panel, not only in a developer console.
window.addEventListener('error', (e) => showError(e.message));
window.addEventListener('unhandledrejection', (e) => showError(String(e.reason)));
function showError(message: string): void {
  const box = document.getElementById('notices');
  const div = document.createElement('div');
  div.className = 'notice error';
  div.textContent = l10n.t('Timeline error: {0}', message);
  box?.append(div);
}

const vscode = acquireVsCodeApi<WebviewState>();
const post = (m: WebviewMessage) => vscode.postMessage(m);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props) as HTMLElementTagNameMap[K];
  e.append(...kids);
  return e;
};

const PAGE = 50;
const state: WebviewState = vscode.getState() ?? {};
const model = new TimelineModel();
let palette = readPalette();
let source: TimelineSource | undefined = state.source;
/** Picked sample sources: one (the current) or two (a comparison, A before B). */
let picked: string[] = state.picked ?? [];
let page: number | undefined = state.page;
let skipped: SkippedFile[] = [];
let loading: { done: number; total: number; finished: boolean } | undefined;
let watch: WatchStatusMessage['status'] | undefined;
let firstPaintMs: number | undefined;
let stripRequested: string | undefined;
/** The id of the latest strip request: an older answer arriving late is not drawn. */
let stripRequestId = 0;
let userPickedStrip = picked.length > 0;

const chartCanvas = $<HTMLCanvasElement>('chart');
$('chart-box').dataset.foreground = palette.foreground;
const chart = new TimelineChart(chartCanvas, model, palette, { onPick: (i, add) => pick(model.samples[i].source, add, true) });
const strip = new StripView(
  $<HTMLCanvasElement>('strip'),
  $('strip-tip'),
  $('strip-axis'),
  palette,
  (src, line) => post({ type: MessageType.OpenSample, source: src, line }),
);

function save(): void {
  vscode.setState({ ...state, source, title: document.title, picked, page });
}

// --- rendering --------------------------------------------------------------------------------

let scheduled = false;
let lastRenderAt = 0;
let lastRenderCost = 0;
/**
 * Coalesces bursts of messages into one render per frame; while a big folder is still loading,
 * renders at most every 250 ms (or five times what the last render cost), so drawing the first
 * samples never slows down reading the rest.
 */
function scheduleRender(): void {
  if (scheduled) return;
  scheduled = true;
  const busy = loading !== undefined && !loading.finished;
  const wait = busy ? lastRenderAt + Math.max(250, 5 * lastRenderCost) - performance.now() : 0;
  const go = () =>
    requestAnimationFrame(() => {
      scheduled = false;
      renderAll();
    });
  if (wait > 0) setTimeout(go, wait);
  else go();
}

function pickedIndices(): number[] {
  return picked.map((s) => model.indexOf(s)).filter((i) => i >= 0);
}

function renderAll(): void {
  const t0 = performance.now();
  const box = $('chart-box');
  const r = chart.render(pickedIndices());
  box.dataset.samples = String(r.samples);
  box.dataset.points = String(r.points);
  box.dataset.renderMs = r.ms.toFixed(1);
  if (r.samples > 0 && firstPaintMs === undefined) {
    firstPaintMs = performance.now();
    box.dataset.firstPaintMs = firstPaintMs.toFixed(1);
  }
  $('limit-note').textContent = chart.limitOffScale
    ? l10n.t('max_map_count ({0}) is above this scale.', formatCount(model.samples[model.size - 1]?.maxMapCount ?? 0))
    : '';
  $('empty').hidden = model.size > 0 || (loading !== undefined && !loading.finished);
  renderForecast();
  renderSummary();
  renderTable();
  renderPicked();
  ensureStrip();
  // Chart plus summary, table and notes: what a new sample costs the panel.
  lastRenderAt = performance.now();
  lastRenderCost = lastRenderAt - t0;
  box.dataset.renderAllMs = lastRenderCost.toFixed(1);
}

function renderForecast(): void {
  const fc = model.forecastLine();
  const p = $('forecast');
  p.textContent = fc ? fc.text : '';
  p.dataset.eta = fc?.forecast.etaMs !== undefined ? String(fc.forecast.etaMs) : '';
  p.dataset.rate = fc?.forecast.ratePerHour !== undefined ? String(fc.forecast.ratePerHour) : '';
  p.dataset.basis = fc?.forecast.basis ?? '';
  p.dataset.reason = fc?.forecast.reason ?? '';
}

function range(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function renderSummary(): void {
  const s = model.samples;
  const p = $('summary');
  p.dataset.sampleCount = String(s.length);
  if (!s.length) {
    p.textContent = loading && !loading.finished ? l10n.t('Loading…') : l10n.t('No samples.');
    return;
  }
  const first = s[0];
  const last = s[s.length - 1];
  const [lo, hi] = range(s.map((x) => x.vmaCount));
  const parts = [
    model.timed && s.length > 1
      ? l10n.t('{0} samples over {1}, from {2} to {3}.', formatCount(s.length), formatDuration(model.x(s.length - 1) - model.x(0)), first.label, last.label)
      : l10n.t(s.length === 1 ? '{0} sample.' : '{0} samples.', formatCount(s.length)),
    l10n.t(
      'VMAs: {0} in the first, {1} in the last ({2} of max_map_count {3}); lowest {4}, highest {5}.',
      formatCount(first.vmaCount),
      formatCount(last.vmaCount),
      formatPercent(last.vmaCount / last.maxMapCount),
      formatCount(last.maxMapCount),
      formatCount(lo),
      formatCount(hi),
    ),
  ];
  const allocators = [...new Set(s.map((x) => x.allocator))];
  parts.push(l10n.t('Allocator: {0}.', allocators.join(', ')));
  if (last.rss !== undefined) parts.push(l10n.t('RSS in the last sample: {0}.', formatBytes(last.rss)));
  p.textContent = parts.join(' ');
}

function findingsText(s: TimelineSample): string {
  const e = s.findings.filter((f) => f.severity === 'error').length;
  const w = s.findings.filter((f) => f.severity === 'warning').length;
  return [e ? l10n.t(e > 1 ? '{0} errors' : '{0} error', e) : '', w ? l10n.t(w > 1 ? '{0} warnings' : '{0} warning', w) : ''].filter(Boolean).join(', ') || '—';
}

function topKinds(s: TimelineSample): string {
  return (Object.entries(s.kinds) as [VmaKind, { count: number }][])
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, 3)
    .map(([k, v]) => `${KIND_INFO[k].label} ${formatCount(v.count)}`)
    .join(', ');
}

function renderTable(): void {
  const n = model.size;
  const pages = Math.max(1, Math.ceil(n / PAGE));
  // Follow the newest samples unless the reader went to another page.
  const current = page === undefined ? pages - 1 : Math.min(page, pages - 1);
  const body = $('samples-body');
  const from = current * PAGE;
  const to = Math.min(n, from + PAGE);
  const rows: HTMLTableRowElement[] = [];
  for (let i = from; i < to; i++) {
    const s = model.samples[i];
    const isPicked = picked.includes(s.source);
    const open = el('button', { type: 'button', className: 'link', textContent: l10n.t('Open'), title: l10n.t('Open {0}', s.source) });
    open.addEventListener('click', () => pick(s.source, false, true));
    const cmp = el('input', { type: 'checkbox', checked: isPicked && picked.length > 1, title: l10n.t('Compare') });
    cmp.setAttribute('aria-label', l10n.t('Compare sample {0}', i + 1));
    cmp.addEventListener('change', () => toggleCompare(s.source, cmp.checked));
    const row = el(
      'tr',
      {},
      el('th', { scope: 'row', textContent: String(i + 1) }),
      el('td', { textContent: s.label }),
      el('td', { className: 'num', textContent: formatCount(s.vmaCount) }),
      el('td', { className: 'num', textContent: formatPercent(s.vmaCount / s.maxMapCount) }),
      el('td', { className: 'num', textContent: formatCount(s.maxMapCount) }),
      el('td', { className: 'num', textContent: s.rss !== undefined ? formatBytes(s.rss) : '—' }),
      el('td', { textContent: s.allocator }),
      el('td', { textContent: topKinds(s) }),
      el('td', { textContent: findingsText(s) }),
      el('td', { className: 'actions' }, open, el('label', { className: 'cmp' }, cmp, ` ${l10n.t('compare')}`)),
    );
    labelCells(row, $('samples'));
    row.dataset.source = s.source;
    if (isPicked) row.classList.add('picked');
    rows.push(row);
  }
  body.replaceChildren(...rows);
  $('samples-caption').textContent = n
    ? l10n.t('Samples {0}–{1} of {2}', formatCount(from + 1), formatCount(to), formatCount(n))
    : l10n.t('No samples');
  const pager = $('pager');
  pager.hidden = pages <= 1;
  $<HTMLButtonElement>('prev-page').disabled = current === 0;
  $<HTMLButtonElement>('next-page').disabled = current >= pages - 1;
  $('page-label').textContent = l10n.t('Page {0} of {1}', current + 1, pages);
}

function renderPicked(): void {
  const box = $('picked');
  const ss = picked.map((p) => model.get(p)).filter((s): s is TimelineSample => !!s);
  if (!ss.length) {
    box.textContent = l10n.t('Click a sample in the chart to open it; Shift+click a second one to compare the two.');
    return;
  }
  const describe = (s: TimelineSample) =>
    `#${model.indexOf(s.source) + 1} ${s.label}: ${l10n.t('{0} VMAs', formatCount(s.vmaCount))}${s.rss !== undefined ? `, RSS ${formatBytes(s.rss)}` : ''}`;
  box.replaceChildren(
    ...ss.map((s, k) => {
      const b = el('button', { type: 'button', className: 'link', textContent: l10n.t('open') });
      b.addEventListener('click', () => post({ type: MessageType.OpenSample, source: s.source }));
      return el('div', {}, el('strong', { textContent: ss.length > 1 ? (k ? 'B ' : 'A ') : '' }), describe(s) + ' ', b);
    }),
  );
  if (ss.length === 1) box.append(el('div', { className: 'hint', textContent: l10n.t('Shift+click another sample (or tick “compare” in the table) to see what changed.') }));
}

// --- picking, diff and strip ---------------------------------------------------------------------

function pick(src: string, add: boolean, open: boolean): void {
  if (add && picked.length >= 1 && !picked.includes(src)) {
    // A stays; the new sample becomes the other side.
    picked = orderPair(picked[0], src);
  } else {
    picked = [src];
    if (open) post({ type: MessageType.OpenSample, source: src });
  }
  afterPick();
}

function toggleCompare(src: string, on: boolean): void {
  if (on) {
    if (picked.length >= 2) picked = [picked[1]];
    picked = picked.includes(src) ? picked : picked.length ? orderPair(picked[0], src) : [src];
  } else {
    picked = picked.filter((p) => p !== src);
  }
  afterPick();
}

function orderPair(a: string, b: string): string[] {
  return model.indexOf(a) <= model.indexOf(b) ? [a, b] : [b, a];
}

function afterPick(): void {
  userPickedStrip = true;
  save();
  if (picked.length === 2) {
    $('diff-section').hidden = false;
    $('diff').textContent = l10n.t('Comparing…');
    post({ type: MessageType.RequestDiff, a: picked[0], b: picked[1] });
  } else {
    $('diff-section').hidden = true;
  }
  scheduleRender();
}

/** The strip follows the last picked sample, or the newest one. */
function ensureStrip(): void {
  const want = picked.length ? picked[picked.length - 1] : userPickedStrip ? undefined : model.samples[model.size - 1]?.source;
  if (!want || want === stripRequested) return;
  // During a fast load or watch, ask at most every 2 s for the newest sample.
  if (!picked.length && stripThrottle) return;
  stripRequested = want;
  post({ type: MessageType.RequestStrip, id: ++stripRequestId, source: want });
  if (!picked.length) {
    stripThrottle = true;
    setTimeout(() => {
      stripThrottle = false;
      if (!picked.length) ensureStrip();
    }, 2000);
  }
}
let stripThrottle = false;

/** Each cell's column name as data-label: narrow panels show rows as label/value lines (style.css). */
function labelCells(row: HTMLTableRowElement, table: HTMLElement): void {
  const heads = table.querySelectorAll('thead th');
  [...row.cells].forEach((c, i) => (c.dataset.label = heads[i]?.textContent?.trim() ?? ''));
}

/** A table with a caption, column headers, one row per cell list, and a line when it is empty. */
function dataTable(id: string, caption: string, headers: string[], rows: HTMLElement[][], empty: string): HTMLTableElement {
  const table = el(
    'table',
    { className: 'data', id },
    el('caption', { textContent: caption }),
    // Number columns (as the first row's cells say) are right-aligned, headers too.
    el('thead', {}, el('tr', {}, ...headers.map((t, i) => el('th', { scope: 'col', textContent: t, className: rows[0]?.[i]?.className.includes('num') ? 'num' : '' })))),
    el(
      'tbody',
      {},
      ...(rows.length ? rows.map((cells) => el('tr', {}, ...cells)) : [el('tr', {}, el('td', { colSpan: headers.length, textContent: empty }))]),
    ),
  );
  if (rows.length) for (const row of table.tBodies[0].rows) labelCells(row, table);
  return table;
}

function renderDiff(m: DiffResultMessage): void {
  if (m.a !== picked[0] || m.b !== picked[1]) return; // an older answer
  const box = $('diff');
  if (m.error || !m.diff) {
    box.textContent = l10n.t('Cannot compare: {0}', m.error ?? l10n.t('unknown error'));
    return;
  }
  const d = m.diff;
  const a = model.get(m.a);
  const b = model.get(m.b);
  const delta = (n: number) => (n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : '0');
  const bytesDelta = (n: number) => (n > 0 ? `+${formatBytes(n)}` : n < 0 ? `−${formatBytes(-n)}` : '0');
  const head = el(
    'p',
    { id: 'diff-summary' },
    l10n.t(
      'A {0} → B {1}: {2} → {3} VMAs ({4}); {5} added, {6} removed, {7} unchanged.',
      a?.label ?? m.a,
      b?.label ?? m.b,
      formatCount(d.vmaCountA),
      formatCount(d.vmaCountB),
      delta(d.vmaCountB - d.vmaCountA),
      formatCount(d.added),
      formatCount(d.removed),
      formatCount(d.unchanged),
    ),
  );
  const kinds = (Object.entries(d.kinds) as [VmaKind, NonNullable<(typeof d.kinds)[VmaKind]>][])
    .filter(([, k]) => k.countA !== k.countB || k.bytesA !== k.bytesB)
    .sort((x, y) => Math.abs(y[1].countB - y[1].countA) - Math.abs(x[1].countB - x[1].countA));
  const num = (text: string) => el('td', { className: 'num', textContent: text });
  const kindTable = dataTable(
    'diff-kinds',
    l10n.t('By kind'),
    [l10n.t('Kind'), l10n.t('VMAs in A'), l10n.t('VMAs in B'), l10n.t('Change'), l10n.t('Bytes change')],
    kinds.map(([k, v]) => [
      el('th', { scope: 'row', textContent: KIND_INFO[k].label }),
      num(formatCount(v.countA)),
      num(formatCount(v.countB)),
      num(delta(v.countB - v.countA)),
      num(bytesDelta(v.bytesB - v.bytesA)),
    ]),
    l10n.t('No kind changed.'),
  );
  const ranges = (id: string, caption: string, list: typeof d.topRanges, empty: string) =>
    dataTable(
      id,
      caption,
      [l10n.t('Range'), l10n.t('Kind'), 'VMAs', l10n.t('Added'), l10n.t('Removed'), l10n.t('Bytes'), ''],
      list.map((r) => {
        const open = el('button', { type: 'button', className: 'link', textContent: l10n.t('open line {0}', r.line) });
        open.addEventListener('click', () => post({ type: MessageType.OpenSample, source: r.added ? m.b : m.a, line: r.line }));
        return [
          el('th', { scope: 'row', className: 'mono', textContent: `${r.startHex}-${r.endHex}` }),
          el('td', { textContent: KIND_INFO[r.kind].label }),
          num(delta(r.vmaDelta)),
          num(formatCount(r.added)),
          num(formatCount(r.removed)),
          num(bytesDelta(r.byteDelta)),
          el('td', {}, open),
        ];
      }),
      empty,
    );
  const grown = d.topRanges.filter(rangeGrew);
  const shrunk = d.topRanges.filter((r) => !rangeGrew(r));
  const parts: HTMLElement[] = [];
  if (m.warning) parts.push(el('p', { id: 'diff-warning', className: 'notice warning', role: 'alert', textContent: m.warning }));
  parts.push(head, kindTable, ranges('diff-ranges', l10n.t('Top-growing address ranges'), grown, l10n.t('No address range grew.')));
  if (shrunk.length) parts.push(ranges('diff-shrunk', l10n.t('Shrinking address ranges'), shrunk, ''));
  box.replaceChildren(...parts);
}

// --- watch and notices ---------------------------------------------------------------------------

function renderWatch(): void {
  const box = $('watch');
  box.hidden = !watch && source?.kind !== 'watch';
  if (!watch) {
    if (source?.kind === 'watch') {
      $('watch-state').textContent = l10n.t('Not watching.');
      show({ pause: false, resume: false, stop: false, restart: true });
    }
    return;
  }
  const s = watch;
  box.dataset.state = s.state;
  let text = s.message;
  if (s.state === 'retrying' && s.nextAt) text += ` ${l10n.t('(next attempt in {0})', formatDuration(Math.max(0, s.nextAt - Date.now())))}`;
  $('watch-state').textContent = text;
  const live = s.state === 'running' || s.state === 'retrying';
  const every = $<HTMLInputElement>('watch-interval');
  $('watch-every').hidden = !(live || s.state === 'paused');
  if (document.activeElement !== every) every.value = String(s.intervalMs / 1000);
  show({ pause: live, resume: s.state === 'paused', stop: live || s.state === 'paused', restart: !live && s.state !== 'paused' && s.canRestart });
}

function show(buttons: Record<'pause' | 'resume' | 'stop' | 'restart', boolean>): void {
  for (const [id, on] of Object.entries(buttons)) $(id).hidden = !on;
}

function renderNotices(extra?: { level: string; message: string }): void {
  const box = $('notices');
  const items: HTMLElement[] = [];
  if (loading && !loading.finished) {
    items.push(el('div', { className: 'notice info', id: 'loading' }, l10n.t('Reading dumps… {0} of {1}', formatCount(loading.done), formatCount(loading.total))));
  }
  if (skipped.length) {
    const det = el('details', { className: 'notice warning' });
    det.append(
      el('summary', { textContent: l10n.t(skipped.length > 1 ? '{0} files skipped' : '{0} file skipped', formatCount(skipped.length)) }),
      el('ul', {}, ...skipped.slice(0, 50).map((f) => el('li', { textContent: `${f.file}: ${f.reason}` }))),
    );
    items.push(det);
  }
  if (extra) items.push(el('div', { className: `notice ${extra.level}`, textContent: extra.message }));
  box.replaceChildren(...items);
}

// --- messages ------------------------------------------------------------------------------------

function onInit(m: InitMessage): void {
  model.clear();
  model.interval = { intervalMs: m.intervalMs, intervalFrom: m.intervalFrom, ...(m.timesFrom ? { timesFrom: m.timesFrom } : {}) };
  source = m.source;
  document.title = m.title;
  $('title').textContent = m.title;
  skipped = m.skipped;
  loading = m.loading;
  watch = m.watch;
  model.add(m.samples);
  picked = picked.filter((p) => model.get(p));
  stripRequested = undefined;
  save();
  renderNotices();
  renderWatch();
  if (picked.length === 2) post({ type: MessageType.RequestDiff, a: picked[0], b: picked[1] });
  $('diff-section').hidden = picked.length !== 2;
  scheduleRender();
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  switch (m.type) {
    case MessageType.Init:
      onInit(m);
      break;
    case MessageType.SamplesAdded:
      model.add(m.samples);
      scheduleRender();
      break;
    case MessageType.LoadProgress:
      loading = m.progress;
      skipped = m.skipped;
      renderNotices();
      if (m.progress.finished) scheduleRender();
      break;
    case MessageType.WatchStatus:
      watch = m.status;
      renderWatch();
      break;
    case MessageType.DiffResult:
      renderDiff(m);
      break;
    case MessageType.StripResult:
      if (m.id !== stripRequestId) break; // the answer to an earlier request
      if (m.strip) {
        strip.show(m.strip);
        $('strip-note').textContent = strip.describe();
        $('strip-section').dataset.source = m.strip.source;
      } else {
        $('strip-note').textContent = l10n.t('Cannot show the address space: {0}', m.error ?? l10n.t('unknown error'));
        strip.clear();
      }
      break;
    case MessageType.Notice:
      renderNotices(m);
      break;
  }
});

// --- controls ------------------------------------------------------------------------------------

$('watch-interval').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const seconds = Number(input.value);
  if (Number.isFinite(seconds) && seconds >= WATCH_INTERVAL_MIN_S && seconds <= WATCH_INTERVAL_MAX_S) post({ type: MessageType.WatchInterval, seconds });
  else input.value = String((watch?.intervalMs ?? 10_000) / 1000); // out of range: back to what runs
});
for (const action of ['pause', 'resume', 'stop', 'restart'] as const) {
  $(action).addEventListener('click', () => post({ type: MessageType.WatchControl, action }));
}
$('prev-page').addEventListener('click', () => {
  const pages = Math.max(1, Math.ceil(model.size / PAGE));
  page = Math.max(0, (page ?? pages - 1) - 1);
  save();
  renderTable();
});
$('next-page').addEventListener('click', () => {
  const pages = Math.max(1, Math.ceil(model.size / PAGE));
  const next = (page ?? pages - 1) + 1;
  page = next >= pages - 1 ? undefined : next;
  save();
  renderTable();
});
$('scale-limit').addEventListener('change', (e) => {
  chart.scaleToLimit = (e.target as HTMLInputElement).checked;
  scheduleRender();
});
$('zoom-in').addEventListener('click', () => strip.zoomIn());
$('zoom-out').addEventListener('click', () => strip.zoom(2));
$('zoom-reset').addEventListener('click', () => strip.reset());

// Theme changes: VS Code swaps the body class and the CSS variables; re-read the palette.
new MutationObserver(() => {
  palette = readPalette();
  $('chart-box').dataset.foreground = palette.foreground;
  chart.setPalette(palette);
  strip.setPalette(palette);
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
new ResizeObserver(() => scheduleRender()).observe($('chart-box'));

if (source) {
  document.title = state.title ?? document.title;
  $('title').textContent = document.title;
}
post({ type: MessageType.Ready });
