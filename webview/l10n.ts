/**
 * The webview's translations: the host puts the extension's bundle for the UI language
 * (`vscode.l10n.bundle`) in a JSON block of the page; @vscode/l10n reads it for the webview's
 * own strings and the engine's catalogue for the texts it makes here (kinds, forecasts).
 * Imported first by main.ts, so the bundle is set before any module computes a string.
 */
import * as l10n from '@vscode/l10n';
import { setL10nBundle, type L10nBundle } from '../src/core/l10n';

const block = document.getElementById('l10n-bundle')?.textContent;
if (block) {
  try {
    setL10nBundle(JSON.parse(block) as L10nBundle);
    l10n.config({ contents: block });
  } catch {
    // an unreadable bundle: English
  }
}
