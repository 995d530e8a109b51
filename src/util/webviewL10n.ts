import * as vscode from 'vscode';

/**
 * The extension's bundle for the UI language as a JSON data block for a webview page (read by
 * webview/l10n.ts); empty in English. `<` is escaped so no text can close the block.
 */
export function l10nBundleBlock(): string {
  const bundle = vscode.l10n.bundle;
  if (!bundle) return '';
  return `<script type="application/json" id="l10n-bundle">${JSON.stringify(bundle).replace(/</g, '\\u003c')}</script>`;
}
