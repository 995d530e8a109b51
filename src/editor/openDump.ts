import * as vscode from 'vscode';
import { dumpFileName } from '../capture/names';
import { Languages } from '../constants';
import { parseDump } from '../core/parse';
import type { DumpFormat } from '../core/types';

/** The editor language for a dump format. */
export function languageOfFormat(format: DumpFormat): string {
  if (format === 'smaps' || format === 'smaps_rollup') return Languages.smaps;
  if (format.startsWith('pmap')) return Languages.pmap;
  if (format === 'gdb') return Languages.gdb;
  if (format === 'numa_maps') return Languages.numa;
  if (format === 'hs_err') return Languages.hsErr;
  return Languages.maps;
}

/** The format of a dump text, from its first MiB (enough to tell maps, smaps and pmap apart). */
function sniffFormat(text: string): DumpFormat {
  const dump = parseDump(text.slice(0, 1 << 20));
  const { format } = dump;
  dump.release();
  return format;
}

/**
 * Opens text as a new untitled dump, named `name` when given (a capture's file name, so Save
 * proposes it), in the language its content calls for (`format`, when the caller parsed it).
 */
export async function openDumpText(text: string, name?: string, format = sniffFormat(text)): Promise<vscode.TextEditor> {
  const language = languageOfFormat(format);
  let doc: vscode.TextDocument;
  if (name) {
    const uri = vscode.Uri.from({ scheme: 'untitled', path: name });
    doc = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
    await vscode.workspace.applyEdit(edit);
    if (doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
  } else {
    doc = await vscode.workspace.openTextDocument({ language, content: text });
  }
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** "Paste Maps from Clipboard": the clipboard as a new dump editor. */
export async function pasteFromClipboard(): Promise<void> {
  const text = await vscode.env.clipboard.readText();
  if (!text.trim()) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The clipboard is empty: copy the output of "cat /proc/PID/maps" (or smaps, or pmap -x PID) first.'));
    return;
  }
  const dump = parseDump(text);
  const { count, format, header } = dump;
  dump.release();
  // Named like a capture (program, pid, time from its header), not after its first line.
  const ext = format === 'smaps' || format === 'smaps_rollup' ? 'smaps' : format.startsWith('pmap') ? 'pmap' : 'maps';
  await openDumpText(text, dumpFileName(header, ext, 'pasted'), format);
  if (count === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The clipboard holds no maps, smaps or pmap lines that VMA Lens understands; it was opened as it is.'));
  }
}
