import * as vscode from 'vscode';
import { Commands, DUMP_LANGUAGES } from '../constants';
import { analyzeText } from '../core/analyze';
import { guarded } from '../util/log';
import { walkthroughStepDone } from './progress';

/** The sample the walkthrough opens: a real MariaDB on glibc malloc, whose arenas have fixes. */
const SAMPLE = 'mariadbd-glibc.maps';
/** First line of a maps entry (the header's `#` lines come before it). */
const VMA_LINE = /^[0-9a-f]+-[0-9a-f]+ /;

/**
 * The walkthrough's commands (open the shipped sample, with a hover or its quick fixes shown;
 * the timeline of the samples folder) and the "a dump is open" step, done when any dump is.
 */
export function registerWalkthrough(context: vscode.ExtensionContext): void {
  const samples = vscode.Uri.joinPath(context.extensionUri, 'samples');
  const onEditor = (e: vscode.TextEditor | undefined) => {
    if (e && DUMP_LANGUAGES.includes(e.document.languageId)) walkthroughStepDone('dumpOpened');
  };
  onEditor(vscode.window.activeTextEditor);
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(onEditor),
    vscode.commands.registerCommand(
      Commands.openSample,
      guarded(vscode.l10n.t('Cannot open the sample'), (show?: unknown) => openSample(vscode.Uri.joinPath(samples, SAMPLE), show)),
    ),
    vscode.commands.registerCommand(Commands.openSamplesTimeline, () => vscode.commands.executeCommand(Commands.openTimelineForFolder, samples)),
  );
}

/** Opens the sample; with 'hover', shows the hover of its first address range; with 'fix', the quick fixes of its first finding that has some. */
async function openSample(uri: vscode.Uri, show: unknown): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  let line: number | undefined;
  if (show === 'hover') {
    line = Array.from({ length: doc.lineCount }, (_, k) => k).find((k) => VMA_LINE.test(doc.lineAt(k).text));
  } else if (show === 'fix') {
    const f = analyzeText(doc.getText()).findings.find((x) => x.fixes.length > 0);
    line = f ? f.lines[0] - 1 : undefined;
  }
  if (line === undefined) return;
  const at = new vscode.Position(line, 0);
  editor.selection = new vscode.Selection(at, at);
  editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
  if (show === 'hover') await vscode.commands.executeCommand('editor.action.showHover');
  else {
    // The lightbulb's fixes come with the diagnostics, which follow the open by a moment.
    const range = new vscode.Range(at, at);
    for (let k = 0; k < 30; k++) {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range);
      if (actions?.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await vscode.commands.executeCommand('editor.action.quickFix');
  }
}
