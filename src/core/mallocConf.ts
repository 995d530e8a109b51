/**
 * jemalloc's MALLOC_CONF: `key:value` options separated by commas, as the capture read them from
 * the process environment. Read for evidence (retain, decay, thp), edited for fixes.
 */

function pairs(conf: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const part of (conf ?? '').split(',')) {
    const at = part.indexOf(':');
    const key = (at < 0 ? part : part.slice(0, at)).trim();
    if (key) out.push([key, at < 0 ? '' : part.slice(at + 1).trim()]);
  }
  return out;
}

/** "retain:false,dirty_decay_ms:0" → { retain: 'false', dirty_decay_ms: '0' }. */
export function parseMallocConf(conf: string | undefined): Record<string, string> {
  return Object.fromEntries(pairs(conf));
}

/** Sets keys (appended, in the order given), drops others, keeps the rest in their order. */
export function editMallocConf(current: string | undefined, set: Record<string, string>, drop: string[] = []): string {
  const kept = pairs(current).filter(([k]) => !(k in set) && !drop.includes(k));
  return [...kept, ...Object.entries(set)].map(([k, v]) => (v === '' ? k : `${k}:${v}`)).join(',');
}
