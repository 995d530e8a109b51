import * as vscode from 'vscode';
import { Commands } from '../constants';
import { DebouncedDiagnostics } from './debouncedDiagnostics';
import { checkConfig, type ConfigIssue } from './configCheck';
import { configFlavourOfPath } from './configMerge';
import { docsLink } from './diagnostics';
import { toRange } from './fixCommands';

export const CONFIG_DIAGNOSTIC_SOURCE = 'vma-lens-config';

/**
 * The config files the checks apply to, by file pattern only: they keep whatever language VS Code
 * gave them (ini, properties, plain text).
 */
export const CONFIG_SELECTOR: vscode.DocumentSelector = [{ pattern: '**/*.cnf' }, { pattern: '**/sysctl.conf' }, { pattern: '**/sysctl.d/*.conf' }];

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

function flavourOf(doc: vscode.TextDocument) {
  return doc.uri.scheme === 'output' ? undefined : configFlavourOfPath(doc.uri.path);
}

/** Diagnostics for my.cnf-style files and sysctl files. */
export class ConfigDiagnostics extends DebouncedDiagnostics {
  /** The issues behind each document's diagnostics, for the code actions. */
  readonly issues = new Map<string, ConfigIssue[]>();

  constructor() {
    super(CONFIG_DIAGNOSTIC_SOURCE);
    this.updateAll();
  }

  protected applies(doc: vscode.TextDocument): boolean {
    return flavourOf(doc) !== undefined;
  }

  protected override closed(d: vscode.TextDocument): void {
    this.issues.delete(d.uri.toString());
  }

  update(doc: vscode.TextDocument): void {
    const flavour = flavourOf(doc);
    if (!flavour || doc.isClosed) return;
    const issues = checkConfig(doc.getText(), flavour);
    this.issues.set(doc.uri.toString(), issues);
    this.collection.set(
      doc.uri,
      issues.map((i) => {
        const d = new vscode.Diagnostic(new vscode.Range(i.line, i.start, i.line, Math.max(i.end, i.start + 1)), i.message, SEVERITY[i.severity]);
        d.source = CONFIG_DIAGNOSTIC_SOURCE;
        d.code = { value: i.code, target: docsLink(i.code) };
        return d;
      }),
    );
  }
}

/** The fixes of the config checks: edits in place, or a file to open (a systemd drop-in). */
export class ConfigCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: ConfigDiagnostics) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const issues = this.diagnostics.issues.get(doc.uri.toString()) ?? [];
    const out: vscode.CodeAction[] = [];
    for (const diag of context.diagnostics) {
      if (diag.source !== CONFIG_DIAGNOSTIC_SOURCE) continue;
      const code = typeof diag.code === 'object' ? diag.code.value : diag.code;
      const issue = issues.find((i) => i.code === code && i.line === diag.range.start.line);
      for (const fix of issue?.fixes ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diag];
        action.isPreferred = !!fix.preferred;
        if ('edits' in fix) {
          const edit = new vscode.WorkspaceEdit();
          for (const e of fix.edits) edit.replace(doc.uri, toRange(e), e.newText);
          action.edit = edit;
        } else {
          action.command = { command: Commands.openFix, title: fix.title, arguments: [fix.open] };
        }
        out.push(action);
      }
    }
    return out;
  }
}
