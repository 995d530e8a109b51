import * as vscode from 'vscode';
import { escapeHtml, newNonce, webviewHtml } from '../util/webviewHtml';
import { l10nBundleBlock } from '../util/webviewL10n';

/** Webview options: scripts on, and nothing loadable but the bundle in dist/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    enableFindWidget: true,
  };
}

/**
 * The panel's page: a strict CSP (only our bundle, by nonce; styles from dist/ and Lit's
 * constructed style sheets), and the static skeleton that webview/main.ts fills in.
 */
export function timelineHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = newNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css'));
  const t = escapeHtml(title);
  const body = `<header class="top">
  <h1 id="title">${t}</h1>
  <div id="watch" hidden>
    <span id="watch-state" role="status" aria-live="polite"></span>
    <label id="watch-every" hidden>${vscode.l10n.t('every')} <input type="number" id="watch-interval" min="0.2" max="86400" step="any" aria-label="${vscode.l10n.t('Seconds between samples')}"> s</label>
    <vscode-button id="pause" secondary hidden>${vscode.l10n.t('Pause')}</vscode-button>
    <vscode-button id="resume" secondary hidden>${vscode.l10n.t('Resume')}</vscode-button>
    <vscode-button id="stop" secondary hidden>${vscode.l10n.t('Stop')}</vscode-button>
    <vscode-button id="restart" secondary hidden>${vscode.l10n.t('Watch again')}</vscode-button>
  </div>
</header>
<div id="notices" aria-live="polite"></div>
<p id="forecast" role="status" aria-live="polite"></p>
<section id="chart-section" aria-labelledby="chart-title">
  <h2 id="chart-title">${vscode.l10n.t('VMAs over time')}</h2>
  <div class="chart-tools">
    <label><input type="checkbox" id="scale-limit"> ${vscode.l10n.t('Scale to max_map_count')}</label>
    <span id="limit-note"></span>
    <span class="hint">${vscode.l10n.t('Click a sample to open it; Shift+click a second one to compare. Keyboard: focus the chart, ←/→, Enter opens, Space compares.')}</span>
  </div>
  <div id="chart-box"><canvas id="chart" tabindex="0" role="img" aria-label="${vscode.l10n.t('Stacked area chart of VMA count by kind over time, with the max_map_count limit and a forecast. The same data is in the summary table below.')}"></canvas></div>
  <p id="empty" hidden>${vscode.l10n.t('No samples yet.')}</p>
  <div id="picked" aria-live="polite"></div>
</section>
<section id="diff-section" aria-labelledby="diff-title" hidden>
  <h2 id="diff-title">${vscode.l10n.t('What changed between A and B')}</h2>
  <div id="diff"></div>
</section>
<section id="strip-section" aria-labelledby="strip-title">
  <h2 id="strip-title">${vscode.l10n.t('Address space (fragmentation)')}</h2>
  <div class="strip-tools">
    <vscode-button id="zoom-in" secondary>${vscode.l10n.t('Zoom in')}</vscode-button>
    <vscode-button id="zoom-out" secondary>${vscode.l10n.t('Zoom out')}</vscode-button>
    <vscode-button id="zoom-reset" secondary>${vscode.l10n.t('Whole address space')}</vscode-button>
  </div>
  <div id="strip-wrap">
    <div id="strip-tip" role="tooltip" hidden></div>
    <canvas id="strip" tabindex="0" role="img" aria-describedby="strip-note" aria-label="${vscode.l10n.t('Address space of the selected snapshot, VMAs coloured by kind')}"></canvas>
  </div>
  <div id="strip-axis"></div>
  <p id="strip-note"></p>
</section>
<section id="summary-section" aria-labelledby="summary-title">
  <h2 id="summary-title">${vscode.l10n.t('Summary')}</h2>
  <p id="summary" data-sample-count="0"></p>
  <table class="data" id="samples">
    <caption id="samples-caption"></caption>
    <thead><tr>
      <th scope="col">#</th><th scope="col">${vscode.l10n.t('Sample')}</th><th scope="col" class="num">VMAs</th>
      <th scope="col" class="num">${vscode.l10n.t('Of limit')}</th><th scope="col" class="num">max_map_count</th>
      <th scope="col" class="num">RSS</th><th scope="col">${vscode.l10n.t('Allocator')}</th><th scope="col">${vscode.l10n.t('Largest kinds')}</th>
      <th scope="col">${vscode.l10n.t('Findings')}</th><th scope="col">${vscode.l10n.t('Actions')}</th>
    </tr></thead>
    <tbody id="samples-body"></tbody>
  </table>
  <nav id="pager" aria-label="${vscode.l10n.t('Sample table pages')}" hidden>
    <button type="button" id="prev-page" class="link">${vscode.l10n.t('Previous')}</button>
    <span id="page-label"></span>
    <button type="button" id="next-page" class="link">${vscode.l10n.t('Next')}</button>
  </nav>
</section>
${l10nBundleBlock()}
<script nonce="${nonce}" src="${script}"></script>`;
  return webviewHtml({
    nonce,
    title,
    lang: vscode.env.language,
    cspSource: webview.cspSource,
    fonts: true,
    head: `<link rel="stylesheet" href="${style}" nonce="${nonce}">`,
    body,
  });
}
