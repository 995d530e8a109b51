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

/**
 * An option as jemalloc spells them (`narenas:4`, `dirty_decay_ms:-1`, `prof_prefix:/tmp/jeprof`).
 * The value comes from the dump and ends up in a systemd `Environment="…"` line: anything else
 * (quotes, `%` specifiers, blanks) is left out of a fix rather than written.
 */
const SAFE_OPTION = /^[a-z_]+$/;
const SAFE_VALUE = /^[A-Za-z0-9_.:/+-]*$/;

/** Sets keys (appended, in the order given), drops others, keeps the rest (safe ones) in their order. */
export function editMallocConf(current: string | undefined, set: Record<string, string>, drop: string[] = []): string {
  const kept = pairs(current).filter(([k, v]) => !(k in set) && !drop.includes(k) && SAFE_OPTION.test(k) && SAFE_VALUE.test(v));
  return [...kept, ...Object.entries(set)].map(([k, v]) => (v === '' ? k : `${k}:${v}`)).join(',');
}
