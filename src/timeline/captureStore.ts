import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchTarget } from '../protocol';
import { INDEX_FILE, parseWatchIndex, type WatchIndex } from './watchIndex';

/**
 * Where a live watch keeps its samples: one folder per watch, one dump file per sample
 * (`00001-mariadbd-1234-20261122T012728Z.maps`, so name order is sample order) and `index.json`
 * describing the watch. The folder is an ordinary folder of dumps: "Open Timeline for Folder"
 * shows it again later, and the index lets the panel offer to watch the same process again.
 */

export { INDEX_FILE, type WatchIndex } from './watchIndex';

/** Reads a watch folder's index; undefined when there is none or it is not ours. */
export function readWatchIndex(folder: string): WatchIndex | undefined {
  try {
    return parseWatchIndex(readFileSync(join(folder, INDEX_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

const safe = (s: string) => s.replace(/[^\w.@-]+/g, '_').slice(0, 60);

/** `<host>-<pid>-<program>-<UTC stamp>`: a folder name for a new watch. */
export function watchFolderName(target: WatchTarget, now = new Date()): string {
  const exe = (target.command ?? '').split(' ')[0] ?? '';
  const prog = exe.slice(exe.lastIndexOf('/') + 1);
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return [safe(target.host ?? 'local'), String(target.pid), prog ? safe(prog) : '', stamp].filter(Boolean).join('-');
}

/** The extension's folder in a workspace. */
const WORKSPACE_FOLDER = '.vma-lens';

export class CaptureStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly folder: string,
    readonly index: WatchIndex,
  ) {}

  /**
   * The workspace's own folder for captures (`.vma-lens/captures`), in a `.vma-lens/` that
   * ignores itself in git (`.gitignore` with `*`), so watching leaves `git status` clean.
   */
  static workspaceBase(workspace: string): string {
    const own = join(workspace, WORKSPACE_FOLDER);
    mkdirSync(own, { recursive: true });
    const ignore = join(own, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '# Written by VMA Lens: its captures are not part of the project.\n*\n');
    return join(own, 'captures');
  }

  /** A new folder under `base` for a watch of `target`. */
  static create(base: string, target: WatchTarget, intervalSeconds: number, now = new Date()): CaptureStore {
    let folder = join(base, watchFolderName(target, now));
    for (let k = 2; ; k++) {
      try {
        mkdirSync(base, { recursive: true });
        mkdirSync(folder);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || k > 99) throw err;
        folder = join(base, `${watchFolderName(target, now)}-${k}`);
      }
    }
    return new CaptureStore(folder, {
      format: 'vma-lens-watch',
      version: 1,
      target,
      intervalSeconds,
      started: now.toISOString(),
      samples: [],
    });
  }

  /** Continues an existing watch folder (watching the same process again). */
  static reopen(folder: string, intervalSeconds: number): CaptureStore | undefined {
    const index = readWatchIndex(folder);
    if (!index) return undefined;
    delete index.ended;
    delete index.endReason;
    index.intervalSeconds = intervalSeconds;
    return new CaptureStore(folder, index);
  }

  get count(): number {
    return this.index.samples.length;
  }

  /** Writes one sample and updates the index; returns the sample's path. Writes are serialised. */
  save(text: string, fileName: string, meta: { time?: string; vmaCount: number }): Promise<string> {
    const seq = String(this.index.samples.length + 1).padStart(5, '0');
    const base = `${seq}-${fileName.replace(/[^\w.@-]+/g, '_')}`;
    const name = /\.(maps|smaps|pmap)$/.test(base) ? base : `${base}.maps`;
    const path = join(this.folder, name);
    this.index.samples.push({ file: name, ...(meta.time ? { time: meta.time } : {}), vmaCount: meta.vmaCount });
    const done = this.writing.then(async () => {
      await writeFile(path, text);
      await this.writeIndex();
    });
    this.writing = done.catch(() => undefined);
    return done.then(() => path);
  }

  /** Records why the watch ended. */
  end(reason: string, now = new Date()): Promise<void> {
    this.index.ended = now.toISOString();
    this.index.endReason = reason;
    const done = this.writing.then(() => this.writeIndex());
    this.writing = done.catch(() => undefined);
    return done;
  }

  private async writeIndex(): Promise<void> {
    const file = join(this.folder, INDEX_FILE);
    await writeFile(`${file}.tmp`, JSON.stringify(this.index, null, 1) + '\n');
    await rename(`${file}.tmp`, file);
  }
}
