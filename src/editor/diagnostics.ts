import * as vscode from 'vscode';
import { affectsAnalysis } from '../config';
import { DOCS_URL } from '../constants';
import type { Analysis, Finding, Severity } from '../core/types';
import { formatCount } from '../core/format';
import { Disposable } from '../util/disposable';
import { DumpIndex, isDumpDocument } from './dumpIndex';
import { log, since } from './log';

export const DIAGNOSTIC_SOURCE = 'vma-lens';
const DEBOUNCE_MS = 250;

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The README section that explains a finding or a config check, for the diagnostic's code link. */
export function docsLink(id: string): vscode.Uri {
  return vscode.Uri.parse(`${DOCS_URL}#${id}`);
}

/**
 * Diagnostics of one finding: every line it lists carries it. For info findings only the first
 * line is in the Problems panel; the other lines get a hint (a faint underline in the editor),
 * so that e.g. 200 thread stacks do not bury the warnings.
 */
export function findingDiagnostics(doc: vscode.TextDocument, f: Finding): vscode.Diagnostic[] {
  const out: vscode.Diagnostic[] = [];
  const lines = f.lines.length ? f.lines : [1];
  lines.forEach((line, k) => {
    const l = Math.min(Math.max(0, line - 1), doc.lineCount - 1);
    const range = doc.lineAt(l).range;
    const first = k === 0;
    const more = f.lineCount > 1 ? ` (${k + 1} of ${formatCount(f.lineCount)} lines)` : '';
    const severity = !first && f.severity === 'info' ? vscode.DiagnosticSeverity.Hint : SEVERITY[f.severity];
    const d = new vscode.Diagnostic(range, first ? f.message : `${f.message}${more}`, severity);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = { value: f.id, target: docsLink(f.id) };
    out.push(d);
  });
  return out;
}

export function analysisDiagnostics(doc: vscode.TextDocument, a: Analysis): vscode.Diagnostic[] {
  return a.findings.flatMap((f) => findingDiagnostics(doc, f));
}

/** Keeps the Problems panel in step with every open dump: at once on open, debounced on edits. */
export class DumpDiagnostics extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE));
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly index: DumpIndex) {
    super();
    this.register(
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (isDumpDocument(d)) log().info(`opened ${d.uri.path.split('/').pop()} (${d.lineCount} lines)`);
        this.update(d);
      }),
    );
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this.register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d);
        this.collection.delete(d.uri);
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsAnalysis(e)) return;
        this.index.clear();
        for (const d of vscode.workspace.textDocuments) this.update(d);
      }),
    );
    this.register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  private cancel(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isDumpDocument(doc)) return;
    this.cancel(doc);
    this.timers.set(
      doc.uri.toString(),
      setTimeout(() => {
        this.timers.delete(doc.uri.toString());
        this.update(doc);
      }, DEBOUNCE_MS),
    );
  }

  /** Recomputes the diagnostics of a document now (or clears them when it is not a dump any more). */
  update(doc: vscode.TextDocument): void {
    if (!isDumpDocument(doc)) {
      this.collection.delete(doc.uri);
      return;
    }
    if (doc.isClosed) return;
    const t0 = performance.now();
    try {
      const { analysis } = this.index.get(doc);
      const diags = analysisDiagnostics(doc, analysis);
      this.collection.set(doc.uri, diags);
      log().info(`diagnostics ${doc.uri.path.split('/').pop()} v${doc.version}: ${diags.length} in ${since(t0)} ms`);
    } catch (err) {
      log().error(`diagnostics failed for ${doc.uri.toString()}: ${(err as Error).stack ?? String(err)}`);
    }
  }
}
