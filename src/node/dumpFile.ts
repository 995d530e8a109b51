import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dump } from '../core/dump';
import { WINDOW } from '../core/kernelContract';
import { t } from '../core/l10n';
import { DumpParser } from '../core/parse';
import { DumpReadError } from '../core/readError';
import { DUMP_FILE_NAME } from '../core/timeline';
import type { ReadOptions } from '../platform';

/** Reading dumps from disk in chunks: the same parser as for strings, without holding the file. */

/**
 * readDump() gives the event loop its turn (progress, cancellation) after this many bytes read and
 * parsed, about 20 ms of work: each awaited read of its own waited behind a busy extension host's
 * other tasks (36-181 ms over a 49 MB file read 4 MiB an await).
 */
const YIELD_BYTES = 16 << 20;

export { DumpReadError };

function explain(path: string, err: unknown): DumpReadError {
  const code = (err as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT'
      ? t('no such file')
      : code === 'EACCES' || code === 'EPERM'
        ? t('permission denied')
        : code === 'EISDIR'
          ? t('is a directory')
          : (err as Error).message;
  return new DumpReadError(t('cannot read {0}: {1}', path, what));
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
  const what = st.isDirectory()
    ? t('is a directory')
    : st.isFIFO()
      ? t('is a FIFO')
      : st.isCharacterDevice() || st.isBlockDevice()
        ? t('is a device')
        : t('is not a regular file');
  throw new DumpReadError(t('cannot read {0}: {1}; give a dump file or pipe one in', stdin ? t('standard input') : path, what));
}

/**
 * Streams a file (or descriptor 0 for "-") through the parser synchronously: fastest for the CLI.
 * `stat` gets the file's stats as read before the parse (a timeline wants its time; no second stat).
 */
export function readDumpSync(path: string, stat?: (st: Stats) => void): Dump {
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
    stat?.(st);
  } catch (err) {
    if (fd !== 0) closeSync(fd);
    throw err;
  }
  const size = fd === 0 ? 0 : st.size;
  const parser = new DumpParser(size);
  let total = 0;
  try {
    for (;;) {
      const n = readWindow(fd, parser, path);
      total += n;
      if (n === 0 || atEnd(size, total, n)) break;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return parser.end();
}

/**
 * One read straight into the parser's window, pushed to it: no copy of each megabyte, and no
 * buffer per file (a fresh zeroed megabyte for each of a timeline's thousands of small files was
 * half its time). Returns the bytes read, 0 at the end.
 */
function readWindow(fd: number, parser: DumpParser, path: string): number {
  const buf = parser.readInto();
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EOF') return 0;
      throw explain(path, err);
    }
    if (n > 0) parser.push(buf.subarray(0, n));
    return n;
  }
}

/**
 * A file that has given all its stated size in a short read is at its end: no read to hear it
 * (one call in two for a small dump). /proc files state no size and read on to the empty read.
 */
const atEnd = (size: number, total: number, n: number) => size > 0 && total >= size && n < WINDOW;

/**
 * Reads a file for the extension host as readDumpSync does, a window at a time straight into the
 * parser, and lets the event loop run (progress, cancellation) every YIELD_BYTES: a local dump
 * file reads from the page cache in well under a millisecond a window.
 */
export async function readDump(path: string, options: ReadOptions = {}): Promise<Dump> {
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
    let bytes = 0;
    let sinceYield = 0;
    for (;;) {
      if (options.signal?.aborted) throw new DumpReadError('cancelled');
      const n = readWindow(handle.fd, parser, path);
      bytes += n;
      sinceYield += n;
      if (n === 0 || atEnd(total, bytes, n)) break;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        options.onProgress?.({ bytes, total });
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    options.onProgress?.({ bytes, total });
    return parser.end();
  } catch (err) {
    throw err instanceof DumpReadError ? err : explain(path, err);
  } finally {
    await handle.close();
  }
}

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
    .filter((e) => DUMP_FILE_NAME.test(e.name) && (e.isFile() || (e.isSymbolicLink() && linksToFile(join(dir, e.name)))))
    .map((e) => join(dir, e.name));
}
