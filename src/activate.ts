import * as vscode from 'vscode';
import { Commands, ContextKeys } from './constants';
import { setL10nBundle } from './core/l10n';
import { registerEditorFeatures } from './editor';
import { registerFleet } from './fleet/register';
import { usePlatform, type Platform } from './platform';
import { registerReports } from './report/reportPanel';
import { registerTimeline } from './timeline/register';
import { registerWalkthrough } from './walkthrough/register';

/**
 * The one wiring of both entry points (extension.ts for Node, web/extension.ts for the browser):
 * each feature area registers its own providers and commands and pushes every disposable onto
 * context.subscriptions; what differs between the hosts comes in `platform`.
 */
export function activateOn(context: vscode.ExtensionContext, p: Platform): void {
  usePlatform(p);
  // The engine's texts (findings, fixes) read the same bundle VS Code loaded for this extension.
  setL10nBundle(vscode.l10n.bundle);
  const dumps = registerEditorFeatures(context);
  context.subscriptions.push(...registerReports(dumps));
  registerTimeline(context);
  registerFleet(context);
  registerWalkthrough(context);
  if (p.processes) {
    context.subscriptions.push(...p.processes.registerCommands());
  } else {
    // Hidden by `when` clauses once this key is set; before that (or from a keybinding) a command
    // that runs programs says why it cannot, instead of "command not found".
    void vscode.commands.executeCommand('setContext', ContextKeys.noProcesses, true);
    const cannot = () =>
      void vscode.window.showWarningMessage(
        vscode.l10n.t('VMA Lens: capturing runs programs (sh, ssh), which a browser cannot: use the desktop or a remote VS Code.'),
      );
    context.subscriptions.push(vscode.commands.registerCommand(Commands.captureLocal, cannot), vscode.commands.registerCommand(Commands.captureSsh, cannot));
  }
}
