import * as vscode from 'vscode';
import type { DumpIndex } from './dumpIndex';
import { hoverAt } from './hoverText';
import { walkthroughStepDone } from '../walkthrough/progress';
import { log, since } from '../util/log';

/** Hovers from the document's index (built once per version); each answer is logged with its time. */
export class DumpHoverProvider implements vscode.HoverProvider {
  constructor(private readonly index: DumpIndex) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const t0 = performance.now();
    const entry = this.index.get(doc);
    const text = doc.lineAt(pos.line).text;
    const r = hoverAt(entry, pos.line + 1, text, pos.character);
    log().info(`hover ${pos.line + 1}:${pos.character + 1} in ${since(t0)} ms`);
    if (!r) return undefined;
    walkthroughStepDone('hoverShown');
    const md = new vscode.MarkdownString(r.markdown);
    return new vscode.Hover(md, new vscode.Range(pos.line, r.start, pos.line, r.end));
  }
}
