import * as vscode from 'vscode';
import { affectsAnalysis, analyzeOptions } from '../config';
import { analyze } from '../core/analyze';
import { platform } from '../platform';
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

/** Where diagnostics go: a file, and the range of its 1-based line. */
interface LineTarget {
  uri: vscode.Uri;
  rangeOf(line: number): vscode.Range;
}

const documentLines = (doc: vscode.TextDocument): LineTarget => ({
  uri: doc.uri,
  rangeOf: (line) => doc.lineAt(Math.min(Math.max(0, line - 1), doc.lineCount - 1)).range,
});

/**
 * A file whose text has not reached the extension: whole lines, their ends unknown (the editor
 * draws a range only up to its line's end). The document's diagnostics replace these.
 */
const fileLines = (uri: vscode.Uri): LineTarget => ({
  uri,
  rangeOf: (line) => new vscode.Range(Math.max(0, line - 1), 0, Math.max(0, line - 1), Number.MAX_SAFE_INTEGER),
});

/**
 * Diagnostics of one finding: one, on its main (first) line, in the Problems panel, naming its
 * other lines as related information; each other line gets a hint (a faint underline in the
 * editor, not a row in the Problems panel), so that 36 lines of one finding read as one problem
 * and the lightbulb still offers its fixes on every line.
 */
export function findingDiagnostics(target: LineTarget, f: Finding): vscode.Diagnostic[] {
  const lines = f.lines.length ? f.lines : [1];
  const { uri, rangeOf } = target;
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
        new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, rangeOf(line)), `also here (${k + 2} of ${formatCount(f.lineCount)} lines)`),
    );
    if (f.lineCount > shown.length + 1) main.message += ` (${formatCount(f.lineCount)} lines; the first ${formatCount(shown.length + 1)} are linked)`;
  }
  const out = [main];
  rest.forEach((line, k) =>
    out.push(make(rangeOf(line), `${f.message} (${k + 2} of ${formatCount(f.lineCount)} lines; listed under the first)`, vscode.DiagnosticSeverity.Hint)),
  );
  return out;
}

function analysisDiagnostics(target: LineTarget, a: Analysis): vscode.Diagnostic[] {
  return a.findings.flatMap((f) => findingDiagnostics(target, f));
}

/** Dump files by name, as package.json gives them our languages (the document's language decides once it arrives). */
const DUMP_TAB_NAME = /^(maps|smaps|smaps_rollup|numa_maps)$|\.(maps|smaps|pmap|gdbmaps|numa_maps)$/;
/** Files read ahead of their document at most this big (VS Code hands extensions documents of up to 50 MB). */
const AHEAD_MAX_BYTES = 64 << 20;

/** The open document of a URI, if it has reached the extension. */
function documentOf(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => !d.isClosed && d.uri.toString() === key);
}

function tabOpen(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
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
    this.register(
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const tab of e.opened) void this.ahead(tab);
        // A tab closed before its document arrived leaves nothing behind.
        for (const tab of e.closed) if (tab.input instanceof vscode.TabInputText && !documentOf(tab.input.uri)) this.collection.delete(tab.input.uri);
      }),
    );
    this.updateAll();
    // Tabs opened before the extension was (it starts after the window): the same, at once.
    for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) void this.ahead(tab);
  }

  /**
   * A dump's tab opens well before its document reaches the extension: in code-server, 1.6 s
   * later for a 65,530-line dump, whose text goes to the browser and back first. Its diagnostics
   * are made from the file at once; the document's own replace them when it arrives. Not for an
   * unsaved tab (the file is not what it shows) or a file past AHEAD_MAX_BYTES.
   */
  private async ahead(tab: vscode.Tab): Promise<void> {
    const input = tab.input;
    if (!(input instanceof vscode.TabInputText) || tab.isDirty) return;
    const { uri } = input;
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    const { files } = platform();
    const key = files.keyOf(uri);
    if (!DUMP_TAB_NAME.test(name) || key === undefined || documentOf(uri)) return;
    const t0 = performance.now();
    try {
      const size = (await files.stat(key))?.size;
      if (size === undefined || size > AHEAD_MAX_BYTES) return;
      const dump = await files.read(key);
      // The document came first after all (its diagnostics count), or the tab is gone.
      if (documentOf(uri) || !tabOpen(uri)) return dump.release();
      const diags = analysisDiagnostics(fileLines(uri), analyze(dump, analyzeOptions(uri)));
      dump.release();
      this.collection.set(uri, diags);
      log().info(`diagnostics ${name} from the file, before its document: ${diags.length} in ${since(t0)} ms`);
    } catch (err) {
      // The document's diagnostics follow, with any error they meet.
      log().warn(`diagnostics ahead of ${name}: ${(err as Error).message}`);
    }
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
      const diags = analysisDiagnostics(documentLines(doc), analysis);
      this.collection.set(doc.uri, diags);
      log().info(`diagnostics ${doc.uri.path.split('/').pop()} v${doc.version}: ${diags.length} in ${since(t0)} ms`);
    } catch (err) {
      log().error(`diagnostics failed for ${doc.uri.toString()}: ${(err as Error).stack ?? String(err)}`);
    }
  }
}
