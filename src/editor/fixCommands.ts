import * as vscode from 'vscode';
import { Commands } from '../constants';
import { fixCommandLine } from '../core/fixes';
import type { Fix } from '../core/types';
import { configFlavourOfFix, configFlavourOfPath, mergeFix, type TextEdit } from './configMerge';
import { guarded } from './log';

/**
 * The commands behind quick fixes and report buttons: open a fix as a new untitled document in
 * its language, merge it into a config file of the workspace (after a preview), copy its command.
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
  void vscode.window.setStatusBarMessage(`VMA Lens: save this as ${fix.path} on the target host`, 8000);
  return editor;
}

export function toRange(e: TextEdit): vscode.Range {
  return new vscode.Range(e.start.line, e.start.character, e.end.line, e.end.character);
}

/**
 * Merges the fix into a config file through a workspace edit that VS Code previews first
 * (Refactor Preview): the user sees the change and applies or discards it.
 */
export async function applyFixToFile(fix: Fix, uri: vscode.Uri): Promise<boolean> {
  const flavour = configFlavourOfFix(fix) ?? configFlavourOfPath(uri.path);
  if (!flavour) {
    void vscode.window.showWarningMessage(`VMA Lens cannot merge "${fix.title}" into ${vscode.workspace.asRelativePath(uri)}.`);
    return false;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const edits = mergeFix(doc.getText(), fix, flavour);
  const rel = vscode.workspace.asRelativePath(uri);
  if (edits.length === 0) {
    void vscode.window.showInformationMessage(`${rel} already has this setting.`);
    return false;
  }
  const we = new vscode.WorkspaceEdit();
  const meta: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: true, label: fix.title, description: rel };
  for (const e of edits) we.replace(uri, toRange(e), e.newText, meta);
  const applied = await vscode.workspace.applyEdit(we);
  if (applied) await vscode.window.showTextDocument(doc, { preview: false });
  return applied;
}

export async function copyCommand(arg: Fix | string): Promise<void> {
  const text = typeof arg === 'string' ? arg : isFix(arg) ? fixCommandLine(arg) : undefined;
  if (!text) {
    void vscode.window.showWarningMessage('This fix has no command to copy.');
    return;
  }
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(`Copied: ${text}`, 5000);
}

export function registerFixCommands(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      Commands.openFix,
      guarded('Cannot open the fix', async (fix: unknown) => {
        if (!isFix(fix)) throw new Error('this command is run from a quick fix or the analysis report');
        await openFix(fix);
      }),
    ),
    vscode.commands.registerCommand(
      Commands.applyFixToFile,
      guarded('Cannot apply the fix', async (fix: unknown, uri: unknown) => {
        if (!isFix(fix) || !(uri instanceof vscode.Uri)) throw new Error('this command is run from a quick fix');
        await applyFixToFile(fix, uri);
      }),
    ),
    vscode.commands.registerCommand(
      Commands.copyCommand,
      guarded('Cannot copy the command', (arg: Fix | string) => copyCommand(arg)),
    ),
  ];
}
