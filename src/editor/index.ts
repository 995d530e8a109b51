import * as vscode from 'vscode';
import { Commands, DUMP_LANGUAGES } from '../constants';
import { registerReports } from '../report/reportPanel';
import { registerCaptureCommands } from './captureCommands';
import { DumpCodeActions } from './codeActions';
import { CONFIG_SELECTOR, ConfigCodeActions, ConfigDiagnostics } from './configDiagnostics';
import { DumpDiagnostics } from './diagnostics';
import { DumpIndex } from './dumpIndex';
import { registerFixCommands } from './fixCommands';
import { DumpHoverProvider } from './hoverProvider';
import { guarded, log } from './log';
import { pasteFromClipboard } from './openDump';
import { DumpSymbolProvider } from './outline';
import { DumpStatusBar } from './statusBar';

/**
 * Everything a user does with a dump in the editor: hovers, diagnostics and quick fixes,
 * config-file checks, the outline and status bar, the analysis and compare reports, paste and
 * capture. One call from extension.ts.
 */
export function registerEditorFeatures(context: vscode.ExtensionContext): void {
  const dumps: vscode.DocumentSelector = DUMP_LANGUAGES.map((language) => ({ language }));
  const index = new DumpIndex();
  const configDiagnostics = new ConfigDiagnostics();
  context.subscriptions.push(
    log(),
    index,
    new DumpDiagnostics(index),
    configDiagnostics,
    new DumpStatusBar(index),
    vscode.languages.registerHoverProvider(dumps, new DumpHoverProvider(index)),
    vscode.languages.registerCodeActionsProvider(dumps, new DumpCodeActions(index), DumpCodeActions.metadata),
    vscode.languages.registerCodeActionsProvider(CONFIG_SELECTOR, new ConfigCodeActions(configDiagnostics), ConfigCodeActions.metadata),
    vscode.languages.registerDocumentSymbolProvider(dumps, new DumpSymbolProvider(index), { label: 'VMA Lens' }),
    vscode.commands.registerCommand(Commands.pasteFromClipboard, guarded(vscode.l10n.t('Paste failed'), pasteFromClipboard)),
    ...registerFixCommands(),
    ...registerCaptureCommands(),
    ...registerReports(index),
  );
}
