/// <reference types="vscode-webview" />
/**
 * The timeline webview: receives per-sample summaries from the host (protocol.ts) and hands each
 * message to the widget it is for — the chart (chartPanel.ts), the fragmentation strip
 * (stripPanel.ts), the diff tables (diffTables.ts), the summary (summary.ts), the samples table
 * (samplesTable.ts), picking (picking.ts), the watch bar (watchBar.ts) and the notices
 * (notices.ts). Shared state and the link to the host are in host.ts.
 */
// First: the bundle must be set before any module computes a string.
import './l10n';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './style.css';

import { MessageType, type HostMessage, type InitMessage } from '../src/protocol';
import { initChart, renderChart, setChartPalette } from './chartPanel';
import { readPalette } from './colors';
import { onDiffResult, requestDiff } from './diffTables';
import { $ } from './dom';
import { model, post, render, save, state, view } from './host';
import { onLoadProgress, renderNotices, showError } from './notices';
import { renderPicked } from './picking';
import { initSamplesTable, renderTable } from './samplesTable';
import { ensureStrip, initStrip, onStripResult, resetStrip, setStripPalette } from './stripPanel';
import { renderForecast, renderSummary } from './summary';
import { initWatchBar, onWatchStatus, renderWatch } from './watchBar';

window.addEventListener('error', (e) => showError(e.message));
window.addEventListener('unhandledrejection', (e) => showError(String(e.reason)));

const palette = readPalette();
initChart(palette);
initStrip(palette);
initSamplesTable();
initWatchBar();

// --- rendering --------------------------------------------------------------------------------

let scheduled = false;
let lastRenderAt = 0;
let lastRenderCost = 0;
/** When the first samples message not yet drawn arrived (for the e2e figure: message to chart painted). */
let samplesAt: number | undefined;
/**
 * Coalesces bursts of messages into one render per frame; while a big folder is still loading,
 * renders at most every 250 ms (or five times what the last render cost), so drawing the first
 * samples never slows down reading the rest.
 */
function scheduleRender(): void {
  if (scheduled) return;
  scheduled = true;
  const busy = view.loading !== undefined && !view.loading.finished;
  const wait = busy ? lastRenderAt + Math.max(250, 5 * lastRenderCost) - performance.now() : 0;
  const go = () =>
    requestAnimationFrame(() => {
      scheduled = false;
      renderAll();
    });
  if (wait > 0) setTimeout(go, wait);
  else go();
}
render.schedule = scheduleRender;

function renderAll(): void {
  const t0 = performance.now();
  renderChart();
  $('empty').hidden = model.size > 0 || (view.loading !== undefined && !view.loading.finished);
  renderForecast();
  renderSummary();
  renderTable();
  renderPicked();
  ensureStrip();
  // Chart plus summary, table and notes: what a new sample costs the panel.
  lastRenderAt = performance.now();
  lastRenderCost = lastRenderAt - t0;
  $('chart-box').dataset.renderAllMs = lastRenderCost.toFixed(1);
  if (samplesAt !== undefined) $('chart-box').dataset.messageToPaintMs = (lastRenderAt - samplesAt).toFixed(1);
  samplesAt = undefined;
}

// --- messages ------------------------------------------------------------------------------------

function onInit(m: InitMessage): void {
  model.clear();
  model.interval = { intervalMs: m.intervalMs, intervalFrom: m.intervalFrom, ...(m.timesFrom ? { timesFrom: m.timesFrom } : {}) };
  view.origin = m.source;
  document.title = m.title;
  $('title').textContent = m.title;
  view.skipped = m.skipped;
  view.loading = m.loading;
  view.watch = m.watch;
  model.addColumns(m.samples);
  view.picked = view.picked.filter((p) => model.get(p));
  resetStrip();
  save();
  renderNotices();
  renderWatch();
  if (view.picked.length === 2) requestDiff();
  $('diff-section').hidden = view.picked.length !== 2;
  scheduleRender();
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (m.type === MessageType.Init || m.type === MessageType.SamplesAdded) samplesAt ??= performance.now();
  switch (m.type) {
    case MessageType.Init:
      onInit(m);
      break;
    case MessageType.SamplesAdded:
      model.addColumns(m.samples);
      scheduleRender();
      break;
    case MessageType.LoadProgress:
      onLoadProgress(m);
      break;
    case MessageType.WatchStatus:
      onWatchStatus(m);
      break;
    case MessageType.DiffResult:
      onDiffResult(m);
      break;
    case MessageType.StripResult:
      onStripResult(m);
      break;
    case MessageType.Notice:
      renderNotices(m);
      break;
  }
});

// Theme changes: VS Code swaps the body class and the CSS variables; re-read the palette.
new MutationObserver(() => {
  const p = readPalette();
  setChartPalette(p);
  setStripPalette(p);
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
new ResizeObserver(() => scheduleRender()).observe($('chart-box'));

if (view.origin) {
  document.title = state.title ?? document.title;
  $('title').textContent = document.title;
}
post({ type: MessageType.Ready });
