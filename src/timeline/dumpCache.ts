import { analyze } from '../core/analyze';
import { t } from '../core/l10n';
import type { Dump } from '../core/dump';
import type { Analysis, AnalyzeOptions } from '../core/types';
import { DumpReadError } from '../core/readError';
import type { DumpFiles } from '../platform';

/**
 * The last few dumps a timeline panel read for the strip and the diff (the timeline itself keeps
 * summaries only). Reads in flight stop when the cache is cleared or closed (the panel closing):
 * a big dump is not read on for a webview that is gone.
 */

export interface Loaded {
  dump: Dump;
  analysis: Analysis;
}

export class DumpCache {
  private readonly map = new Map<string, Promise<Loaded>>();
  private abort = new AbortController();
  private closed = false;

  constructor(
    private readonly files: DumpFiles,
    private readonly options: () => AnalyzeOptions,
    private readonly size = 3,
  ) {}

  get(file: string): Promise<Loaded> {
    if (this.closed) return Promise.reject(new DumpReadError('cancelled'));
    let p = this.map.get(file);
    if (p) {
      this.map.delete(file);
    } else {
      const signal = this.abort.signal;
      p = this.files.read(file, { signal }).then((dump) => {
        if (signal.aborted) throw new DumpReadError('cancelled');
        if (dump.count === 0) throw new Error(t('no mappings in {0}', file));
        return { dump, analysis: analyze(dump, this.options()) };
      });
      p.catch(() => this.map.delete(file));
    }
    this.map.set(file, p);
    this.trim();
    return p;
  }

  put(file: string, loaded: Loaded): void {
    if (this.closed) return;
    this.map.set(file, Promise.resolve(loaded));
    this.trim();
  }

  /** Forgets every dump and stops the reads in flight. */
  clear(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.map.clear();
  }

  /** clear(), for good. */
  close(): void {
    this.closed = true;
    this.clear();
  }

  private trim(): void {
    while (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}
