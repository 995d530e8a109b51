import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dump } from '../core/dump';
import { DumpParser } from '../core/parse';

/** Reading dumps from disk in chunks: the same parser as for strings, without holding the file. */

const CHUNK = 1 << 20;

export class DumpReadError extends Error {}

function explain(path: string, err: unknown): DumpReadError {
  const code = (err as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT' ? 'no such file' :
    code === 'EACCES' || code === 'EPERM' ? 'permission denied' :
    code === 'EISDIR' ? 'is a directory' :
    (err as Error).message;
  return new DumpReadError(`cannot read ${path}: ${what}`);
}

/** Streams a file (or descriptor 0 for "-") through the parser synchronously: fastest for the CLI. */
export function readDumpSync(path: string): Dump {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (err) {
    throw explain(path, err);
  }
  const parser = new DumpParser(fd === 0 ? 0 : fstatSync(fd).size);
  const buf = new Uint8Array(CHUNK);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((err as NodeJS.ErrnoException).code === 'EOF') break;
        throw explain(path, err);
      }
      if (n === 0) break;
      parser.push(buf.subarray(0, n));
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return parser.end();
}

export interface ReadProgress {
  bytes: number;
  total: number;
}

/** Streams a file asynchronously, reporting progress and yielding between chunks. */
export async function readDump(
  path: string,
  options: { onProgress?: (p: ReadProgress) => void; signal?: AbortSignal } = {},
): Promise<Dump> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw explain(path, err);
  }
  try {
    const total = (await handle.stat()).size;
    const parser = new DumpParser(total);
    const buf = new Uint8Array(total > 0 && total < CHUNK * 4 ? total + 1 : CHUNK * 4);
    let bytes = 0;
    for (;;) {
      if (options.signal?.aborted) throw new DumpReadError('cancelled');
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      parser.push(buf.subarray(0, bytesRead));
      bytes += bytesRead;
      options.onProgress?.({ bytes, total });
    }
    return parser.end();
  } catch (err) {
    throw err instanceof DumpReadError ? err : explain(path, err);
  } finally {
    await handle.close();
  }
}

const DUMP_FILE = /(^|[./_-])(maps|smaps|smaps_rollup|pmap)([._-]|$)|\.(maps|smaps|pmap|txt)$/;

/** Dump files of a folder, by name, for a timeline. */
export function listDumpFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw explain(dir, err);
  }
  return entries
    .filter((e) => e.isFile() && DUMP_FILE.test(e.name))
    .map((e) => join(dir, e.name));
}
