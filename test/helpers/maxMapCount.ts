/**
 * Changing `vm.max_map_count` for a while, always putting it back: a lock file records the
 * original so a later run restores it even after a crash.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readMaxMapCount, readText } from './captures';
import { onExit } from './exitCleanup';

const LOCK_FILE = path.join(os.tmpdir(), 'vma-lens-max-map-count.lock');
let lockDepth = 0;
let lockOriginal: number | undefined;
let removeLockCleanup: (() => void) | undefined;

function writeMaxMapCount(n: number): void {
  fs.writeFileSync('/proc/sys/vm/max_map_count', `${n}\n`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Restores vm.max_map_count left changed by a test process that died while holding the lock.
 * Returns the value restored, or undefined when there was nothing to do.
 */
export function recoverStaleMaxMapCount(): number | undefined {
  const text = readText(LOCK_FILE);
  if (text === undefined) return undefined;
  let info: { pid?: number; original?: number };
  try {
    info = JSON.parse(text) as { pid?: number; original?: number };
  } catch {
    return undefined; // being written right now
  }
  if (!info.pid || pidAlive(info.pid)) return undefined;
  if (info.original) writeMaxMapCount(info.original);
  fs.rmSync(LOCK_FILE, { force: true });
  return info.original;
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    recoverStaleMaxMapCount();
    try {
      const fd = fs.openSync(LOCK_FILE, 'wx');
      lockOriginal = readMaxMapCount();
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, original: lockOriginal }));
      fs.closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (Date.now() > deadline) throw new Error(`vm.max_map_count is held by another test (${LOCK_FILE})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function releaseLock(): void {
  if (lockOriginal !== undefined) writeMaxMapCount(lockOriginal);
  lockOriginal = undefined;
  try {
    const holder = (JSON.parse(fs.readFileSync(LOCK_FILE, 'utf8')) as { pid?: number }).pid;
    if (holder === process.pid) fs.rmSync(LOCK_FILE, { force: true });
  } catch {
    /* no lock file (or not ours to remove) */
  }
}

/**
 * Sets vm.max_map_count to `n` while `fn` runs, then restores the value it had (also on throw,
 * on exit and on SIGINT/SIGTERM; after a hard crash the next call restores it from the lock
 * file). Test processes take turns through a lock file, so two of them never interleave
 * changes. Nested calls in one process are fine. Needs root.
 */
export async function withMaxMapCount<T>(n: number, fn: () => T | Promise<T>): Promise<T> {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`bad vm.max_map_count ${n}`);
  const outer = lockDepth === 0;
  if (outer) {
    await acquireLock(120_000);
    removeLockCleanup = onExit(releaseLock);
  }
  lockDepth++;
  const previous = readMaxMapCount();
  try {
    writeMaxMapCount(n);
    return await fn();
  } finally {
    lockDepth--;
    writeMaxMapCount(previous);
    if (outer) {
      removeLockCleanup?.();
      removeLockCleanup = undefined;
      releaseLock();
    }
  }
}
