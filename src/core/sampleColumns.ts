/**
 * Timeline samples as columns, for the message from the panel to its webview: a number per sample
 * and field in a typed array (VS Code's postMessage transfers those as binary, not JSON), repeated
 * strings (allocators, finding ids, processes) once in a table. 10,000 samples as objects were a
 * 6.5 MB JSON message; as columns most of it is never stringified or parsed.
 */
import type { ProcessIdentity } from './identity';
import type { TimelineSample } from './timeline';
import type { Severity, VmaKind } from './types';

export interface SampleColumns {
  count: number;
  source: string[];
  label: string[];
  /** NaN where the sample has no value. */
  time: Float64Array;
  mtime: Float64Array;
  rss: Float64Array;
  pss: Float64Array;
  vmaCount: Float64Array;
  maxMapCount: Float64Array;
  threads: Float64Array;
  malformed: Float64Array;
  /** Repeated strings, referred to by index from the columns below. */
  strings: string[];
  allocator: Uint32Array;
  /** JSON of the ProcessIdentity as an index into `strings`; -1: none. */
  process: Int32Array;
  /** The kinds of kindCount and kindBytes, in their order. */
  kinds: VmaKind[];
  /** count × kinds.length, sample-major; NaN count: the sample does not list that kind. */
  kindCount: Float64Array;
  kindBytes: Float64Array;
  /** Sample i's findings are findingId/findingSeverity[findingStart[i] .. findingStart[i + 1]). */
  findingStart: Uint32Array;
  findingId: Uint32Array;
  findingSeverity: Uint32Array;
}

const orNaN = (v: number | undefined): number => (v === undefined ? NaN : v);

export function toColumns(samples: readonly TimelineSample[]): SampleColumns {
  const n = samples.length;
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) index.set(s, (i = strings.push(s) - 1));
    return i;
  };
  const kindSet = new Set<VmaKind>();
  for (const s of samples) for (const k of Object.keys(s.kinds) as VmaKind[]) kindSet.add(k);
  const kinds = [...kindSet];
  const nk = kinds.length;
  const c: SampleColumns = {
    count: n,
    source: new Array<string>(n),
    label: new Array<string>(n),
    time: new Float64Array(n),
    mtime: new Float64Array(n),
    rss: new Float64Array(n),
    pss: new Float64Array(n),
    vmaCount: new Float64Array(n),
    maxMapCount: new Float64Array(n),
    threads: new Float64Array(n),
    malformed: new Float64Array(n),
    strings,
    allocator: new Uint32Array(n),
    process: new Int32Array(n),
    kinds,
    kindCount: new Float64Array(n * nk).fill(NaN),
    kindBytes: new Float64Array(n * nk),
    findingStart: new Uint32Array(n + 1),
    findingId: new Uint32Array(samples.reduce((a, s) => a + s.findings.length, 0)),
    findingSeverity: new Uint32Array(0),
  };
  c.findingSeverity = new Uint32Array(c.findingId.length);
  let f = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i];
    c.source[i] = s.source;
    c.label[i] = s.label;
    c.time[i] = orNaN(s.time);
    c.mtime[i] = orNaN(s.mtime);
    c.rss[i] = orNaN(s.rss);
    c.pss[i] = orNaN(s.pss);
    c.vmaCount[i] = s.vmaCount;
    c.maxMapCount[i] = s.maxMapCount;
    c.threads[i] = s.threads;
    c.malformed[i] = s.malformed;
    c.allocator[i] = intern(s.allocator);
    c.process[i] = s.process ? intern(JSON.stringify(s.process)) : -1;
    for (let k = 0; k < nk; k++) {
      const v = s.kinds[kinds[k]];
      if (v) {
        c.kindCount[i * nk + k] = v.count;
        c.kindBytes[i * nk + k] = v.bytes;
      }
    }
    c.findingStart[i] = f;
    for (const x of s.findings) {
      c.findingId[f] = intern(x.id);
      c.findingSeverity[f++] = intern(x.severity);
    }
  }
  c.findingStart[n] = f;
  return c;
}

/** Why `m` is not a SampleColumns the webview can read, or undefined when it is. */
export function columnsProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object';
  const c = m as Record<string, unknown>;
  const n = c.count;
  if (!Number.isSafeInteger(n) || (n as number) < 0) return 'bad count';
  const count = n as number;
  const strs = (v: unknown, len: number) => Array.isArray(v) && v.length === len && v.every((s) => typeof s === 'string');
  if (!strs(c.source, count) || !strs(c.label, count)) return 'bad source or label';
  if (!Array.isArray(c.strings) || !c.strings.every((s) => typeof s === 'string')) return 'bad strings';
  if (!Array.isArray(c.kinds) || !c.kinds.every((s) => typeof s === 'string')) return 'bad kinds';
  const nStrings = c.strings.length;
  const nk = c.kinds.length;
  for (const k of ['time', 'mtime', 'rss', 'pss', 'vmaCount', 'maxMapCount', 'threads', 'malformed'])
    if (!(c[k] instanceof Float64Array) || (c[k] as Float64Array).length !== count) return `bad ${k}`;
  if (
    !(c.kindCount instanceof Float64Array) ||
    !(c.kindBytes instanceof Float64Array) ||
    c.kindCount.length !== count * nk ||
    c.kindBytes.length !== count * nk
  )
    return 'bad kind columns';
  const refs = (v: unknown, len: number, Type: typeof Uint32Array | typeof Int32Array, min: number) =>
    v instanceof Type && v.length === len && v.every((x) => x >= min && x < nStrings);
  if (!refs(c.allocator, count, Uint32Array, 0) || !refs(c.process, count, Int32Array, -1)) return 'bad allocator or process';
  const start = c.findingStart;
  if (!(start instanceof Uint32Array) || start.length !== count + 1 || start[0] !== 0) return 'bad findingStart';
  for (let i = 0; i < count; i++) if (start[i + 1] < start[i]) return 'bad findingStart';
  const nf = start[count];
  if (!refs(c.findingId, nf, Uint32Array, 0) || !refs(c.findingSeverity, nf, Uint32Array, 0)) return 'bad findings';
  return undefined;
}

/** The samples back as objects, as toColumns got them (absent fields stay absent). */
export function fromColumns(c: SampleColumns): TimelineSample[] {
  const nk = c.kinds.length;
  const processes = new Map<number, ProcessIdentity>();
  const out = new Array<TimelineSample>(c.count);
  for (let i = 0; i < c.count; i++) {
    const kinds: TimelineSample['kinds'] = {};
    for (let k = 0; k < nk; k++) {
      const count = c.kindCount[i * nk + k];
      if (!Number.isNaN(count)) kinds[c.kinds[k]] = { count, bytes: c.kindBytes[i * nk + k] };
    }
    const findings: TimelineSample['findings'] = [];
    for (let f = c.findingStart[i]; f < c.findingStart[i + 1]; f++)
      findings.push({ id: c.strings[c.findingId[f]], severity: c.strings[c.findingSeverity[f]] as Severity });
    const s: TimelineSample = {
      source: c.source[i],
      label: c.label[i],
      vmaCount: c.vmaCount[i],
      maxMapCount: c.maxMapCount[i],
      kinds,
      allocator: c.strings[c.allocator[i]],
      threads: c.threads[i],
      findings,
      malformed: c.malformed[i],
    };
    if (!Number.isNaN(c.time[i])) s.time = c.time[i];
    if (!Number.isNaN(c.mtime[i])) s.mtime = c.mtime[i];
    if (!Number.isNaN(c.rss[i])) s.rss = c.rss[i];
    if (!Number.isNaN(c.pss[i])) s.pss = c.pss[i];
    const p = c.process[i];
    if (p >= 0) {
      let id = processes.get(p);
      if (!id) processes.set(p, (id = JSON.parse(c.strings[p]) as ProcessIdentity));
      s.process = id;
    }
    out[i] = s;
  }
  return out;
}
