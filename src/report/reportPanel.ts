import * as vscode from 'vscode';
import { analyzeOptions } from '../config';
import { Commands, Views } from '../constants';
import { analyze } from '../core/analyze';
import { diffDumps } from '../core/diff';
import type { Dump } from '../core/dump';
import { differentProcessWarning, processDifferences, processIdentity } from '../core/identity';
import { formatBytes } from '../core/format';
import type { Analysis } from '../core/types';
import { isDumpDocument, type DumpIndex } from '../editor';
import { fixCommandLine } from '../core/fixes';
import { guarded, log, since } from '../util/log';
import { platform } from '../platform';
import { newNonce } from '../util/webviewHtml';
import { analysisHtml, diffHtml, messageHtml, type CommandIds } from './reportHtml';

/** Commands the report's buttons run (the only ones its webview may run). */
const CMD: CommandIds = { openFix: Commands.openFix, copyCommand: Commands.copyCommand, revealLine: Commands.revealLine };

/** What a report shows, kept in the webview's state so that a reload can rebuild it. */
type ReportState = { kind: 'analysis'; uri: string } | { kind: 'compare'; a: string; b: string };

interface Analysed {
  dump: Dump;
  analysis: Analysis;
  /** Display name. */
  name: string;
  /** The document's URI when it came from an editor (its lines can be revealed). */
  docUri?: string;
  ms: number;
}

function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1) || uri.toString();
}

/**
 * A file read and analysed sooner than this shows no notification: it would only flash by, and
 * drawing it and its updates costs the window time on the way to the report.
 */
const PROGRESS_DELAY_MS = 400;

/**
 * Reads and analyses a dump file (`key` of the platform's files), with a cancellable progress
 * notification once it takes longer than PROGRESS_DELAY_MS.
 */
export async function analyzeFile(uri: vscode.Uri, key: string): Promise<Analysed | undefined> {
  const { files } = platform();
  const name = basename(uri);
  const abort = new AbortController();
  /** Set while the notification shows: the bytes read so far, and the end of the read. */
  let shown: { read(bytes: number, total: number): void; analysing(): void } | undefined;
  const t0 = performance.now();
  const work = (async (): Promise<Analysed> => {
    const dump = await files.read(key, { signal: abort.signal, onProgress: ({ bytes, total }) => shown?.read(bytes, total) });
    shown?.analysing();
    const analysis = analyze(dump, analyzeOptions(uri));
    const ms = since(t0);
    log().info(`analysed ${key} from disk: ${dump.count} VMAs, ${dump.lineCount} lines in ${ms} ms`);
    return { dump, analysis, name, ms };
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = await Promise.race([
    work.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), PROGRESS_DELAY_MS))),
  ]);
  clearTimeout(timer);
  if (!slow) return work;
  const size = (await files.stat(key))?.size;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: size ? vscode.l10n.t('Analysing {0} ({1})', name, formatBytes(size)) : vscode.l10n.t('Analysing {0}', name),
      cancellable: true,
    },
    (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      shown = {
        read: (bytes, total) => {
          const pct = total ? Math.floor((bytes / total) * 90) : 0;
          if (pct > reported) {
            progress.report({ increment: pct - reported, message: vscode.l10n.t('{0} read', formatBytes(bytes)) });
            reported = pct;
          }
        },
        analysing: () => progress.report({ increment: 100 - reported, message: vscode.l10n.t('analysing') }),
      };
      return work;
    },
  );
}

function fromDocument(index: DumpIndex, doc: vscode.TextDocument): Analysed {
  const e = index.get(doc);
  return { dump: e.dump, analysis: e.analysis, name: basename(doc.uri), docUri: doc.uri.toString(), ms: e.ms };
}

/**
 * The analysis of a URI: its open document when there is one, else the file read from disk (how
 * files over 50 MB, which VS Code does not hand to extensions, are analysed).
 */
async function analyzeUri(index: DumpIndex, uri: vscode.Uri): Promise<Analysed | undefined> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc && (isDumpDocument(doc) || doc.isUntitled)) return fromDocument(index, doc);
  const key = platform().files.keyOf(uri);
  // The platform's reader streams files of any size; VS Code's documents stop at 50 MB.
  if (key !== undefined) return analyzeFile(uri, key);
  return fromDocument(index, await vscode.workspace.openTextDocument(uri));
}

/** The report panels: one per source, revealed again when asked twice; restored after a reload. */
export class ReportPanels {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly index: DumpIndex) {}

  private panel(key: string, title: string): vscode.WebviewPanel {
    const existing = this.panels.get(key);
    if (existing) {
      existing.title = title;
      existing.reveal(existing.viewColumn ?? vscode.ViewColumn.Beside);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(Views.reportPanel, title, vscode.ViewColumn.Beside, this.options());
    this.adopt(key, panel);
    return panel;
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, enableCommandUris: [CMD.openFix, CMD.copyCommand, CMD.revealLine], localResourceRoots: [], enableFindWidget: true };
  }

  private adopt(key: string, panel: vscode.WebviewPanel): void {
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
  }

  showAnalysis(r: Analysed, uri: string, panel?: vscode.WebviewPanel): void {
    const title = vscode.l10n.t('Analysis: {0}', r.name);
    const p = panel ?? this.panel(`a:${uri}`, title);
    p.title = title;
    p.webview.html = analysisHtml(r.analysis, {
      nonce: newNonce(),
      cspSource: p.webview.cspSource,
      lang: vscode.env.language,
      subject: r.name,
      state: { kind: 'analysis', uri } satisfies ReportState,
      cmd: CMD,
      docUri: r.docUri,
      commandLine: fixCommandLine,
      elapsedMs: r.ms,
    });
  }

  showDiff(a: Analysed, b: Analysed, uris: [string, string], panel?: vscode.WebviewPanel): void {
    const title = vscode.l10n.t('Compare: {0} → {1}', a.name, b.name);
    const p = panel ?? this.panel(`c:${uris.join('|')}`, title);
    p.title = title;
    const warning = differentProcessWarning(processDifferences(processIdentity(a.dump), processIdentity(b.dump)));
    p.webview.html = diffHtml(diffDumps(a.dump, b.dump), {
      ...(warning ? { warning } : {}),
      nonce: newNonce(),
      cspSource: p.webview.cspSource,
      lang: vscode.env.language,
      subject: title,
      state: { kind: 'compare', a: uris[0], b: uris[1] } satisfies ReportState,
      nameA: a.name,
      nameB: b.name,
      a: a.analysis,
      b: b.analysis,
    });
  }

  /** "Analyze Dump": the given file, else the active dump editor, else a file picked from disk. */
  async analyze(arg?: vscode.Uri): Promise<void> {
    let uri = arg instanceof vscode.Uri ? arg : undefined;
    const active = vscode.window.activeTextEditor?.document;
    if (!uri && active && isDumpDocument(active)) uri = active.uri;
    if (!uri) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: vscode.l10n.t('Analyze'),
        title: vscode.l10n.t('Analyze a maps, smaps or pmap dump'),
        filters: dumpFilters(),
      });
      uri = picked?.[0];
      if (!uri) return;
    }
    const r = await analyzeUri(this.index, uri);
    if (r) this.showAnalysis(r, uri.toString());
  }

  /** "Compare Snapshots…": two open dumps, or two files picked from disk; older first. */
  async compare(): Promise<void> {
    const uris = await pickTwoDumps();
    if (!uris) return;
    const [a, b] = await Promise.all(uris.map((u) => analyzeUri(this.index, u)));
    if (!a || !b) return;
    const older = (x: Analysed) => Date.parse(x.analysis.header.time ?? '') || 0;
    const [first, second, ua, ub] = older(a) <= older(b) ? [a, b, uris[0], uris[1]] : [b, a, uris[1], uris[0]];
    this.showDiff(first, second, [ua.toString(), ub.toString()]);
  }

  /** Rebuilds a report after a window reload from the state its page saved. */
  async revive(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    panel.webview.options = this.options();
    const s = state as ReportState | undefined;
    try {
      if (s?.kind === 'analysis') {
        const uri = vscode.Uri.parse(s.uri);
        this.adopt(`a:${s.uri}`, panel);
        const r = await analyzeUri(this.index, uri);
        if (r) return this.showAnalysis(r, s.uri, panel);
      } else if (s?.kind === 'compare') {
        this.adopt(`c:${s.a}|${s.b}`, panel);
        const [a, b] = await Promise.all([s.a, s.b].map((u) => analyzeUri(this.index, vscode.Uri.parse(u))));
        if (a && b) return this.showDiff(a, b, [s.a, s.b], panel);
      }
    } catch (err) {
      log().warn(`cannot restore report: ${(err as Error).message}`);
    }
    panel.webview.html = messageHtml(
      { nonce: newNonce(), cspSource: panel.webview.cspSource, lang: vscode.env.language, subject: '' },
      vscode.l10n.t('Report not available'),
      vscode.l10n.t('The dump this report was made from is no longer available. Run "VMA Lens: Analyze Dump" again.'),
    );
  }
}

/** Dumps open in editor tabs, once each, in tab order (workspace.textDocuments also keeps closed ones). */
function openDumps(): vscode.Uri[] {
  const docs = new Map(vscode.workspace.textDocuments.filter(isDumpDocument).map((d) => [d.uri.toString(), d.uri]));
  const seen = new Map<string, vscode.Uri>();
  for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
    const key = tab.input instanceof vscode.TabInputText ? tab.input.uri.toString() : undefined;
    if (key && docs.has(key) && !seen.has(key)) seen.set(key, docs.get(key)!);
  }
  return [...seen.values()];
}

interface DumpPick extends vscode.QuickPickItem {
  uris?: vscode.Uri[];
}

const dumpFilters = () => ({ [vscode.l10n.t('Dumps')]: ['maps', 'smaps', 'pmap', 'txt'], [vscode.l10n.t('All files')]: ['*'] });

/** One dump: an open one from a list, or a file from disk ("Choose a file…", or straight away when none is open). */
async function pickOneDump(title: string, open: vscode.Uri[]): Promise<vscode.Uri | undefined> {
  if (open.length) {
    const items: DumpPick[] = [
      ...open.map((u) => ({ label: basename(u), description: vscode.workspace.asRelativePath(u), uris: [u] })),
      { label: `$(folder-opened) ${vscode.l10n.t('Choose a file…')}`, alwaysShow: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('An open dump, or a file from disk') });
    if (!picked) return undefined;
    if (picked.uris) return picked.uris[0];
  }
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Compare'), title, filters: dumpFilters() });
  return files?.[0];
}

/**
 * The two dumps to compare: with exactly two open, those two (the first row, Enter takes it);
 * else A, then B, each from the open dumps first, then from disk.
 */
async function pickTwoDumps(): Promise<vscode.Uri[] | undefined> {
  const open = openDumps();
  if (open.length === 2) {
    const pair: DumpPick = {
      label: vscode.l10n.t('{0} and {1}', basename(open[0]), basename(open[1])),
      description: vscode.l10n.t('the two open dumps'),
      uris: open,
    };
    const picked = await vscode.window.showQuickPick<DumpPick>([pair, { label: `$(list-selection) ${vscode.l10n.t('Other dumps…')}` }], {
      title: vscode.l10n.t('Compare Snapshots'),
    });
    if (!picked) return undefined;
    if (picked.uris) return picked.uris;
  }
  const a = await pickOneDump(vscode.l10n.t('Compare Snapshots (1/2): the first dump, A'), open);
  if (!a) return undefined;
  const b = await pickOneDump(
    vscode.l10n.t('Compare Snapshots (2/2): the dump to compare {0} with, B', basename(a)),
    open.filter((u) => u.toString() !== a.toString()),
  );
  if (!b) return undefined;
  if (b.toString() === a.toString()) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} was picked twice: pick two different dumps to compare.', basename(a)));
    return undefined;
  }
  return [a, b];
}

async function revealLine(uri: string, line: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
  const pos = new vscode.Position(Math.max(0, Number(line) - 1), 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.One });
}

export function registerReports(index: DumpIndex): vscode.Disposable[] {
  const reports = new ReportPanels(index);
  return [
    vscode.commands.registerCommand(
      Commands.analyze,
      guarded(vscode.l10n.t('Analysis failed'), (uri?: vscode.Uri) => reports.analyze(uri)),
    ),
    vscode.commands.registerCommand(
      Commands.compareSnapshots,
      guarded(vscode.l10n.t('Compare failed'), () => reports.compare()),
    ),
    vscode.commands.registerCommand(
      Commands.revealLine,
      guarded(vscode.l10n.t('Cannot show the line'), (uri: string, line: number) => revealLine(uri, line)),
    ),
    vscode.window.registerWebviewPanelSerializer(Views.reportPanel, {
      deserializeWebviewPanel: (panel, state) => reports.revive(panel, state),
    }),
  ];
}
