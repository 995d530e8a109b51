import * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Wiring of language features, commands and panels lands here.
}

export function deactivate(): void {}
