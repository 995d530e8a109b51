import * as vscode from 'vscode';
import { Commands, Views } from '../constants';
import { platform, type WatchArgs, type WatchStore } from '../platform';
import type { TimelineOrigin, WatchTarget, WebviewState } from '../protocol';
import { prometheusAuth } from '../fleet/credentials';
import { askTimelineArgs, prometheusSinceMs, type PrometheusTimelineArgs } from '../fleet/prometheusPrompt';
import { guarded } from '../util/log';
import { TimelinePanel, watchIntervalMs, watchLabel, type WatchListener } from './panel';
import { requireTrust } from '../util/trust';

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

export function registerTimeline(context: vscode.ExtensionContext): void {
  const statusBar = new WatchStatusBar();
  const extensionUri = context.extensionUri;
  context.subscriptions.push(statusBar);

  const openFolder = async (folder: string, reuse?: vscode.WebviewPanel): Promise<TimelinePanel> => {
    const source: TimelineOrigin = { kind: 'folder', folder };
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
      const key = platform().files.keyOf(folder);
      if (key === undefined) {
        void vscode.window.showErrorMessage(vscode.l10n.t('VMA Lens: the timeline cannot read folders of this kind ({0}:).', folder.scheme));
        return;
      }
      // One panel per folder: bring an open one forward (and re-read it).
      const open = [...TimelinePanel.all].find((p) => p.source.kind === 'folder' && p.source.folder === key);
      if (open) {
        open.reveal();
        void open.loadFolder();
        return;
      }
      await openFolder(key);
    }),

    vscode.commands.registerCommand(Commands.watchProcess, async (args?: WatchArgs) => {
      const processes = platform().processes;
      // Hidden where no process can run (the browser); said, not broken, when called anyway.
      if (!processes) {
        void vscode.window.showWarningMessage(
          vscode.l10n.t('VMA Lens: watching a process needs the desktop or a remote VS Code; the browser cannot run programs.'),
        );
        return;
      }
      if (!requireTrust(vscode.l10n.t('VMA Lens: watching a process runs programs (sh, ssh): trust this workspace first.'))) return;
      let target: WatchTarget | undefined;
      try {
        target = await processes.chooseWatchTarget(args);
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
      let store: WatchStore;
      try {
        store = processes.newStore(context, target, watchIntervalMs() / 1000);
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
