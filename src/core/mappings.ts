import type { Dump } from './dump';
import { countsTowardLimit, KIND_INFO } from './kinds';

/** One mapped object (a file, a pseudo-path, or the anonymous memory of one kind) and what it costs. */
export interface MappingUse {
  /** The path or pseudo-path; anonymous memory as `[ anon: <kind> ]`, the way pmap writes `[ anon ]`. */
  mapping: string;
  vmas: number;
  bytes: number;
  /** Resident bytes, when the dump has them (smaps, pmap -x / -X). */
  rss?: number;
}

export type MappingSort = 'size' | 'rss' | 'vmas';

/**
 * The mappings of a dump grouped by object, largest first by `sort` (what `pmap -x | sort -k`
 * answers), the first `top` of them. [vsyscall] is left out as everywhere.
 */
export function topMappings(dump: Dump, sort: MappingSort, top: number): MappingUse[] {
  const rssKb = dump.fields.get('Rss');
  const groups = new Map<string, MappingUse>();
  for (let i = 0; i < dump.count; i++) {
    const kind = dump.kindOf(i);
    if (!countsTowardLimit(kind)) continue;
    const key = dump.name(i) ?? `[ anon: ${KIND_INFO[kind].label} ]`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { mapping: key, vmas: 0, bytes: 0 }));
    g.vmas++;
    g.bytes += dump.size(i);
    const r = rssKb?.[i];
    if (r !== undefined && !Number.isNaN(r)) g.rss = (g.rss ?? 0) + r * 1024;
  }
  const value = (g: MappingUse) => (sort === 'vmas' ? g.vmas : sort === 'rss' ? (g.rss ?? -1) : g.bytes);
  return [...groups.values()].sort((a, b) => value(b) - value(a) || b.bytes - a.bytes).slice(0, top);
}
