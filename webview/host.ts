/**
 * The webview's link to the host and the state its widgets share: the VS Code API, `post`, the
 * state kept across reloads and the samples model.
 */
import type { SkippedFile, TimelineOrigin, WatchStatusMessage, WebviewMessage, WebviewState } from '../src/protocol';
import { TimelineModel } from './model';

const vscode = acquireVsCodeApi<WebviewState>();
export const post = (m: WebviewMessage): void => vscode.postMessage(m);

/** What the panel kept before a reload (VS Code restores it). */
export const state: WebviewState = vscode.getState() ?? {};

export const model = new TimelineModel();

/** The panel's state, read and changed by the widgets. */
export const view = {
  origin: state.source as TimelineOrigin | undefined,
  /** Picked sample sources: one (the current) or two (a comparison, A before B). */
  picked: state.picked ?? [],
  page: state.page,
  skipped: [] as SkippedFile[],
  loading: undefined as { done: number; total: number; finished: boolean } | undefined,
  watch: undefined as WatchStatusMessage['status'] | undefined,
  /** Once the user has picked, the strip no longer follows the newest sample by itself. */
  userPickedStrip: (state.picked ?? []).length > 0,
};

export function save(): void {
  vscode.setState({ ...state, source: view.origin, title: document.title, picked: view.picked, page: view.page });
}

/** Set by main.ts: one render per frame for whatever changed. */
export const render = { schedule: (): void => undefined };
