/**
 * Cleanups that run however the test process ends (exit, SIGINT/SIGTERM/SIGHUP), so nothing a
 * test started or changed is left behind.
 */

const cleanups = new Set<() => void>();
let cleanupInstalled = false;

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      /* best effort at exit */
    }
  }
}

/** Registers a synchronous cleanup run on exit and on SIGINT/SIGTERM/SIGHUP; returns its remover. */
export function onExit(fn: () => void): () => void {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', runCleanups);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        runCleanups();
        process.removeListener(sig, handler);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, handler);
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
