import * as vscode from 'vscode';
import { DumpReadError } from '../core/readError';

/** The extension's log ("VMA Lens" in the Output view): timings and errors, never shown unasked. */
let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('VMA Lens', { log: true });
  return channel;
}

/** Milliseconds since `t0` (performance.now()), rounded to 0.1 ms. */
export function since(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

/**
 * Shows an error as one clear sentence (never a stack trace); the details go to the log.
 * `what` says what failed, e.g. "Capture failed".
 */
export function showError(what: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  // Errors meant for the user (a capture that failed, a file that cannot be read) are not bugs.
  if (isUserError(err)) log().warn(`${what}: ${message}`);
  else log().error(`${what}: ${err instanceof Error && err.stack ? err.stack : message}`);
  void vscode.window.showErrorMessage(vscode.l10n.t('{0}: {1}', what, message));
}

function isUserError(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'CaptureError' || name === 'PrometheusError' || err instanceof DumpReadError;
}

function isCancellation(err: unknown): boolean {
  const e = err as { kind?: string; message?: string };
  return e?.kind === 'cancelled' || e?.message === 'cancelled';
}

/** Wraps a command so that a failure becomes one error message (and a cancellation nothing). */
export function guarded<A extends unknown[]>(what: string, fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (isCancellation(err)) log().info(`${what}: cancelled`);
      else showError(what, err);
    }
  };
}
