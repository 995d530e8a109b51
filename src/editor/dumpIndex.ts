import * as vscode from 'vscode';
import { analyze } from '../core/analyze';
import type { Dump } from '../core/dump';
import { parseDump } from '../core/parse';
import type { Analysis } from '../core/types';
import { analyzeOptions } from '../config';
import { DUMP_LANGUAGES } from '../constants';
import { Disposable } from '../util/disposable';
import { pmapColumnsOf } from './hoverText';
import { log, since } from '../util/log';

/** A dump document parsed and analysed once per version: hovers, diagnostics, outline and status share it. */
export interface IndexedDump {
  uri: string;
  version: number;
  dump: Dump;
  analysis: Analysis;
  pmapColumns?: string[];
  /** Parse + analyse time in ms. */
  ms: number;
}

export function isDumpDocument(doc: vscode.TextDocument): boolean {
  return DUMP_LANGUAGES.includes(doc.languageId);
}

export class DumpIndex extends Disposable {
  private readonly cache = new Map<string, IndexedDump>();
  private readonly changed = this.register(new vscode.EventEmitter<IndexedDump>());
  /** Fires when a document gets a new index (a new version, or new settings). */
  readonly onDidIndex = this.changed.event;

  constructor() {
    super();
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())));
  }

  /** The index of the document's current version, built now if needed. */
  get(doc: vscode.TextDocument): IndexedDump {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit;
    const t0 = performance.now();
    const text = doc.getText();
    const tText = since(t0);
    const dump = parseDump(text);
    const tParse = since(t0);
    const analysis = analyze(dump, analyzeOptions(doc.uri));
    const entry: IndexedDump = { uri: key, version: doc.version, dump, analysis, pmapColumns: pmapColumnsOf(text), ms: 0 };
    entry.ms = since(t0);
    this.cache.set(key, entry);
    log().info(
      `indexed ${doc.uri.path.split('/').pop()} v${doc.version}: ${dump.count} VMAs in ${entry.ms} ms (text ${tText}, parse ${Math.round((tParse - tText) * 10) / 10}, analyse ${Math.round((entry.ms - tParse) * 10) / 10})`,
    );
    this.changed.fire(entry);
    return entry;
  }

  /** The cached index, if it is for the current version; never builds one. */
  peek(doc: vscode.TextDocument): IndexedDump | undefined {
    const hit = this.cache.get(doc.uri.toString());
    return hit && hit.version === doc.version ? hit : undefined;
  }

  /** Drops everything (the analysis settings changed). */
  clear(): void {
    this.cache.clear();
  }
}
