import * as vscode from 'vscode';
import { setting } from '../config';
import { SETTINGS_SECTION, Settings } from '../constants';
import { apiBase, parseDuration } from '../prometheus/client';

/** What the Prometheus commands ask: the server (kept in a setting) and the process's selector. */

/** Arguments of the Prometheus timeline command, as a fleet row passes them. */
export interface PrometheusTimelineArgs {
  url: string;
  selector: string;
}

/** The Prometheus URL from the setting; asked for (and saved to the setting) when it is empty. */
export async function prometheusUrl(): Promise<string | undefined> {
  const configured = setting<string>(Settings.prometheusUrl)?.trim();
  if (configured) return apiBase(configured);
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Prometheus server'),
    prompt: vscode.l10n.t('Its URL is saved in the setting vmaLens.prometheus.url (credentials go to the secret storage: Set Prometheus Credentials…)'),
    placeHolder: 'http://prometheus:9090',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        apiBase(v.trim());
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (!typed) return undefined;
  await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(Settings.prometheusUrl, typed.trim(), vscode.ConfigurationTarget.Global);
  return apiBase(typed.trim());
}

/** How far back a Prometheus timeline reads (setting vmaLens.prometheus.since, 6 h by default). */
export function prometheusSinceMs(): number {
  return parseDuration(setting<string>(Settings.prometheusSince)?.trim() ?? '') ?? 6 * 3600_000;
}

/** URL and selector for a Prometheus timeline: given by a fleet row, or asked. */
export async function askTimelineArgs(args?: Partial<PrometheusTimelineArgs>): Promise<PrometheusTimelineArgs | undefined> {
  const url = args?.url ? apiBase(args.url) : await prometheusUrl();
  if (!url) return undefined;
  const selector =
    typeof args?.selector === 'string' && args.selector.trim()
      ? args.selector.trim()
      : (
          await vscode.window.showInputBox({
            title: vscode.l10n.t('Open Timeline from Prometheus'),
            prompt: vscode.l10n.t('A PromQL selector of one process (Show Fleet… lists them)'),
            value: 'process_memory_map_areas{instance="",pid=""}',
            ignoreFocusOut: true,
            validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('a selector, e.g. {0}', 'process_memory_map_areas{instance="db1:9100",pid="4242"}')),
          })
        )?.trim();
  return selector ? { url, selector } : undefined;
}
