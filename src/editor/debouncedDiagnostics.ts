import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';

/** Edits come in bursts: recompute a document's diagnostics this long after the last one. */
const DEBOUNCE_MS = 250;

/**
 * One diagnostic collection kept in step with the open documents it applies to: computed at once
 * on open, debounced on edits, dropped on close. The base of the dump and the config-file
 * diagnostics; a subclass says which documents it takes and how to compute them, and calls
 * `updateAll()` at the end of its constructor.
 */
export abstract class DebouncedDiagnostics extends Disposable {
  protected readonly collection: vscode.DiagnosticCollection;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(source: string) {
    super();
    this.collection = this.register(vscode.languages.createDiagnosticCollection(source));
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.opened(d)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this.register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d);
        this.collection.delete(d.uri);
        this.closed(d);
      }),
    );
    this.register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
  }

  /** Whether an edit of this document is worth recomputing. */
  protected abstract applies(doc: vscode.TextDocument): boolean;

  /** Recomputes the diagnostics of a document now. */
  abstract update(doc: vscode.TextDocument): void;

  protected opened(doc: vscode.TextDocument): void {
    this.update(doc);
  }

  /** After the document's diagnostics are dropped: forget what else was kept for it. */
  protected closed(_doc: vscode.TextDocument): void {}

  protected updateAll(): void {
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  private cancel(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!this.applies(doc)) return;
    this.cancel(doc);
    const key = doc.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.update(doc);
      }, DEBOUNCE_MS),
    );
  }
}
