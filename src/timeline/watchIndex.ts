import type { WatchTarget } from '../protocol';

/** A watch folder's `index.json` (written by CaptureStore), read in either extension host. */

export const INDEX_FILE = 'index.json';

export interface WatchIndex {
  format: 'vma-lens-watch';
  version: 1;
  target: WatchTarget;
  intervalSeconds: number;
  /** ISO times. */
  started: string;
  ended?: string;
  /** Why it ended: "stopped", "exited: …", "failed: …". */
  endReason?: string;
  samples: { file: string; time?: string; vmaCount: number }[];
}

/** The index in `text`; undefined when it is not JSON or not ours. */
export function parseWatchIndex(text: string): WatchIndex | undefined {
  try {
    const idx = JSON.parse(text) as Partial<WatchIndex>;
    if (idx.format !== 'vma-lens-watch' || !idx.target || !Number.isInteger(idx.target.pid) || !Array.isArray(idx.samples)) return undefined;
    return idx as WatchIndex;
  } catch {
    return undefined;
  }
}
