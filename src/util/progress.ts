import * as vscode from 'vscode';

/** Runs `fn` under a cancellable progress notification; Cancel fires its AbortSignal. */
export async function withProgress<T>(title: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return fn(abort.signal);
  });
}
