import * as vscode from 'vscode';
import { CaptureError } from '../capture/names';
import { analyzeOptions, setting } from '../config';
import { Commands, Settings, Views } from '../constants';
import { analyze, DEFAULT_MAX_MAP_COUNT } from '../core/analyze';
import { diffDumps } from '../core/diff';
import { formatCount } from '../core/format';
import { differentProcessWarning, processDifferences, processIdentity } from '../core/identity';
import { parseDump } from '../core/parse';
import { toColumns } from '../core/sampleColumns';
import { sampleOf, type TimelineSample } from '../core/timeline';
import { PrometheusError, type PrometheusAuth } from '../prometheus/client';
import { describeSeries, prometheusTimeline } from '../prometheus/timeline';
import { isWebviewMessage, MessageType, type HostMessage, type SkippedFile, type TimelineOrigin, type WatchTarget, type WebviewMessage } from '../protocol';
import { platform, type WatchStore } from '../platform';
import { Disposable } from '../util/disposable';
import { DumpCache } from './dumpCache';
import { loadFolder } from './folder';
import { timelineHtml, webviewOptions } from './html';
import { stripOf } from './strip';
import { WatchSession, type WatchStatus } from './watch';
import { requireTrust } from '../util/trust';

/** Folders with at least this many dumps load under a progress notification. */
const PROGRESS_FILES = 50;
/** The watch interval from the settings, in ms (at least 0.2 s, as the setting's schema says). */
export function watchIntervalMs(): number {
  const sec = Number(setting<number>(Settings.watchInterval));
  return Math.max(0.2, Number.isFinite(sec) && sec > 0 ? sec : 10) * 1000;
}

/** The interval a folder timeline assumes for samples without times (the setting), or undefined. */
function folderIntervalMs(): number | undefined {
  const sec = Number(setting<number>(Settings.timelineInterval));
  return Number.isFinite(sec) && sec > 0 ? sec * 1000 : undefined;
}

export function describeTarget(t: WatchTarget): string {
  return t.host ? vscode.l10n.t('process {0} on {1}', t.pid, t.host) : vscode.l10n.t('process {0}', t.pid);
}

function programOf(t: WatchTarget): string {
  const exe = (t.command ?? '').split(' ')[0] ?? '';
  return exe.slice(exe.lastIndexOf('/') + 1);
}

/** `mysqld 1234@db7`: the program, pid and host of a watch (its title and status bar). */
export function watchLabel(target: WatchTarget): string {
  const prog = programOf(target);
  return `${prog ? `${prog} ` : ''}${target.pid}${target.host ? `@${target.host}` : ''}`;
}

export function titleOf(source: TimelineOrigin): string {
  if (source.kind === 'folder') return vscode.l10n.t('VMA timeline: {0}', platform().files.baseName(source.folder));
  if (source.kind === 'prometheus') return vscode.l10n.t('VMA timeline: {0}', source.selector.replace(/^process_memory_map_areas/, ''));
  return vscode.l10n.t('VMA watch: {0}', watchLabel(source.target));
}

/** Something that wants to hear about watches starting, changing and ending (the status bar). */
export interface WatchListener {
  changed(panel: TimelinePanel): void;
}

/**
 * One timeline panel: its source (a folder, or a live watch that writes into a folder), the
 * samples it has sent, and the webview. Everything it starts (folder load, watch timers, the
 * capture in flight) ends when the panel is closed.
 */
export class TimelinePanel extends Disposable {
  static readonly all = new Set<TimelinePanel>();

  private readonly samples = new Map<string, TimelineSample>();
  private skipped: SkippedFile[] = [];
  private progress: { done: number; total: number; finished: boolean } | undefined;
  private ready = false;
  private session: WatchSession | undefined;
  private store: WatchStore | undefined;
  private loadAbort: AbortController | undefined;
  private readonly dumps = new DumpCache(platform().files, analyzeOptions);
  private lastStatus: WatchStatus | undefined;
  private notices: HostMessage[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    public source: TimelineOrigin,
    private readonly listener: WatchListener,
  ) {
    super();
    TimelinePanel.all.add(this);
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = timelineHtml(panel.webview, extensionUri, titleOf(source));
    panel.title = titleOf(source);
    this.register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.register(
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down (no retainContextWhenHidden); it says Ready again when shown.
        if (!panel.visible) this.ready = false;
      }),
    );
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  /** A new panel beside the active editor. */
  static create(extensionUri: vscode.Uri, source: TimelineOrigin, listener: WatchListener): TimelinePanel {
    const panel = vscode.window.createWebviewPanel(
      Views.timelinePanel,
      titleOf(source),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      webviewOptions(extensionUri),
    );
    return new TimelinePanel(panel, extensionUri, source, listener);
  }

  /** A panel VS Code restored after a reload (see the serializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: TimelineOrigin, listener: WatchListener): TimelinePanel {
    return new TimelinePanel(panel, extensionUri, source, listener);
  }

  get title(): string {
    return titleOf(this.source);
  }

  get watch(): WatchSession | undefined {
    return this.session;
  }

  get watching(): boolean {
    return !!this.session?.active;
  }

  get sampleCount(): number {
    return this.samples.size;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  private post(m: HostMessage): void {
    if (!this.ready || this.isDisposed) return;
    try {
      void this.panel.webview.postMessage(m);
    } catch {
      // The webview went away between the check and the call (the panel is closing).
    }
  }

  private sendInit(): void {
    void this.panel.webview.postMessage({
      type: MessageType.Init,
      title: this.title,
      source: this.source,
      samples: toColumns([...this.samples.values()]),
      // Watch samples carry capture times; a folder's may need the user's word.
      ...(this.source.kind === 'watch'
        ? { intervalMs: watchIntervalMs(), intervalFrom: vscode.l10n.t('the watch interval') }
        : { intervalMs: folderIntervalMs(), intervalFrom: vscode.l10n.t('the setting {0}', `vmaLens.${Settings.timelineInterval}`) }),
      ...(this.source.kind === 'prometheus' ? { timesFrom: 'Prometheus' } : {}),
      skipped: this.skipped,
      ...(this.progress && !this.progress.finished ? { loading: this.progress } : {}),
      ...(this.lastStatus ? { watch: this.lastStatus } : {}),
    } satisfies HostMessage);
    for (const n of this.notices) void this.panel.webview.postMessage(n);
  }

  private addSamples(samples: TimelineSample[]): void {
    for (const s of samples) this.samples.set(s.source, s);
    this.post({ type: MessageType.SamplesAdded, samples: toColumns(samples) });
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    const m: HostMessage = { type: MessageType.Notice, level, message };
    this.notices = [m];
    this.post(m);
  }

  // --- folder ---------------------------------------------------------------------------------

  /** (Re)reads the source folder. */
  async loadFolder(): Promise<void> {
    if (this.source.kind === 'prometheus') return;
    const folder = this.source.folder;
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.samples.clear();
    this.skipped = [];
    this.dumps.clear();
    this.progress = { done: 0, total: 0, finished: false };
    const run = (report?: (done: number, total: number) => void) =>
      loadFolder(platform().files, folder, {
        analyzeOptions: analyzeOptions(),
        signal: abort.signal,
        onBatch: (s) => this.addSamples(s),
        onProgress: (done, total, skipped) => {
          this.progress = { done, total, finished: false };
          this.skipped = skipped;
          this.post({ type: MessageType.LoadProgress, progress: this.progress, skipped });
          report?.(done, total);
        },
      });
    let result;
    try {
      let files = 0;
      try {
        files = (await vscode.workspace.fs.readDirectory(platform().files.uriOf(folder))).length;
      } catch {
        // loadFolder says why
      }
      if (files >= PROGRESS_FILES) {
        result = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: vscode.l10n.t('Reading dumps in {0}', platform().files.baseName(folder)),
            cancellable: true,
          },
          (progress, token) => {
            token.onCancellationRequested(() => abort.abort());
            let last = 0;
            return run((done, total) => {
              progress.report({ message: vscode.l10n.t('{0} of {1}', done, total), increment: total ? ((done - last) / total) * 100 : 0 });
              last = done;
            });
          },
        );
      } else {
        result = await run();
      }
    } catch (err) {
      this.progress = { done: 0, total: 0, finished: true };
      this.post({ type: MessageType.LoadProgress, progress: this.progress, skipped: this.skipped });
      this.notice('error', vscode.l10n.t('Cannot read {0}: {1}', folder, (err as Error).message));
      return;
    }
    if (this.loadAbort !== abort || this.isDisposed) return;
    this.progress = { done: result.files, total: result.files, finished: true };
    this.skipped = result.skipped;
    this.post({ type: MessageType.LoadProgress, progress: this.progress, skipped: result.skipped });
    if (result.cancelled) this.notice('warning', vscode.l10n.t('Loading was cancelled: {0} of {1} dumps read.', result.samples.length, result.files));
    else if (result.files === 0) this.notice('warning', vscode.l10n.t('No dump files in {0} (maps, smaps, *.maps, *.smaps, *.pmap, *.txt).', folder));
    else if (result.processes.length > 1)
      this.notice(
        'warning',
        vscode.l10n.t(
          'These dumps come from {0} different processes ({1}): the timeline mixes them.',
          result.processes.length,
          result.processes.slice(0, 4).join(', ') + (result.processes.length > 4 ? ', …' : ''),
        ),
      );
    if (this.source.kind === 'watch' && !this.session) {
      this.lastStatus = {
        state: 'stopped',
        message: vscode.l10n.t(
          result.samples.length === 1 ? 'Not watching. {0} saved sample of {1}.' : 'Not watching. {0} saved samples of {1}.',
          result.samples.length,
          describeTarget(this.source.target),
        ),
        intervalMs: watchIntervalMs(),
        canRestart: true,
      };
      this.post({ type: MessageType.WatchStatus, status: this.lastStatus });
    }
  }

  // --- Prometheus -----------------------------------------------------------------------------

  /** (Re)reads the process's history from Prometheus (the source's URL, selector and range). */
  async loadPrometheus(auth: () => Promise<PrometheusAuth | undefined>): Promise<void> {
    if (this.source.kind !== 'prometheus') return;
    const { url, selector, sinceMs } = this.source;
    this.samples.clear();
    this.progress = { done: 0, total: 1, finished: false };
    this.post({ type: MessageType.LoadProgress, progress: this.progress, skipped: [] });
    try {
      const credentials = await auth();
      const result = await prometheusTimeline({ url, selector, sinceMs, ...(credentials ? { auth: credentials } : {}) });
      if (this.isDisposed) return;
      this.addSamples(result.samples);
      if (result.limitSource === 'default')
        this.notice(
          'warning',
          vscode.l10n.t(
            'Prometheus has no process_memory_map_areas_limit for {0}: the kernel default {1} is drawn.',
            describeSeries(result.series),
            formatCount(DEFAULT_MAX_MAP_COUNT),
          ),
        );
    } catch (err) {
      const message = (err as Error).message;
      this.notice('error', message);
      if (err instanceof PrometheusError && err.kind === 'auth') {
        void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: {0}', message), vscode.l10n.t('Set Credentials…')).then((pick) => {
          if (pick) void vscode.commands.executeCommand(Commands.setPrometheusCredentials, url);
        });
      }
    } finally {
      this.progress = { done: 1, total: 1, finished: true };
      this.post({ type: MessageType.LoadProgress, progress: this.progress, skipped: [] });
    }
  }

  // --- watch ----------------------------------------------------------------------------------

  /** Starts sampling `target`, into `store` (a new watch folder, or the old one to continue). */
  startWatch(store: WatchStore): void {
    if (this.source.kind !== 'watch') return;
    this.session?.dispose();
    this.store = store;
    const target = this.source.target;
    const intervalMs = watchIntervalMs();
    const session = new WatchSession({
      intervalMs,
      what: describeTarget(target),
      sample: (signal) => this.sampleOnce(target, store, signal),
      onStatus: (status) => {
        this.lastStatus = status;
        this.post({ type: MessageType.WatchStatus, status });
        this.listener.changed(this);
      },
    });
    this.session = session;
    void session.ended.then((state) => {
      const reason = state === 'stopped' ? 'stopped' : `${state}: ${session.status().message}`;
      void store.end(reason).catch(() => undefined);
      if (this.session === session && state !== 'stopped') {
        const msg = session.status().message;
        if (state === 'exited') void vscode.window.showInformationMessage(vscode.l10n.t('VMA Lens: {0}', msg));
        else void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: the watch of {0} failed: {1}', describeTarget(target), msg));
      }
      this.listener.changed(this);
    });
    session.start();
  }

  private async sampleOnce(target: WatchTarget, store: WatchStore, signal: AbortSignal): Promise<void> {
    const processes = platform().processes;
    if (!processes) throw new CaptureError('spawn', vscode.l10n.t('This VS Code runs in a browser: it cannot run programs to capture a process.'));
    const cap = await processes.capture(target, signal);
    const dump = parseDump(cap.text);
    // A zombie (exited, not yet reaped) still has /proc/PID but no mappings.
    if (dump.count === 0) throw new CaptureError('no-process', vscode.l10n.t('Process {0} has no mappings left (it has exited).', target.pid));
    const analysis = analyze(dump, analyzeOptions());
    if (signal.aborted) return;
    if (!target.command && cap.command) {
      target.command = cap.command;
      this.panel.title = this.title;
    }
    const file = await store.save(cap.text, cap.fileName, { time: analysis.header.time, vmaCount: analysis.vmaCount });
    this.dumps.put(file, { dump, analysis });
    this.addSamples([sampleOf(file, analysis, { process: processIdentity(dump) })]);
  }

  private watchControl(action: 'pause' | 'resume' | 'stop' | 'restart'): void {
    const s = this.session;
    switch (action) {
      case 'pause':
        s?.pause();
        break;
      case 'resume':
        s?.resume();
        break;
      case 'stop':
        s?.stop();
        break;
      case 'restart': {
        if (this.source.kind !== 'watch' || s?.active) return;
        // Watching runs programs (sh, ssh), as Watch Process does: only in a trusted workspace.
        const notice = (m: string) => this.notice('error', m);
        if (!requireTrust(vscode.l10n.t('Watching runs programs (sh, ssh): trust this workspace first (Workspaces: Manage Workspace Trust).'), notice)) return;
        const processes = platform().processes;
        if (!processes) {
          notice(vscode.l10n.t('Watching runs programs: this VS Code runs in a browser and cannot. Open the folder in the desktop or a remote VS Code.'));
          return;
        }
        const store = this.store ?? processes.reopenStore(this.source.folder, watchIntervalMs() / 1000);
        if (!store) {
          this.notice('error', vscode.l10n.t('Cannot continue the watch: {0} has no readable index.json.', this.source.folder));
          return;
        }
        this.startWatch(store);
        break;
      }
    }
  }

  stopWatch(): void {
    this.session?.stop();
  }

  // --- webview messages -----------------------------------------------------------------------

  private onMessage(raw: unknown): void {
    if (!isWebviewMessage(raw)) return;
    const m: WebviewMessage = raw;
    switch (m.type) {
      case MessageType.Ready:
        this.ready = true;
        this.sendInit();
        break;
      case MessageType.OpenSample:
        void this.openSample(m.source, m.line);
        break;
      case MessageType.RequestDiff:
        void this.diff(m.id, m.a, m.b);
        break;
      case MessageType.RequestStrip:
        void this.strip(m.id, m.source);
        break;
      case MessageType.WatchControl:
        this.watchControl(m.action);
        break;
      case MessageType.WatchInterval:
        this.session?.setInterval(m.seconds * 1000);
        break;
    }
  }

  /** Opens a sample the panel knows (never an arbitrary path from the webview) beside the panel. */
  private async openSample(source: string, line?: number): Promise<void> {
    if (!this.samples.has(source)) return;
    if (this.source.kind === 'prometheus') {
      this.notice('info', vscode.l10n.t('A sample from Prometheus is a count, not a dump: capture the process over SSH (Show Fleet…) to read its maps.'));
      return;
    }
    const pos = line ? new vscode.Position(line - 1, 0) : undefined;
    try {
      const editor = await vscode.window.showTextDocument(platform().files.uriOf(source), {
        viewColumn: this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One,
        preserveFocus: true,
        preview: true,
        ...(pos ? { selection: new vscode.Range(pos, pos) } : {}),
      });
      if (pos) editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (err) {
      this.notice('error', vscode.l10n.t('Cannot open {0}: {1}', source, (err as Error).message));
    }
  }

  private async diff(id: number, a: string, b: string): Promise<void> {
    if (!this.samples.has(a) || !this.samples.has(b)) return;
    if (this.source.kind === 'prometheus') {
      this.post({ type: MessageType.DiffResult, id, a, b, error: vscode.l10n.t('Samples from Prometheus are counts only: there are no VMAs to compare.') });
      return;
    }
    try {
      const [la, lb] = await Promise.all([this.dumps.get(a), this.dumps.get(b)]);
      const warning = differentProcessWarning(processDifferences(processIdentity(la.dump), processIdentity(lb.dump)));
      this.post({ type: MessageType.DiffResult, id, a, b, diff: diffDumps(la.dump, lb.dump), ...(warning ? { warning } : {}) });
    } catch (err) {
      this.post({ type: MessageType.DiffResult, id, a, b, error: (err as Error).message });
    }
  }

  private async strip(id: number, source: string): Promise<void> {
    const s = this.samples.get(source);
    if (!s) return;
    if (this.source.kind === 'prometheus') {
      this.post({ type: MessageType.StripResult, id, source, error: vscode.l10n.t('Samples from Prometheus are counts only: no address space to draw.') });
      return;
    }
    try {
      const { dump, analysis } = await this.dumps.get(source);
      this.post({ type: MessageType.StripResult, id, source, strip: stripOf(dump, source, s.label, analysis.addressBits) });
    } catch (err) {
      this.post({ type: MessageType.StripResult, id, source, error: (err as Error).message });
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    // The webview is gone (or going): nothing may be posted to it from here on.
    this.ready = false;
    TimelinePanel.all.delete(this);
    this.loadAbort?.abort();
    this.session?.dispose();
    this.dumps.close();
    super.dispose();
    this.panel.dispose();
    this.listener.changed(this);
  }
}
