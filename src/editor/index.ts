import * as vscode from 'vscode';
import { Commands, DUMP_LANGUAGES } from '../constants';
import { DumpCodeActions } from './codeActions';
import { CONFIG_SELECTOR, ConfigCodeActions, ConfigDiagnostics } from './configDiagnostics';
import { DumpDiagnostics } from './diagnostics';
import { DumpIndex } from './dumpIndex';
import { registerFixCommands } from './fixCommands';
import { DumpHoverProvider } from './hoverProvider';
import { guarded, log } from '../util/log';
import { pasteFromClipboard } from './openDump';
import { DumpSymbolProvider } from './outline';
import { DumpStatusBar } from './statusBar';

// The editor's public face for the other folders (checked in test/unit/boundaries.test.ts).
export { DumpIndex, isDumpDocument } from './dumpIndex';
export { openDumpText } from './openDump';

/**
 * Everything a user does with a dump in the editor: hovers, diagnostics and quick fixes,
 * config-file checks, the outline and status bar, and paste (capture is the platform's: see
 * platform.ts). One call from activate.ts, which hands the returned index (one parse per document
 * version) to the reports.
 */
export function registerEditorFeatures(context: vscode.ExtensionContext): DumpIndex {
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
  );
  return index;
}
