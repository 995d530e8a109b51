import * as vscode from 'vscode';
import { escapeHtml, newNonce, webviewHtml } from '../util/webviewHtml';

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
    <label id="watch-every" hidden>every <input type="number" id="watch-interval" min="0.2" max="86400" step="any" aria-label="Seconds between samples"> s</label>
    <vscode-button id="pause" secondary hidden>Pause</vscode-button>
    <vscode-button id="resume" secondary hidden>Resume</vscode-button>
    <vscode-button id="stop" secondary hidden>Stop</vscode-button>
    <vscode-button id="restart" secondary hidden>Watch again</vscode-button>
  </div>
</header>
<div id="notices" aria-live="polite"></div>
<p id="forecast" role="status" aria-live="polite"></p>
<section id="chart-section" aria-labelledby="chart-title">
  <h2 id="chart-title">VMAs over time</h2>
  <div class="chart-tools">
    <label><input type="checkbox" id="scale-limit"> Scale to max_map_count</label>
    <span id="limit-note"></span>
    <span class="hint">Click a sample to open it; Shift+click a second one to compare. Keyboard: focus the chart, ←/→, Enter opens, Space compares.</span>
  </div>
  <div id="chart-box"><canvas id="chart" tabindex="0" role="img" aria-label="Stacked area chart of VMA count by kind over time, with the max_map_count limit and a forecast. The same data is in the summary table below."></canvas></div>
  <p id="empty" hidden>No samples yet.</p>
  <div id="picked" aria-live="polite"></div>
</section>
<section id="diff-section" aria-labelledby="diff-title" hidden>
  <h2 id="diff-title">What changed between A and B</h2>
  <div id="diff"></div>
</section>
<section id="strip-section" aria-labelledby="strip-title">
  <h2 id="strip-title">Address space (fragmentation)</h2>
  <div class="strip-tools">
    <vscode-button id="zoom-in" secondary>Zoom in</vscode-button>
    <vscode-button id="zoom-out" secondary>Zoom out</vscode-button>
    <vscode-button id="zoom-reset" secondary>Whole address space</vscode-button>
  </div>
  <div id="strip-wrap">
    <div id="strip-tip" role="tooltip" hidden></div>
    <canvas id="strip" tabindex="0" role="img" aria-describedby="strip-note" aria-label="Address space of the selected snapshot, VMAs coloured by kind"></canvas>
  </div>
  <div id="strip-axis"></div>
  <p id="strip-note"></p>
</section>
<section id="summary-section" aria-labelledby="summary-title">
  <h2 id="summary-title">Summary</h2>
  <p id="summary" data-sample-count="0"></p>
  <table class="data" id="samples">
    <caption id="samples-caption"></caption>
    <thead><tr>
      <th scope="col">#</th><th scope="col">Sample</th><th scope="col" class="num">VMAs</th>
      <th scope="col" class="num">Of limit</th><th scope="col" class="num">max_map_count</th>
      <th scope="col" class="num">RSS</th><th scope="col">Allocator</th><th scope="col">Largest kinds</th>
      <th scope="col">Findings</th><th scope="col">Actions</th>
    </tr></thead>
    <tbody id="samples-body"></tbody>
  </table>
  <nav id="pager" aria-label="Sample table pages" hidden>
    <button type="button" id="prev-page" class="link">Previous</button>
    <span id="page-label"></span>
    <button type="button" id="next-page" class="link">Next</button>
  </nav>
</section>
<script nonce="${nonce}" src="${script}"></script>`;
  return webviewHtml({ nonce, title, cspSource: webview.cspSource, fonts: true, head: `<link rel="stylesheet" href="${style}" nonce="${nonce}">`, body });
}
