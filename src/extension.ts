import type * as vscode from 'vscode';
import { registerCaptureCommands } from './captureUi/captureCommands';
import { registerEditorFeatures } from './editor';
import { registerFleet } from './fleet/register';
import { registerReports } from './report/reportPanel';
import { registerTimeline } from './timeline/register';

/**
 * Entry point: wiring only. Each feature area registers its own providers and commands and
 * pushes every disposable onto context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): void {
  const dumps = registerEditorFeatures(context);
  context.subscriptions.push(...registerReports(dumps), ...registerCaptureCommands());
  registerTimeline(context);
  registerFleet(context);
}

export function deactivate(): void {}
