import * as vscode from 'vscode';
import { CaptureError, validateHost, validatePid } from '../capture/names';
import { showError } from '../util/log';
import { openDumpText } from '../editor';
import { setting } from '../config';
import { Commands, SETTINGS_SECTION, Settings, Views } from '../constants';
import { fleetRows, sshHostOf, type FleetRow } from '../prometheus/fleet';
import type { PrometheusAuth } from '../prometheus/client';
import { isFleetWebviewMessage, type FleetUpdateMessage, type FleetWebviewMessage } from '../protocol';
import { platform } from '../platform';
import { Disposable } from '../util/disposable';
import { withProgress } from '../util/progress';
import { fleetHtml } from './fleetHtml';
import type { PrometheusTimelineArgs } from './prometheusPrompt';
import { requireTrust } from '../util/trust';

/**
 * "Show Fleet…": one panel per Prometheus URL with the processes nearest their limit, re-read
 * every `vmaLens.fleet.refreshSeconds`. Its timer and queries end with the panel.
 */
export class FleetPanel extends Disposable {
  static readonly all = new Map<string, FleetPanel>();
  private rows = new Map<string, FleetRow>();
  private last: FleetUpdateMessage | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private abort: AbortController | undefined;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly url: string,
    private readonly auth: () => Promise<PrometheusAuth | undefined>,
  ) {
    super();
    FleetPanel.all.set(url, this);
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    panel.webview.html = fleetHtml(platform().processes !== undefined, vscode.env.language);
    this.register(panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.fleetRefresh}`)) this.schedule();
      }),
    );
    this.schedule();
  }

  static show(url: string, auth: () => Promise<PrometheusAuth | undefined>): FleetPanel {
    const open = FleetPanel.all.get(url);
    if (open) {
      open.panel.reveal();
      void open.refresh();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(Views.fleetPanel, vscode.l10n.t('VMA fleet: {0}', new URL(url).host), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
      retainContextWhenHidden: false,
    });
    return new FleetPanel(panel, url, auth);
  }

  /** A fleet panel VS Code restored after a reload: the URL is the one in the setting now. */
  static revive(panel: vscode.WebviewPanel, url: string, auth: () => Promise<PrometheusAuth | undefined>): FleetPanel {
    FleetPanel.all.get(url)?.dispose();
    return new FleetPanel(panel, url, auth);
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    const sec = Math.max(5, Number(setting<number>(Settings.fleetRefresh)) || 60);
    this.timer = setInterval(() => void this.refresh(), sec * 1000);
  }

  private post(m: FleetUpdateMessage): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(m);
  }

  async refresh(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.post({ type: 'fleet', url: this.url, rows: [], total: 0, updated: Date.now(), busy: true });
    let m: FleetUpdateMessage;
    try {
      const auth = await this.auth();
      const fleet = await fleetRows(this.url, { signal: abort.signal, ...(auth ? { auth } : {}) });
      this.rows = new Map(fleet.rows.map((r) => [r.key, r]));
      m = { type: 'fleet', url: this.url, rows: fleet.rows, total: fleet.total, updated: Date.now() };
    } catch (err) {
      if (abort.signal.aborted) return;
      m = { type: 'fleet', url: this.url, rows: [], total: 0, updated: Date.now(), error: (err as Error).message };
    }
    this.last = m;
    this.post(m);
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isFleetWebviewMessage(raw)) return;
    const m: FleetWebviewMessage = raw;
    if (m.type === 'ready') {
      if (this.last) this.post(this.last);
      else void this.refresh();
      return;
    }
    if (m.type === 'refresh') return void this.refresh();
    const row = this.rows.get(m.key);
    if (!row) return;
    if (m.type === 'timeline') {
      const args: PrometheusTimelineArgs = { url: this.url, selector: row.selector };
      await vscode.commands.executeCommand(Commands.openPrometheusTimeline, args);
      return;
    }
    await this.capture(row);
  }

  /** Captures the row's process over SSH, its host from the instance (or the mapping setting). */
  private async capture(row: FleetRow): Promise<void> {
    if (!requireTrust(vscode.l10n.t('VMA Lens: capturing runs ssh: trust this workspace first.'))) return;
    try {
      const host = validateHost(sshHostOf(row.instance, setting<Record<string, string>>(Settings.fleetSshHosts)));
      const pid = validatePid(row.pid);
      const processes = platform().processes;
      if (!processes)
        throw new CaptureError('spawn', vscode.l10n.t('this VS Code runs in a browser, which cannot run ssh: capture from the desktop or a remote VS Code.'));
      const c = await withProgress(vscode.l10n.t('Capturing {0} {1} on {2}…', row.comm, pid, host), (signal) => processes.capture({ host, pid }, signal));
      await openDumpText(c.text, c.fileName);
    } catch (err) {
      showError(vscode.l10n.t('SSH capture failed'), err);
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (this.timer) clearInterval(this.timer);
    this.abort?.abort();
    FleetPanel.all.delete(this.url);
    super.dispose();
    this.panel.dispose();
  }
}
