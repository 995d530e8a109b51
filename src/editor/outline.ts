import * as vscode from 'vscode';
import { KIND_INFO } from '../core/kinds';
import { formatBytes, formatCount } from '../core/format';
import type { Dump } from '../core/dump';
import type { DumpIndex } from './dumpIndex';

/** Groups with more VMAs than this list no children (a 65,530-VMA run would swamp the outline). */
const MAX_CHILDREN = 500;

function symbolKind(dump: Dump, i: number): vscode.SymbolKind {
  const name = dump.name(i) ?? '';
  const kind = dump.kindOf(i);
  if (/\.so\b/.test(name)) return vscode.SymbolKind.Module;
  if (name.startsWith('/')) return vscode.SymbolKind.File;
  if (kind === 'heap' || kind === 'stack' || kind === 'thread-stack') return vscode.SymbolKind.Struct;
  if (kind === 'arena' || kind === 'arena-reserve' || kind === 'allocator') return vscode.SymbolKind.Package;
  return vscode.SymbolKind.Array;
}

/** What a VMA belongs to: its file or pseudo-path, or for anonymous memory its kind. */
function groupKey(dump: Dump, i: number): string {
  const name = dump.name(i);
  return name ? `n:${name}` : `k:${dump.kindOf(i)}`;
}

/**
 * The outline: consecutive VMAs of one mapped object (a library's segments, a run of anonymous
 * memory of one kind) form a group, with one child per VMA.
 */
export function dumpSymbols(doc: vscode.TextDocument, dump: Dump): vscode.DocumentSymbol[] {
  const out: vscode.DocumentSymbol[] = [];
  const lineRange = (line: number) => doc.lineAt(Math.min(line - 1, doc.lineCount - 1)).range;
  let i = 0;
  while (i < dump.count) {
    const key = groupKey(dump, i);
    let j = i + 1;
    while (j < dump.count && groupKey(dump, j) === key) j++;
    let bytes = 0;
    for (let k = i; k < j; k++) bytes += dump.size(k);
    const name = dump.name(i);
    const label = name ? name.slice(name.lastIndexOf('/') + 1) || name : KIND_INFO[dump.kindOf(i)].label;
    // numa_maps and an old gdb give no sizes or permissions: show none rather than 0 B and ---p.
    const detail = `${formatCount(j - i)} VMA${j - i === 1 ? '' : 's'}${dump.sizesUnknown ? '' : `, ${formatBytes(bytes)}`}`;
    const range = new vscode.Range(lineRange(dump.line[i]).start, lineRange(dump.line[j - 1]).end);
    const group = new vscode.DocumentSymbol(label, detail, symbolKind(dump, i), range, lineRange(dump.line[i]));
    if (j - i > 1 && j - i <= MAX_CHILDREN) {
      for (let k = i; k < j; k++) {
        const r = lineRange(dump.line[k]);
        const v = [dump.permsUnknown ? '' : dump.permsText(k), dump.sizesUnknown ? dump.vma(k).startHex : formatBytes(dump.size(k))].filter(Boolean).join(' ');
        group.children.push(new vscode.DocumentSymbol(v, KIND_INFO[dump.kindOf(k)].label, vscode.SymbolKind.Field, r, r));
      }
    }
    out.push(group);
    i = j;
  }
  return out;
}

export class DumpSymbolProvider implements vscode.DocumentSymbolProvider {
  constructor(private readonly index: DumpIndex) {}

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    return dumpSymbols(doc, this.index.get(doc).dump);
  }
}
