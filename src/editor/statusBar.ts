import * as vscode from 'vscode';
import { Commands } from '../constants';
import { CONFIDENCE_LABEL } from '../core/allocator';
import { formatCount, formatPercent } from '../core/format';
import type { Analysis } from '../core/types';
import { Disposable } from '../util/disposable';
import { DumpIndex, isDumpDocument } from './dumpIndex';

/** `N VMAs / limit (p%) · allocator`, for the text shown in the status bar. */
export function statusText(a: Analysis): string {
  const { name, confidence } = a.allocator;
  const alloc =
    confidence === 'unknown'
      ? vscode.l10n.t('allocator?')
      : name + (confidence === 'suspected' ? '?' : confidence === 'static' ? vscode.l10n.t(' (static)') : '');
  return vscode.l10n.t('{0} VMAs / {1} ({2}) · {3}', formatCount(a.vmaCount), formatCount(a.maxMapCount), formatPercent(a.vmaCount / a.maxMapCount), alloc);
}

/** The summary of the active dump in the status bar; a click opens the analysis report. */
export class DumpStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('vmaLens.summary', vscode.StatusBarAlignment.Left, 50));

  constructor(private readonly index: DumpIndex) {
    super();
    this.item.name = 'VMA Lens';
    this.item.command = Commands.analyze;
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.refresh()));
    this.register(
      index.onDidIndex((e) => {
        if (vscode.window.activeTextEditor?.document.uri.toString() === e.uri) this.refresh();
      }),
    );
    this.refresh();
  }

  refresh(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !isDumpDocument(doc)) {
      this.item.hide();
      return;
    }
    const { analysis: a } = this.index.get(doc);
    const limit = a.findings.find((f) => f.id === 'vma-limit');
    this.item.text = `$(layers) ${statusText(a)}`;
    this.item.backgroundColor =
      limit?.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : limit?.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    const source = { header: vscode.l10n.t('from the capture header'), option: vscode.l10n.t('set'), default: vscode.l10n.t('default (no header)') }[
      a.maxMapCountSource
    ];
    this.item.tooltip = new vscode.MarkdownString(
      [
        vscode.l10n.t('**VMA Lens** — {0} VMAs of vm.max_map_count {1} ({2})', formatCount(a.vmaCount), formatCount(a.maxMapCount), source),
        '',
        vscode.l10n.t('Allocator: **{0}**, {1} — {2}', a.allocator.name, CONFIDENCE_LABEL[a.allocator.confidence], a.allocator.evidence),
        '',
        vscode.l10n.t(
          a.findings.length === 1 ? '{0} finding. Click for the analysis report.' : '{0} findings. Click for the analysis report.',
          a.findings.length,
        ),
      ].join('\n'),
    );
    this.item.show();
  }
}
