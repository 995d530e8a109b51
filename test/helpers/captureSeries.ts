/** A folder of real captures of one process, taken over time with the product's own capture. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureLocal } from '../../src/capture';

/** Captures process `pid` `count` times, `everyMs` apart, into `dir` as `01-<capture name>`, `02-…` (name order is time order). */
export async function captureSeries(pid: number, dir: string, count: number, everyMs: number): Promise<void> {
  const width = Math.max(2, String(count).length);
  for (let k = 1; k <= count; k++) {
    const cap = await captureLocal(pid);
    fs.writeFileSync(path.join(dir, `${String(k).padStart(width, '0')}-${cap.fileName}`), cap.text);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
