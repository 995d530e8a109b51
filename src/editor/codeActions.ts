import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { Finding, Fix } from '../core/types';
import { configGlobOfFix } from './configMerge';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import type { DumpIndex } from './dumpIndex';
import { fixCommandLine } from '../core/fixes';

const MAX_TARGET_FILES = 5;

/**
 * Quick fixes for the findings of a dump, one group per fix: open it as a new file (the first
 * fix of a finding is the preferred one), merge it into a matching config file of the workspace
 * (my.cnf, sysctl.d, a systemd drop-in; applied with Undo), copy its command.
 */
export class DumpCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly index: DumpIndex) {}

  async provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (!ours.length) return [];
    const { analysis } = this.index.get(doc);
    const actions: vscode.CodeAction[] = [];
    const seen = new Set<string>();
    for (const diag of ours) {
      const id = typeof diag.code === 'object' ? diag.code.value : diag.code;
      const finding = analysis.findings.find((f) => f.id === id);
      if (!finding || seen.has(finding.id)) continue;
      seen.add(finding.id);
      actions.push(...(await this.actionsFor(finding, diag, token)));
    }
    return actions;
  }

  private async actionsFor(finding: Finding, diag: vscode.Diagnostic, token: vscode.CancellationToken): Promise<vscode.CodeAction[]> {
    const out: vscode.CodeAction[] = [];
    for (const [k, fix] of finding.fixes.entries()) {
      const open = new vscode.CodeAction(`${fix.title}: open as new file`, vscode.CodeActionKind.QuickFix);
      open.command = { command: Commands.openFix, title: open.title, arguments: [fix] };
      open.diagnostics = [diag];
      open.isPreferred = k === 0;
      out.push(open);
      for (const uri of await targetFiles(fix, token)) {
        const merge = new vscode.CodeAction(`${fix.title}: add to ${vscode.workspace.asRelativePath(uri)}`, vscode.CodeActionKind.QuickFix);
        merge.command = { command: Commands.applyFixToFile, title: merge.title, arguments: [fix, uri] };
        merge.diagnostics = [diag];
        out.push(merge);
      }
      const cmd = fixCommandLine(fix);
      if (cmd) {
        const copy = new vscode.CodeAction(`Copy command: ${cmd}`, vscode.CodeActionKind.QuickFix);
        copy.command = { command: Commands.copyCommand, title: copy.title, arguments: [cmd] };
        copy.diagnostics = [diag];
        out.push(copy);
      }
    }
    return out;
  }
}

/** Config files of the workspace the fix can be merged into. */
async function targetFiles(fix: Fix, token: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const glob = configGlobOfFix(fix);
  if (!glob || !vscode.workspace.workspaceFolders?.length) return [];
  const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', MAX_TARGET_FILES, token);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
