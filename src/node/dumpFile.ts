import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dump } from '../core/dump';
import { DumpParser } from '../core/parse';

/** Reading dumps from disk in chunks: the same parser as for strings, without holding the file. */

/**
 * The largest read of readDump(): a file up to this size is read with one await, whole, then
 * parsed (each awaited read waits its turn behind a busy extension host's event loop); a larger
 * one in reads of this size, so its bytes are never all held twice.
 */
const ASYNC_READ_MAX = 64 << 20;

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

/**
 * Opened without blocking: a FIFO would otherwise wait for a writer before the type check could
 * refuse it. O_NONBLOCK does nothing to the reads of a regular file.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Only regular files are dumps (/proc/PID/maps is one): a device (/dev/zero, /dev/urandom) or a
 * FIFO given as a path would be read forever. Standard input may be a pipe or a terminal, never
 * a device that does not end.
 */
function refuseNonRegular(path: string, st: Stats, stdin: boolean): void {
  if (st.isFile()) return;
  if (stdin && (st.isFIFO() || st.isSocket() || isatty(0))) return;
  const what = st.isDirectory() ? 'is a directory' : st.isFIFO() ? 'is a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'is a device' : 'is not a regular file';
  throw new DumpReadError(`cannot read ${stdin ? 'standard input' : path}: ${what}; give a dump file or pipe one in`);
}

/** Streams a file (or descriptor 0 for "-") through the parser synchronously: fastest for the CLI. */
export function readDumpSync(path: string): Dump {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw explain(path, err);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
    refuseNonRegular(path, st, fd === 0);
  } catch (err) {
    if (fd !== 0) closeSync(fd);
    throw err;
  }
  // A file that has given all its stated size in a short read is at its end: no read to hear it
  // (one call in two for a small dump). /proc files state no size and read on to the empty read.
  const size = fd === 0 ? 0 : st.size;
  const parser = new DumpParser(size);
  let total = 0;
  try {
    for (;;) {
      let n: number;
      // Straight into the parser's window: no copy of each megabyte, and no buffer per file (a
      // fresh zeroed megabyte for each of a timeline's thousands of small files was half its time).
      const buf = parser.readInto();
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((err as NodeJS.ErrnoException).code === 'EOF') break;
        throw explain(path, err);
      }
      if (n === 0) break;
      parser.push(buf.subarray(0, n));
      total += n;
      if (size > 0 && total >= size && n < buf.length) break;
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

/** Reads a file asynchronously (one read up to ASYNC_READ_MAX), reporting progress between reads. */
export async function readDump(
  path: string,
  options: { onProgress?: (p: ReadProgress) => void; signal?: AbortSignal } = {},
): Promise<Dump> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw explain(path, err);
  }
  try {
    const st = await handle.stat();
    refuseNonRegular(path, st, false);
    const total = st.size;
    const parser = new DumpParser(total);
    // One byte over the stated size, so a whole file's read ends short and a grown one goes on;
    // /proc files state no size and give a page or so a read.
    const buf = new Uint8Array(total === 0 ? 1 << 20 : Math.min(total + 1, ASYNC_READ_MAX));
    let bytes = 0;
    for (;;) {
      if (options.signal?.aborted) throw new DumpReadError('cancelled');
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      parser.push(buf.subarray(0, bytesRead));
      bytes += bytesRead;
      options.onProgress?.({ bytes, total });
      // All the stated size in a short read: the end, without another await to hear it.
      if (total > 0 && bytes >= total && bytesRead < buf.length) break;
    }
    return parser.end();
  } catch (err) {
    throw err instanceof DumpReadError ? err : explain(path, err);
  } finally {
    await handle.close();
  }
}

const DUMP_FILE = /(^|[./_-])(maps|smaps|smaps_rollup|pmap)([._-]|$)|\.(maps|smaps|pmap|txt)$/;

/** Whether a symbolic link leads to a regular file (a dump kept elsewhere and linked in). */
function linksToFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // a dangling or unreadable link: listed, so the reader says why it is skipped
  }
}

/** Dump files of a folder, by name, for a timeline (symbolic links to dumps included). */
export function listDumpFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw explain(dir, err);
  }
  return entries
    .filter((e) => DUMP_FILE.test(e.name) && (e.isFile() || (e.isSymbolicLink() && linksToFile(join(dir, e.name)))))
    .map((e) => join(dir, e.name));
}
