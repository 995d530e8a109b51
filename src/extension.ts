import type * as vscode from 'vscode';
import { registerEditorFeatures } from './editor';
import { registerFleet } from './fleet/register';
import { registerTasks } from './tasks/analyzeTask';
import { registerTimeline } from './timeline/register';
import { registerWalkthrough } from './walkthrough/register';

/**
 * Entry point: wiring only. Each feature area registers its own providers and commands and
 * pushes every disposable onto context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): void {
  registerEditorFeatures(context);
  registerTimeline(context);
  registerFleet(context);
  registerTasks(context);
  registerWalkthrough(context);
}

export function deactivate(): void {}
