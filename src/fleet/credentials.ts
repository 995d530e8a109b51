import * as vscode from 'vscode';
import { apiBase, type PrometheusAuth } from '../prometheus/client';

/**
 * Prometheus credentials in VS Code's SecretStorage (the OS keychain where there is one), one
 * entry per server origin; never in settings.
 */
const keyOf = (url: string) => `vmaLens.prometheus.auth:${new URL(apiBase(url)).origin}`;

export async function prometheusAuth(secrets: vscode.SecretStorage, url: string): Promise<PrometheusAuth | undefined> {
  const raw = await secrets.get(keyOf(url));
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as PrometheusAuth;
    return typeof v === 'object' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** "Set Prometheus Credentials…": a bearer token, a user and password, or none. */
export async function setPrometheusCredentials(secrets: vscode.SecretStorage, url: string): Promise<void> {
  const origin = new URL(apiBase(url)).origin;
  const pick = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('Bearer token'), how: 'bearer' as const },
      { label: vscode.l10n.t('User and password (basic auth)'), how: 'basic' as const },
      { label: vscode.l10n.t('No credentials (remove stored ones)'), how: 'none' as const },
    ],
    { title: vscode.l10n.t('Credentials for {0}', origin), placeHolder: vscode.l10n.t('Stored in VS Code’s secret storage, never in settings') },
  );
  if (!pick) return;
  if (pick.how === 'none') {
    await secrets.delete(keyOf(url));
    void vscode.window.showInformationMessage(vscode.l10n.t('VMA Lens: no credentials for {0}.', origin));
    return;
  }
  let auth: PrometheusAuth;
  if (pick.how === 'bearer') {
    const token = await vscode.window.showInputBox({ title: vscode.l10n.t('Bearer token for {0}', origin), password: true, ignoreFocusOut: true });
    if (!token) return;
    auth = { bearerToken: token };
  } else {
    const username = await vscode.window.showInputBox({ title: vscode.l10n.t('User for {0}', origin), ignoreFocusOut: true });
    if (!username) return;
    const password = await vscode.window.showInputBox({
      title: vscode.l10n.t('Password of {0} at {1}', username, origin),
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return;
    auth = { username, password };
  }
  await secrets.store(keyOf(url), JSON.stringify(auth));
  void vscode.window.showInformationMessage(vscode.l10n.t('VMA Lens: credentials for {0} stored in the secret storage.', origin));
}
