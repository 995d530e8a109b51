import * as vscode from 'vscode';

/**
 * The one workspace-trust guard: capturing and watching run programs (sh, ssh), which an
 * untrusted workspace must not start. True when trusted; otherwise shows `message` (as a warning,
 * or through `show`) and returns false.
 */
export function requireTrust(message: string, show: (message: string) => void = (m) => void vscode.window.showWarningMessage(m)): boolean {
  if (vscode.workspace.isTrusted) return true;
  show(message);
  return false;
}
