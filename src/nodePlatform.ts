import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { captureLocal, captureRemote } from './capture';
import { setting } from './config';
import { Settings } from './constants';
import { chooseWatchTarget, registerCaptureCommands, sshOptions } from './captureUi/captureCommands';
import { nodeDumpFiles } from './node/dumpFiles';
import type { Platform } from './platform';
import { CaptureStore } from './timeline/captureStore';
import { workspaceFiles } from './workspaceFiles';

/**
 * The Node extension host's platform (desktop, Remote-SSH/WSL/containers, code-server): dumps
 * read from disk by path in chunks (other file systems through workspace.fs), processes captured
 * with sh and ssh where the host runs.
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

/**
 * Keys of this disk are absolute paths (read in chunks, devices and FIFOs refused); anything else
 * is a URI string of another file system (a virtual one, or the remote's when VS Code runs the
 * extension on the UI side), read through workspace.fs.
 */
const onDisk = (key: string) => path.isAbsolute(key);

export const nodePlatform: Platform = {
  host: 'node',
  files: {
    read: (key, options) => (onDisk(key) ? nodeDumpFiles.read(key, options) : workspaceFiles.read(key, options)),
    list: (folder) => (onDisk(folder) ? nodeDumpFiles.list(folder) : workspaceFiles.list(folder)),
    stat: (key) => (onDisk(key) ? nodeDumpFiles.stat(key) : workspaceFiles.stat(key)),
    readWatchIndex: (folder) => (onDisk(folder) ? nodeDumpFiles.readWatchIndex(folder) : workspaceFiles.readWatchIndex(folder)),
    keyOf: (uri) => (uri.scheme === 'file' ? uri.fsPath : workspaceFiles.keyOf(uri)),
    uriOf: (key) => (onDisk(key) ? vscode.Uri.file(key) : workspaceFiles.uriOf(key)),
    baseName: (key) => (onDisk(key) ? path.basename(key) : workspaceFiles.baseName(key)),
  },
  processes: {
    registerCommands: registerCaptureCommands,
    chooseWatchTarget,
    newStore: (context, target, intervalSeconds) => CaptureStore.create(captureBase(context), target, intervalSeconds),
    reopenStore: (folder, intervalSeconds) => CaptureStore.reopen(folder, intervalSeconds),
    capture: (target, signal) => (target.host ? captureRemote(target.host, target.pid, { ...sshOptions(), signal }) : captureLocal(target.pid, { signal })),
  },
};
