import { analyze } from '../core/analyze';
import { t } from '../core/l10n';
import { reasonText } from '../core/parse';
import { processIdentity } from '../core/identity';
import { compareNames, sampleOf, type TimelineSample } from '../core/timeline';
import type { AnalyzeOptions } from '../core/types';
import type { DumpFiles } from '../platform';
import type { SkippedFile } from '../protocol';
import type { WatchIndex } from './watchIndex';

/**
 * Reads a folder of dumps into timeline samples: a few files at a time, handing samples over in
 * batches so the chart can draw while a big folder is still loading. Only the per-sample summary
 * is kept; each dump is dropped once analysed.
 */

export interface FolderLoadOptions {
  analyzeOptions?: AnalyzeOptions;
  /** New samples, about every `batchMs`. */
  onBatch?(samples: TimelineSample[]): void;
  onProgress?(done: number, total: number, skipped: SkippedFile[]): void;
  signal?: AbortSignal;
  concurrency?: number;
  batchMs?: number;
}

export interface FolderLoad {
  samples: TimelineSample[];
  skipped: SkippedFile[];
  files: number;
  /** The index of a watch folder, when it is one. */
  index?: WatchIndex;
  /** Distinct processes: "host pid" from capture headers, else "executable at address". */
  processes: string[];
  cancelled: boolean;
}

/** `folder` and its dumps are keys of `fs` (paths in the Node host, URIs in the browser). */
export async function loadFolder(fs: DumpFiles, folder: string, opts: FolderLoadOptions = {}): Promise<FolderLoad> {
  const files = (await fs.list(folder)).sort(compareNames);
  const samples: TimelineSample[] = [];
  const skipped: SkippedFile[] = [];
  const processes = new Set<string>();
  const images = new Set<string>();
  const batchMs = opts.batchMs ?? 150;
  let pending: TimelineSample[] = [];
  let lastFlush = Date.now();
  let done = 0;
  let next = 0;
  const flush = () => {
    if (pending.length) opts.onBatch?.(pending);
    pending = [];
    lastFlush = Date.now();
    opts.onProgress?.(done, files.length, skipped);
  };
  const worker = async () => {
    while (next < files.length && !opts.signal?.aborted) {
      const file = files[next++];
      try {
        const dump = await fs.read(file, { signal: opts.signal });
        if (dump.count === 0) {
          const why = dump.malformedCount
            ? t('no mappings (line {0}: {1})', dump.malformed[0].line, reasonText(dump.malformed[0].reason))
            : t('no mappings found');
          skipped.push({ file, reason: why });
        } else {
          const a = analyze(dump, opts.analyzeOptions);
          const id = processIdentity(dump);
          const s = sampleOf(file, a, { mtime: (await fs.stat(file))?.mtime, process: id });
          samples.push(s);
          pending.push(s);
          if (id.pid !== undefined) processes.add(`${id.host ?? 'local'} ${id.pid}`);
          // Without a header, a process shows by where its executable is mapped (ASLR moves it per run).
          if (id.exe) images.add(`${id.exe} at ${id.exeStart}`);
        }
        dump.release(); // only the sample is kept: the next file reuses the memory
      } catch (err) {
        if (opts.signal?.aborted) break;
        skipped.push({ file, reason: (err as Error).message });
      }
      done++;
      if (Date.now() - lastFlush >= batchMs) flush();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  flush();
  const index = await fs.readWatchIndex(folder);
  return {
    samples,
    skipped,
    files: files.length,
    ...(index ? { index } : {}),
    processes: [...(processes.size ? processes : images)],
    cancelled: !!opts.signal?.aborted,
  };
}
