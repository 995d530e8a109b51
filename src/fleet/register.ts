import * as vscode from 'vscode';
import { setting } from '../config';
import { Commands, Settings, Views } from '../constants';
import { guarded } from '../util/log';
import { apiBase } from '../prometheus/client';
import { prometheusAuth, setPrometheusCredentials } from './credentials';
import { FleetPanel } from './fleetPanel';
import { prometheusUrl } from './prometheusPrompt';

/** "Show Fleet…" and "Set Prometheus Credentials…" (the Prometheus timeline is the timeline's command). */
export function registerFleet(context: vscode.ExtensionContext): void {
  const auth = (url: string) => () => prometheusAuth(context.secrets, url);
  context.subscriptions.push(
    vscode.commands.registerCommand(
      Commands.showFleet,
      guarded(vscode.l10n.t('Show Fleet'), async (args?: { url?: string }) => {
        const url = args?.url ? apiBase(args.url) : await prometheusUrl();
        if (url) FleetPanel.show(url, auth(url));
      }),
    ),
    vscode.commands.registerCommand(
      Commands.setPrometheusCredentials,
      guarded(vscode.l10n.t('Set Prometheus Credentials'), async (url?: string) => {
        const target = typeof url === 'string' ? url : await prometheusUrl();
        if (target) await setPrometheusCredentials(context.secrets, target);
      }),
    ),
    vscode.window.registerWebviewPanelSerializer(Views.fleetPanel, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        let url: string | undefined;
        try {
          url = setting<string>(Settings.prometheusUrl)?.trim() ? apiBase(setting<string>(Settings.prometheusUrl).trim()) : undefined;
        } catch {
          url = undefined;
        }
        if (url) FleetPanel.revive(panel, url, auth(url));
        else panel.dispose();
      },
    }),
    { dispose: () => [...FleetPanel.all.values()].forEach((p) => p.dispose()) },
  );
}
