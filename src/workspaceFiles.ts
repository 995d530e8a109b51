import * as vscode from 'vscode';
import { DumpParser } from './core/parse';
import { DumpReadError } from './core/readError';
import { DUMP_FILE_NAME } from './core/timeline';
import type { DumpFiles, FileKeys } from './platform';
import { INDEX_FILE, parseWatchIndex } from './timeline/watchIndex';

/**
 * Dump files through `workspace.fs`, keyed by URI string: any file system VS Code serves (a
 * remote's disk, github.dev's repository, other virtual ones). All the browser has; the Node host
 * uses it for what is not on its own disk.
 */

/** Parser feed size: progress and cancellation between chunks, the worker free in between. */
const CHUNK = 4 << 20;

function explain(uri: vscode.Uri, err: unknown): DumpReadError {
  const code = (err as vscode.FileSystemError).code;
  const what =
    code === 'FileNotFound'
      ? vscode.l10n.t('no such file')
      : code === 'NoPermissions'
        ? vscode.l10n.t('permission denied')
        : code === 'FileIsADirectory'
          ? vscode.l10n.t('is a directory')
          : (err as Error).message;
  return new DumpReadError(vscode.l10n.t('cannot read {0}: {1}', uri.path, what));
}

const yieldToHost = () => new Promise<void>((r) => setTimeout(r, 0));

export const workspaceFiles: DumpFiles & FileKeys = {
  async read(key, options = {}) {
    const uri = vscode.Uri.parse(key);
    let bytes: Uint8Array;
    try {
      const st = await vscode.workspace.fs.stat(uri);
      if (!(st.type & vscode.FileType.File)) throw new DumpReadError(vscode.l10n.t('cannot read {0}: {1}', uri.path, vscode.l10n.t('is not a file')));
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch (err) {
      throw err instanceof DumpReadError ? err : explain(uri, err);
    }
    const parser = new DumpParser(bytes.length);
    for (let at = 0; at < bytes.length; at += CHUNK) {
      if (options.signal?.aborted) throw new DumpReadError('cancelled');
      const end = Math.min(bytes.length, at + CHUNK);
      parser.push(bytes.subarray(at, end));
      options.onProgress?.({ bytes: end, total: bytes.length });
      if (end < bytes.length) await yieldToHost();
    }
    return parser.end();
  },

  async list(folder) {
    const uri = vscode.Uri.parse(folder);
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(uri);
    } catch (err) {
      throw explain(uri, err);
    }
    // A symbolic link to a file reads as File | SymbolicLink.
    return entries
      .filter(([name, type]) => DUMP_FILE_NAME.test(name) && type & vscode.FileType.File)
      .map(([name]) => vscode.Uri.joinPath(uri, name).toString());
  },

  async stat(key) {
    try {
      const st = await vscode.workspace.fs.stat(vscode.Uri.parse(key));
      return { size: st.size, mtime: st.mtime };
    } catch {
      return undefined;
    }
  },

  async readWatchIndex(folder) {
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(vscode.Uri.parse(folder), INDEX_FILE));
      return parseWatchIndex(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
  },

  // Any scheme with a file system provider (untitled documents have none: they are read as documents).
  keyOf: (uri) => (vscode.workspace.fs.isWritableFileSystem(uri.scheme) === undefined ? undefined : uri.toString()),
  uriOf: (key) => vscode.Uri.parse(key),
  baseName: (key) => {
    const p = vscode.Uri.parse(key).path.replace(/\/+$/, '');
    return p.slice(p.lastIndexOf('/') + 1) || key;
  },
};
