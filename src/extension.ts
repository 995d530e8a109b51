import type * as vscode from 'vscode';
import { activateOn } from './activate';
import { nodePlatform } from './nodePlatform';
import { registerTasks } from './tasks/analyzeTask';

/** Entry point of the Node extension host (`main`): wiring only (see activate.ts). */
export function activate(context: vscode.ExtensionContext): void {
  activateOn(context, nodePlatform);
  // The task runs the CLI with this host's Node (process.execPath): a Node-host feature only.
  registerTasks(context);
}

export function deactivate(): void {}
