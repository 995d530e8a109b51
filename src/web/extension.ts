import type * as vscode from 'vscode';
import { activateOn } from '../activate';
import { webPlatform } from './platform';

/** Entry point of the browser's web worker extension host (`browser`): wiring only (see activate.ts). */
export function activate(context: vscode.ExtensionContext): void {
  activateOn(context, webPlatform);
}

export function deactivate(): void {}
