import type * as vscode from 'vscode';
import type { Dump } from './core/dump';
import type { WatchTarget } from './protocol';
import type { WatchIndex } from './timeline/watchIndex';

/**
 * What differs between the two extension hosts VMA Lens runs in: the Node host (desktop, remote,
 * code-server) and the browser's web worker (vscode.dev). One wiring (activate.ts) is given one
 * of these by its entry. HTTP is not here: `fetch` is global in both hosts.
 */

export interface ReadProgress {
  bytes: number;
  total: number;
}

export interface ReadOptions {
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Dump files, by a key: a path on disk in the Node host (as the timeline always kept them), a
 * URI string in the browser (any file system `workspace.fs` serves, virtual ones included).
 */
export interface DumpFiles {
  read(file: string, options?: ReadOptions): Promise<Dump>;
  /** The dump files of a folder, by name (core/timeline.ts DUMP_FILE_NAME). */
  list(folder: string): Promise<string[]>;
  /** Size and modification time (ms), when the file system tells. */
  stat(file: string): Promise<{ size: number; mtime: number } | undefined>;
  /** A watch folder's index.json, when it has a valid one. */
  readWatchIndex(folder: string): Promise<WatchIndex | undefined>;
}

/** The URI side of DumpFiles' keys. */
export interface FileKeys {
  /** The key of a URI, or undefined when this host cannot read it. */
  keyOf(uri: vscode.Uri): string | undefined;
  uriOf(key: string): vscode.Uri;
  /** The last segment of a key, for titles and messages. */
  baseName(key: string): string;
}

/** Where a watch writes its samples (CaptureStore in the Node host). */
export interface WatchStore {
  readonly folder: string;
  save(text: string, fileName: string, meta: { time?: string; vmaCount: number }): Promise<string>;
  end(reason: string): Promise<void>;
}

/** Arguments the watch command takes from code (tests, other commands): skips the pickers. */
export interface WatchArgs {
  pid?: number | string;
  host?: string;
}

/** Running programs: capture and watch, locally and over ssh. Only the Node host has them. */
export interface Processes {
  /** "Capture from Local Process…", "Capture from SSH Host…". */
  registerCommands(): vscode.Disposable[];
  chooseWatchTarget(args: WatchArgs | undefined): Promise<WatchTarget | undefined>;
  /** A new folder for a watch's samples (the setting, the workspace, else the extension's storage). */
  newStore(context: vscode.ExtensionContext, target: WatchTarget, intervalSeconds: number): WatchStore;
  reopenStore(folder: string, intervalSeconds: number): WatchStore | undefined;
  /** One capture of a process (`host` set: over ssh, with the ssh settings). */
  capture(target: WatchTarget, signal: AbortSignal): Promise<{ text: string; fileName: string; command: string }>;
}

export interface Platform {
  /** `node`: the Node extension host; `web`: the browser's web worker. */
  readonly host: 'node' | 'web';
  readonly files: DumpFiles & FileKeys;
  /** Absent in the browser: capture and watch are hidden there (`vmaLens.noProcesses`). */
  readonly processes?: Processes;
}

let current: Platform | undefined;

/** Set once by the entry point, before anything is registered. */
export function usePlatform(p: Platform): void {
  current = p;
}

export function platform(): Platform {
  if (!current) throw new Error('VMA Lens: no platform set (activate() sets it)');
  return current;
}
