import { t } from '../core/l10n';
import { newNonce, webviewHtml } from '../util/webviewHtml';

/**
 * The fleet panel's page: a table filled from `fleet` messages (see FleetUpdateMessage), with a
 * nonce CSP and no resources but its own inline script and style. Cells are set as text, never
 * as HTML: every label comes from Prometheus. `canCapture`: false where no program can run (the
 * browser): the rows have no "Capture (SSH)" button.
 */
export function fleetHtml(canCapture = true, lang?: string): string {
  const nonce = newNonce();
  // The texts the page's script fills in, translated here; `<` escaped so none can close the script.
  const texts = JSON.stringify({
    reading: t('Reading {0}…'),
    notUpdated: t('Not updated ({0})'),
    status: t('{0} of {1} processes from {2} · updated {3}'),
    timeline: t('Timeline'),
    timelineTitle: t('Open this process’s history from Prometheus'),
    capture: t('Capture (SSH)'),
    captureTitle: t('Capture /proc/{0}/maps from the host of {1}'),
    captureLabel: t('Capture over SSH'),
  }).replace(/</g, '\\u003c');
  const head = `<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px 16px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 1.3em; font-weight: 600; }
  #status { color: var(--vscode-descriptionForeground); }
  #error { color: var(--vscode-errorForeground); white-space: pre-wrap; }
  table { border-collapse: collapse; width: 100%; margin-top: 8px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border, #8884); white-space: nowrap; }
  th { font-weight: 600; position: sticky; top: 0; background: var(--vscode-editor-background); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.error td.share { color: var(--vscode-errorForeground); font-weight: 600; }
  tr.warning td.share { color: var(--vscode-editorWarning-foreground); font-weight: 600; }
  .bar { display: inline-block; height: 8px; background: var(--vscode-progressBar-background); vertical-align: middle; margin-right: 6px; }
  tr.error .bar { background: var(--vscode-errorForeground); }
  tr.warning .bar { background: var(--vscode-editorWarning-foreground); }
  .exe { color: var(--vscode-descriptionForeground); font-size: 0.9em; white-space: normal; overflow-wrap: anywhere; }
  td.proc, td.forecast { white-space: normal; }
  td.actions button { margin: 1px 0; }
  button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 2px 8px; cursor: pointer; }
  button:hover { background: var(--vscode-button-secondaryHoverBackground); }
  button.primary { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
</style>`;
  const body = `<header>
  <h1>${t('VMA fleet')}</h1>
  <span id="status" role="status" aria-live="polite">${t('Reading Prometheus…')}</span>
  <button id="refresh" class="primary">${t('Refresh')}</button>
</header>
<div id="error" role="alert"></div>
<table aria-label="${t('Processes ranked by their share of vm.max_map_count')}">
  <thead><tr>
    <th>${t('Host')}</th><th>${t('Process')}</th><th class="num">VMAs</th><th class="num">${t('Limit')}</th><th class="num">${t('% of limit')}</th><th>${t('Allocator')}</th><th>${t('Forecast')}</th><th></th>
  </tr></thead>
  <tbody id="rows"></tbody>
</table>
<script nonce="${nonce}">
(() => {
  const vscode = acquireVsCodeApi();
  const canCapture = ${canCapture ? 'true' : 'false'};
  const S = ${texts};
  const f = (s, ...a) => s.replace(/\\{(\\d+)\\}/g, (m, i) => (i < a.length ? String(a[i]) : m));
  const fmt = new Intl.NumberFormat('en-US');
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  document.getElementById('refresh').addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || m.type !== 'fleet') return;
    const status = document.getElementById('status');
    const err = document.getElementById('error');
    err.textContent = m.error || '';
    if (m.busy) { status.textContent = f(S.reading, m.url); return; }
    const when = new Date(m.updated).toLocaleTimeString('en-GB');
    status.textContent = m.error ? f(S.notUpdated, when) : f(S.status, m.rows.length, fmt.format(m.total), m.url, when);
    if (m.error) return;
    const body = document.getElementById('rows');
    body.replaceChildren();
    for (const r of m.rows) {
      const tr = el('tr');
      tr.dataset.key = r.key;
      tr.dataset.pid = r.pid;
      tr.dataset.instance = r.instance;
      tr.className = r.share >= 0.9 ? 'error' : r.share >= 0.6 ? 'warning' : '';
      tr.append(el('td', r.instance));
      const proc = el('td', undefined, 'proc');
      proc.append(el('span', r.comm + ' ' + r.pid));
      if (r.exe || r.unit) proc.append(el('div', [r.exe, r.unit].filter(Boolean).join(' · '), 'exe'));
      tr.append(proc, el('td', fmt.format(r.vmaCount), 'num vmas'), el('td', fmt.format(r.limit), 'num'));
      const share = el('td', undefined, 'num share');
      const bar = el('span', undefined, 'bar');
      bar.style.width = Math.min(60, Math.round(r.share * 60)) + 'px';
      share.append(bar, document.createTextNode((r.share * 100).toFixed(1) + ' %'));
      tr.append(share, el('td', r.allocator || '-'), el('td', r.forecast, 'forecast'));
      const actions = el('td', undefined, 'actions');
      const tl = el('button', S.timeline);
      tl.title = S.timelineTitle;
      tl.addEventListener('click', () => vscode.postMessage({ type: 'timeline', key: r.key }));
      const cap = el('button', S.capture);
      cap.title = f(S.captureTitle, r.pid, r.instance);
      cap.addEventListener('click', () => vscode.postMessage({ type: 'capture', key: r.key }));
      cap.setAttribute('aria-label', S.captureLabel);
      cap.hidden = !canCapture;
      actions.append(tl, document.createTextNode(' '), cap);
      tr.append(actions);
      body.append(tr);
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
</script>`;
  return webviewHtml({ nonce, title: t('VMA fleet'), lang, head, body });
}
