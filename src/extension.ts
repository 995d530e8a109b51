import type * as vscode from 'vscode';
import { activateOn } from './activate';
import { nodePlatform } from './nodePlatform';

/** Entry point of the Node extension host (`main`): wiring only (see activate.ts). */
export function activate(context: vscode.ExtensionContext): void {
  activateOn(context, nodePlatform);
}

export function deactivate(): void {}
