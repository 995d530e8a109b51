import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Dump, DumpTransfer } from '../core/dump';
import { DumpParser } from '../core/parse';
import { readDumpSync } from './dumpFile';

/**
 * Big maps files parse on two cores: this thread reads the first half while a worker thread
 * (the same script, started with workerData) parses the second, from the first line after the
 * middle that starts a VMA. Below PARALLEL_MIN_BYTES a worker's start-up costs more than it saves.
 */

export const PARALLEL_MIN_BYTES = 8 << 20;
const CHUNK = 1 << 20;
const JOB = 'vma-lens-parse-range';

interface Job {
  job: typeof JOB;
  path: string;
  start: number;
  end: number;
}

function parseRange(fd: number, start: number, end: number): Dump {
  const parser = new DumpParser(end - start);
  const buf = new Uint8Array(CHUNK);
  for (let pos = start; pos < end; ) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, end - pos), pos);
    if (n === 0) break;
    parser.push(buf.subarray(0, n));
    pos += n;
  }
  return parser.end();
}

/** In a worker started by readDumpParallel: parse the range and post it back. Returns false elsewhere. */
export function runParseWorker(): boolean {
  const job = workerData as Job | undefined;
  if (isMainThread || job?.job !== JOB) return false;
  const fd = openSync(job.path, 'r');
  try {
    const d = parseRange(fd, job.start, job.end);
    parentPort!.postMessage(d.toTransfer(), d.transferables());
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Offset of the first line after `from` that starts with a lower-case hex digit (a maps line), or -1. */
function splitPoint(fd: number, from: number, size: number): number {
  const buf = new Uint8Array(64 * 1024);
  const n = readSync(fd, buf, 0, buf.length, from);
  for (let i = 0; i + 1 < n; i++) {
    const c = buf[i + 1];
    if (buf[i] === 10 && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return from + i + 1 < size ? from + i + 1 : -1;
  }
  return -1;
}

/** Reads a dump file like readDumpSync, on two threads when it is big. `script` is the running bundle. */
export async function readDumpParallel(path: string, script: string): Promise<Dump> {
  if (path === '-') return readDumpSync(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return readDumpSync(path); // reports the error in words
  }
  try {
    const size = fstatSync(fd).size;
    const mid = size >= PARALLEL_MIN_BYTES ? splitPoint(fd, size >> 1, size) : -1;
    if (mid < 0) return readDumpSync(path);
    const worker = new Worker(script, { workerData: { job: JOB, path, start: mid, end: size } satisfies Job });
    const second = new Promise<Dump>((resolve, reject) => {
      worker.once('message', (t: DumpTransfer) => resolve(Dump.fromTransfer(t)));
      worker.once('error', reject);
    });
    const first = parseRange(fd, 0, mid);
    if (first.format !== 'maps' && first.format !== 'smaps') {
      // pmap output changes how later lines read: no split for it.
      await worker.terminate();
      return readDumpSync(path);
    }
    const rest = await second;
    first.append(rest, first.lineCount);
    if (rest.format === 'smaps') first.format = 'smaps';
    return first;
  } finally {
    closeSync(fd);
  }
}
