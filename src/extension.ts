import * as vscode from 'vscode';
import { setL10nBundle } from './core/l10n';
import { registerEditorFeatures } from './editor';
import { registerFleet } from './fleet/register';
import { registerTimeline } from './timeline/register';

/**
 * Entry point: wiring only. Each feature area registers its own providers and commands and
 * pushes every disposable onto context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): void {
  // The engine's texts (findings, fixes) read the same bundle VS Code loaded for this extension.
  setL10nBundle(vscode.l10n.bundle);
  registerEditorFeatures(context);
  registerTimeline(context);
  registerFleet(context);
}

export function deactivate(): void {}
