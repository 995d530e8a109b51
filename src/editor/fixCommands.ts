import * as vscode from 'vscode';
import { Commands } from '../constants';
import { fixCommandLine } from '../core/fixes';
import type { Fix } from '../core/types';
import { configFlavourOfFix, configFlavourOfPath, mergeFix, type TextEdit } from './configMerge';
import { walkthroughStepDone } from '../walkthrough/progress';
import { guarded } from '../util/log';

/**
 * The commands behind quick fixes and report buttons: open a fix as a new untitled document in
 * its language, merge it into a config file of the workspace (with Undo), copy its command.
 */

function isFix(x: unknown): x is Fix {
  const f = x as Fix;
  return !!f && typeof f.text === 'string' && typeof f.path === 'string' && typeof f.language === 'string';
}

async function languageOr(language: string, fallback = 'plaintext'): Promise<string> {
  return (await vscode.languages.getLanguages()).includes(language) ? language : fallback;
}

/**
 * Opens the fix as an untitled document named like the file it is meant to become (so Save As
 * proposes that name), in the fix's language. Reopening the same fix replaces the text.
 */
export async function openFix(fix: Fix): Promise<vscode.TextEditor> {
  const name = fix.path.slice(fix.path.lastIndexOf('/') + 1) || 'fix.txt';
  const uri = vscode.Uri.from({ scheme: 'untitled', path: name });
  const doc = await vscode.workspace.openTextDocument(uri);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), fix.text);
  await vscode.workspace.applyEdit(edit);
  const typed = await vscode.languages.setTextDocumentLanguage(doc, await languageOr(fix.language));
  const editor = await vscode.window.showTextDocument(typed, { preview: false });
  void vscode.window.setStatusBarMessage(vscode.l10n.t('VMA Lens: save this as {0} on the target host', fix.path), 8000);
  return editor;
}

export function toRange(e: TextEdit): vscode.Range {
  return new vscode.Range(e.start.line, e.start.character, e.end.line, e.end.character);
}

/**
 * Merges the fix into a config file at once (the Refactor Preview left its edit unticked and then
 * wrote nothing): the file is shown with the change selected, unsaved, and a notification names
 * the file and line, with Save and Undo.
 */
export async function applyFixToFile(fix: Fix, uri: vscode.Uri): Promise<boolean> {
  const flavour = configFlavourOfFix(fix) ?? configFlavourOfPath(uri.path);
  const rel = vscode.workspace.asRelativePath(uri);
  if (!flavour) {
    void vscode.window.showWarningMessage(vscode.l10n.t('VMA Lens cannot merge "{0}" into {1}.', fix.title, rel));
    return false;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const before = doc.getText();
  const edits = mergeFix(before, fix, flavour);
  if (edits.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} already has this setting: nothing was changed.', rel));
    return false;
  }
  const we = new vscode.WorkspaceEdit();
  for (const e of edits) we.replace(uri, toRange(e), e.newText);
  if (!(await vscode.workspace.applyEdit(we))) {
    void vscode.window.showWarningMessage(vscode.l10n.t('VMA Lens: nothing was applied to {0} (the edit was refused; is the file read-only?).', rel));
    return false;
  }
  const changed = changedLines(before, doc.getText());
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  editor.selection = new vscode.Selection(changed.first, 0, changed.last, doc.lineAt(changed.last).text.length);
  editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const where =
    changed.first === changed.last ? vscode.l10n.t('line {0}', changed.first + 1) : vscode.l10n.t('lines {0}–{1}', changed.first + 1, changed.last + 1);
  const save = vscode.l10n.t('Save');
  const undo = vscode.l10n.t('Undo');
  const version = doc.version;
  // Not awaited: the command is done; the buttons act whenever (if ever) they are pressed.
  void vscode.window
    .showInformationMessage(vscode.l10n.t('VMA Lens: "{0}" added to {1}, {2} (not saved yet).', fix.title, rel, where), save, undo)
    .then(async (answer) => {
      if (answer === save) await doc.save();
      else if (answer === undo) {
        if (doc.version !== version) {
          void vscode.window.showWarningMessage(vscode.l10n.t('{0} changed since: undo with Edit › Undo in its editor.', rel));
          return;
        }
        const back = new vscode.WorkspaceEdit();
        back.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), before);
        await vscode.workspace.applyEdit(back);
      }
    });
  return true;
}

/** The 0-based lines of `after` that differ from `before` (the first and the last). */
function changedLines(before: string, after: string): { first: number; last: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  let first = 0;
  while (first < a.length && first < b.length && a[first] === b[first]) first++;
  let tailA = a.length - 1;
  let tailB = b.length - 1;
  while (tailA >= first && tailB > first && a[tailA] === b[tailB]) {
    tailA--;
    tailB--;
  }
  const last = Math.max(first, tailB);
  return { first: Math.min(first, b.length - 1), last: Math.min(last, b.length - 1) };
}

export async function copyCommand(arg: Fix | string): Promise<void> {
  const text = typeof arg === 'string' ? arg : isFix(arg) ? fixCommandLine(arg) : undefined;
  if (!text) {
    void vscode.window.showWarningMessage(vscode.l10n.t('This fix has no command to copy.'));
    return;
  }
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(vscode.l10n.t('Copied: {0}', text), 5000);
  walkthroughStepDone('fixApplied');
}

export function registerFixCommands(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      Commands.openFix,
      guarded(vscode.l10n.t('Cannot open the fix'), async (fix: unknown) => {
        if (!isFix(fix)) throw new Error(vscode.l10n.t('this command is run from a quick fix or the analysis report'));
        await openFix(fix);
        walkthroughStepDone('fixApplied');
      }),
    ),
    vscode.commands.registerCommand(
      Commands.applyFixToFile,
      guarded(vscode.l10n.t('Cannot apply the fix'), async (fix: unknown, uri: unknown) => {
        if (!isFix(fix) || !(uri instanceof vscode.Uri)) throw new Error(vscode.l10n.t('this command is run from a quick fix'));
        await applyFixToFile(fix, uri);
        walkthroughStepDone('fixApplied');
      }),
    ),
    vscode.commands.registerCommand(
      Commands.copyCommand,
      guarded(vscode.l10n.t('Cannot copy the command'), (arg: Fix | string) => copyCommand(arg)),
    ),
  ];
}
