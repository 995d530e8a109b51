import * as vscode from 'vscode';
import { affectsAnalysis } from '../config';
import { DOCS_URL } from '../constants';
import type { Analysis, Finding, Severity } from '../core/types';
import { formatCount } from '../core/format';
import { DebouncedDiagnostics } from './debouncedDiagnostics';
import { DumpIndex, isDumpDocument } from './dumpIndex';
import { log, since } from '../util/log';

export const DIAGNOSTIC_SOURCE = 'vma-lens';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The README section that explains a finding or a config check, for the diagnostic's code link. */
export function docsLink(id: string): vscode.Uri {
  return vscode.Uri.parse(`${DOCS_URL}#${id}`);
}

/** Other lines named in a diagnostic's related information (the Problems panel lists each). */
const MAX_RELATED = 100;

/**
 * Diagnostics of one finding: one, on its main (first) line, in the Problems panel, naming its
 * other lines as related information; each other line gets a hint (a faint underline in the
 * editor, not a row in the Problems panel), so that 36 lines of one finding read as one problem
 * and the lightbulb still offers its fixes on every line.
 */
export function findingDiagnostics(doc: vscode.TextDocument, f: Finding): vscode.Diagnostic[] {
  const lines = f.lines.length ? f.lines : [1];
  const rangeOf = (line: number) => doc.lineAt(Math.min(Math.max(0, line - 1), doc.lineCount - 1)).range;
  const make = (range: vscode.Range, message: string, severity: vscode.DiagnosticSeverity) => {
    const d = new vscode.Diagnostic(range, message, severity);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = { value: f.id, target: docsLink(f.id) };
    return d;
  };
  const main = make(rangeOf(lines[0]), f.message, SEVERITY[f.severity]);
  const rest = lines.slice(1);
  if (rest.length) {
    const shown = rest.slice(0, MAX_RELATED);
    main.relatedInformation = shown.map(
      (line, k) =>
        new vscode.DiagnosticRelatedInformation(new vscode.Location(doc.uri, rangeOf(line)), `also here (${k + 2} of ${formatCount(f.lineCount)} lines)`),
    );
    if (f.lineCount > shown.length + 1) main.message += ` (${formatCount(f.lineCount)} lines; the first ${formatCount(shown.length + 1)} are linked)`;
  }
  const out = [main];
  rest.forEach((line, k) =>
    out.push(make(rangeOf(line), `${f.message} (${k + 2} of ${formatCount(f.lineCount)} lines; listed under the first)`, vscode.DiagnosticSeverity.Hint)),
  );
  return out;
}

export function analysisDiagnostics(doc: vscode.TextDocument, a: Analysis): vscode.Diagnostic[] {
  return a.findings.flatMap((f) => findingDiagnostics(doc, f));
}

/** Keeps the Problems panel in step with every open dump: at once on open, debounced on edits. */
export class DumpDiagnostics extends DebouncedDiagnostics {
  constructor(private readonly index: DumpIndex) {
    super(DIAGNOSTIC_SOURCE);
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsAnalysis(e)) return;
        this.index.clear();
        this.updateAll();
      }),
    );
    this.updateAll();
  }

  protected override opened(d: vscode.TextDocument): void {
    if (isDumpDocument(d)) log().info(`opened ${d.uri.path.split('/').pop()} (${d.lineCount} lines)`);
    this.update(d);
  }

  protected applies(doc: vscode.TextDocument): boolean {
    return isDumpDocument(doc);
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
