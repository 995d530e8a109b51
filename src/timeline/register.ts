import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listLocalProcesses, listRemoteProcesses, validateHost, validatePid, type ProcessInfo } from '../capture';
import { pickHost, pickProcess, sshOptions, withProgress } from '../editor/captureCommands';
import { setting } from '../config';
import { Commands, Settings, Views } from '../constants';
import type { TimelineSource, WatchTarget, WebviewState } from '../protocol';
import { prometheusAuth } from '../fleet/credentials';
import { askTimelineArgs, prometheusSinceMs, type PrometheusTimelineArgs } from '../fleet/prometheusPrompt';
import { guarded } from '../editor/log';
import { CaptureStore } from './captureStore';
import { TimelinePanel, watchIntervalMs, watchLabel, type WatchListener } from './panel';

/** The status bar item that shows running watches, and the `vmaLens.watching` context key. */
class WatchStatusBar implements WatchListener, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vmaLens.watch', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'VMA Lens watch';
    this.item.command = Commands.revealTimeline;
  }

  changed(): void {
    const live = [...TimelinePanel.all].filter((p) => p.watching);
    void vscode.commands.executeCommand('setContext', 'vmaLens.watching', live.length > 0);
    if (!live.length) {
      this.item.hide();
      return;
    }
    if (live.length === 1) {
      const p = live[0];
      const st = p.watch!.state;
      const icon = st === 'paused' ? '$(debug-pause)' : st === 'retrying' ? '$(sync~spin)' : '$(pulse)';
      this.item.text = `${icon} ${vscode.l10n.t('VMA watch: {0}', p.source.kind === 'watch' ? watchLabel(p.source.target) : p.title)} · ${p.sampleCount}`;
      this.item.tooltip = `${p.watch!.status().message}\n${vscode.l10n.t('{0} samples. Click to show the timeline.', p.sampleCount)}`;
      this.item.backgroundColor = st === 'retrying' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      this.item.text = `$(pulse) ${vscode.l10n.t('{0} VMA watches', live.length)}`;
      this.item.tooltip = live.map((p) => `${p.title}: ${p.watch!.status().message}`).join('\n');
      this.item.backgroundColor = undefined;
    }
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** Where a new watch's folder goes: the setting, else the workspace, else the extension's storage. */
function captureBase(context: vscode.ExtensionContext): string {
  const configured = setting<string>(Settings.captureFolder)?.trim();
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (configured) {
    const expanded = configured.replace(/^~(?=$|\/)/, os.homedir());
    if (path.isAbsolute(expanded)) return expanded;
    if (ws?.scheme === 'file') return path.join(ws.fsPath, expanded);
  }
  if (ws?.scheme === 'file') return CaptureStore.workspaceBase(ws.fsPath);
  return path.join(context.globalStorageUri.fsPath, 'captures');
}

/** Arguments the watch command takes from code (tests, other commands): skips the pickers. */
interface WatchArgs {
  pid?: number | string;
  host?: string;
}

async function chooseTarget(args: WatchArgs | undefined): Promise<WatchTarget | undefined> {
  if (args?.pid !== undefined) {
    return { pid: validatePid(args.pid), ...(args.host ? { host: validateHost(args.host) } : {}) };
  }
  const where = await vscode.window.showQuickPick(
    [
      { label: `$(vm) ${vscode.l10n.t('This machine')}`, description: vscode.l10n.t('a local process'), remote: false },
      { label: `$(remote) ${vscode.l10n.t('SSH host…')}`, description: vscode.l10n.t('a process on another machine, over your ssh'), remote: true },
    ],
    { title: vscode.l10n.t('Watch Process'), placeHolder: vscode.l10n.t('Where does the process run?') },
  );
  if (!where) return undefined;
  const commandOf = (list: ProcessInfo[], pid: number) => list.find((p) => p.pid === pid)?.cmdline;
  if (!where.remote) {
    const list = await withProgress(vscode.l10n.t('Listing processes…'), (signal) => listLocalProcesses({ signal }));
    const pid = await pickProcess(list, vscode.l10n.t('on this machine'), vscode.l10n.t('Watch Process: pick a process on this machine'));
    if (pid === undefined) return undefined;
    const command = commandOf(list, pid);
    return { pid: validatePid(pid), ...(command ? { command } : {}) };
  }
  const opts = sshOptions();
  const host = await pickHost(opts.configFile, vscode.l10n.t('Watch Process: pick an SSH host'));
  if (!host) return undefined;
  validateHost(host);
  const list = await withProgress(vscode.l10n.t('Listing processes on {0}…', host), (signal) => listRemoteProcesses(host, { ...opts, signal }));
  const pid = await pickProcess(list, vscode.l10n.t('on {0}', host), vscode.l10n.t('Watch Process: pick a process on {0}', host));
  if (pid === undefined) return undefined;
  const command = commandOf(list, pid);
  return { host, pid: validatePid(pid), ...(command ? { command } : {}) };
}

export function registerTimeline(context: vscode.ExtensionContext): void {
  const statusBar = new WatchStatusBar();
  const extensionUri = context.extensionUri;
  context.subscriptions.push(statusBar);

  const openFolder = async (folder: string, reuse?: vscode.WebviewPanel): Promise<TimelinePanel> => {
    const source: TimelineSource = { kind: 'folder', folder };
    const panel = reuse ? TimelinePanel.revive(reuse, extensionUri, source, statusBar) : TimelinePanel.create(extensionUri, source, statusBar);
    void panel.loadFolder();
    return panel;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.openTimelineForFolder, async (uri?: vscode.Uri) => {
      let folder = uri instanceof vscode.Uri ? uri : undefined;
      if (!folder) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: vscode.l10n.t('Open Timeline'),
          title: vscode.l10n.t('Folder of maps dumps'),
          ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
        });
        folder = picked?.[0];
      }
      if (!folder) return;
      if (folder.scheme !== 'file') {
        void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: the timeline reads folders on this machine’s disk only.'));
        return;
      }
      // One panel per folder: bring an open one forward (and re-read it).
      const open = [...TimelinePanel.all].find((p) => p.source.kind === 'folder' && p.source.folder === folder!.fsPath);
      if (open) {
        open.reveal();
        void open.loadFolder();
        return;
      }
      await openFolder(folder.fsPath);
    }),

    vscode.commands.registerCommand(Commands.watchProcess, async (args?: WatchArgs) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(vscode.l10n.t('VMA Lens: watching a process runs programs (sh, ssh): trust this workspace first.'));
        return;
      }
      let target: WatchTarget | undefined;
      try {
        target = await chooseTarget(args);
      } catch (err) {
        void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: {0}', (err as Error).message));
        return;
      }
      if (!target) return;
      const running = [...TimelinePanel.all].find(
        (p) => p.watching && p.source.kind === 'watch' && p.source.target.pid === target!.pid && p.source.target.host === target!.host,
      );
      if (running) {
        running.reveal();
        return;
      }
      let store: CaptureStore;
      try {
        store = CaptureStore.create(captureBase(context), target, watchIntervalMs() / 1000);
      } catch (err) {
        void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: cannot create the capture folder: {0}', (err as Error).message));
        return;
      }
      const panel = TimelinePanel.create(extensionUri, { kind: 'watch', folder: store.folder, target }, statusBar);
      panel.startWatch(store);
    }),

    vscode.commands.registerCommand(Commands.stopWatch, async () => {
      const live = [...TimelinePanel.all].filter((p) => p.watching);
      if (live.length <= 1) {
        live[0]?.stopWatch();
        return;
      }
      const pick = await vscode.window.showQuickPick(
        live.map((p) => ({ label: p.title, description: p.watch!.status().message, panel: p })),
        { title: vscode.l10n.t('Stop which watch?') },
      );
      pick?.panel.stopWatch();
    }),

    vscode.commands.registerCommand(
      Commands.openPrometheusTimeline,
      guarded(vscode.l10n.t('Prometheus timeline'), async (args?: Partial<PrometheusTimelineArgs>) => {
        const a = await askTimelineArgs(args);
        if (!a) return;
        const open = [...TimelinePanel.all].find((p) => p.source.kind === 'prometheus' && p.source.url === a.url && p.source.selector === a.selector);
        open?.reveal();
        const panel = open ?? TimelinePanel.create(extensionUri, { kind: 'prometheus', ...a, sinceMs: prometheusSinceMs() }, statusBar);
        await panel.loadPrometheus(() => prometheusAuth(context.secrets, a.url));
      }),
    ),

    vscode.commands.registerCommand(Commands.revealTimeline, () => {
      const live = [...TimelinePanel.all];
      (live.find((p) => p.watching) ?? live[0])?.reveal();
    }),

    vscode.window.registerWebviewPanelSerializer(Views.timelinePanel, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: WebviewState | undefined) {
        const source = state?.source;
        if (source?.kind === 'folder' && typeof source.folder === 'string') {
          await openFolder(source.folder, panel);
        } else if (source?.kind === 'prometheus' && typeof source.url === 'string' && typeof source.selector === 'string' && Number(source.sinceMs) > 0) {
          const p = TimelinePanel.revive(panel, extensionUri, source, statusBar);
          void p.loadPrometheus(() => prometheusAuth(context.secrets, source.url));
        } else if (source?.kind === 'watch' && typeof source.folder === 'string' && Number.isInteger(source.target?.pid)) {
          // The watch ended with the window; its samples are in its folder. "Watch again" continues it.
          const p = TimelinePanel.revive(panel, extensionUri, source, statusBar);
          void p.loadFolder();
        } else {
          panel.dispose();
        }
      },
    }),

    { dispose: () => [...TimelinePanel.all].forEach((p) => p.dispose()) },
  );
}
