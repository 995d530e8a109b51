import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { captureLocal, captureRemote } from './capture';
import { setting } from './config';
import { Settings } from './constants';
import { chooseWatchTarget, registerCaptureCommands, sshOptions } from './editor/captureCommands';
import { nodeDumpFiles } from './node/dumpFiles';
import type { Platform } from './platform';
import { CaptureStore } from './timeline/captureStore';

/**
 * The Node extension host's platform (desktop, Remote-SSH/WSL/containers, code-server): dumps
 * read from disk by path in chunks, processes captured with sh and ssh where the host runs.
 */

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

export const nodePlatform: Platform = {
  host: 'node',
  files: {
    ...nodeDumpFiles,
    // Only the local disk: other schemes (untitled, virtual file systems) go through documents.
    keyOf: (uri) => (uri.scheme === 'file' ? uri.fsPath : undefined),
    uriOf: (key) => vscode.Uri.file(key),
    baseName: (key) => path.basename(key),
  },
  processes: {
    registerCommands: registerCaptureCommands,
    chooseWatchTarget,
    newStore: (context, target, intervalSeconds) => CaptureStore.create(captureBase(context), target, intervalSeconds),
    reopenStore: (folder, intervalSeconds) => CaptureStore.reopen(folder, intervalSeconds),
    capture: (target, signal) =>
      target.host ? captureRemote(target.host, target.pid, { ...sshOptions(), signal }) : captureLocal(target.pid, { signal }),
  },
};
