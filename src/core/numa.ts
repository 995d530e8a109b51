import type { Dump } from './dump';

/**
 * Memory per NUMA node from numa_maps' `N<node>=<pages>` counts, in bytes: each VMA's pages times
 * its `kernelpagesize_kB` (4 KiB when absent). Undefined when the dump has no such counts.
 */
export function numaNodeBytes(dump: Dump): Record<string, number> | undefined {
  const nodes = [...dump.fields.keys()].filter((k) => /^N\d+$/.test(k)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  if (nodes.length === 0) return undefined;
  const page = dump.fields.get('kernelpagesize_kB');
  const out: Record<string, number> = {};
  for (const node of nodes) {
    const col = dump.fields.get(node)!;
    let bytes = 0;
    for (let i = 0; i < dump.count; i++) {
      if (!Number.isNaN(col[i])) bytes += col[i] * (page && !Number.isNaN(page[i]) ? page[i] : 4) * 1024;
    }
    out[node] = bytes;
  }
  return out;
}
