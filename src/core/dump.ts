import { subtract, toHex, toNumber } from './addr';
import { applyHeaderLine } from './header';
import { KINDS } from './kinds';
import type { DumpFormat, DumpHeader, Malformed, Vma, VmaKind } from './types';

export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_SHARED = 8;

export const FLAG_DELETED = 1;

const INITIAL_CAPACITY = 1024;
/** Malformed lines kept with their text; malformedCount counts them all. */
export const MALFORMED_KEPT = 1000;

/** The per-VMA typed-array columns of a Dump. */
const COLUMNS = ['startHi', 'startLo', 'endHi', 'endLo', 'perms', 'flags', 'kind', 'offset', 'dev', 'inode', 'nameId', 'line', 'vmFlags'] as const;
type Column = (typeof COLUMNS)[number];

/** Adds the strings of `source` missing from `target`; returns each source index's index in target. */
function reintern(target: string[], source: readonly string[]): number[] {
  const ids = new Map(target.map((v, id) => [v, id]));
  return source.map((v) => {
    let id = ids.get(v);
    if (id === undefined) {
      id = target.length;
      target.push(v);
      ids.set(v, id);
    }
    return id;
  });
}

export interface DumpTransfer {
  format: DumpFormat;
  header: DumpHeader;
  count: number;
  lineCount: number;
  sorted: boolean;
  maxEndHi: number;
  malformed: Malformed[];
  malformedCount: number;
  names: string[];
  nameFirst: number[];
  vmFlagSets: string[];
  fields: [string, Float64Array][];
  columns: Record<Column, Uint32Array | Uint8Array | Float64Array | Int32Array | Uint16Array>;
}

/**
 * A parsed dump, stored by column in typed arrays so that a million VMAs cost tens of
 * megabytes rather than hundreds. `vma(i)` materialises one row for display.
 */
export class Dump {
  format: DumpFormat = 'empty';
  header: DumpHeader = { raw: {}, lines: {} };
  count = 0;
  /** Number of lines read, including headers and malformed ones. */
  lineCount = 0;
  /** False when addresses are not ascending (hand-made input); see order(). */
  sorted = true;
  /** Highest upper half of any end address: 0 means every address fits 32 bits. */
  maxEndHi = 0;
  malformed: Malformed[] = [];
  malformedCount = 0;
  /** Interned names; nameId[i] indexes it, -1 for none. */
  readonly names: string[] = [];
  /** Index of the first VMA with each name. */
  readonly nameFirst: number[] = [];
  /** Interned VmFlags strings; index 0 is "none". */
  readonly vmFlagSets: string[] = [''];
  /** smaps / pmap -X fields by key, in kB (THPeligible and ProtectionKey as is); NaN = absent. */
  readonly fields = new Map<string, Float64Array>();

  startHi = new Uint32Array(INITIAL_CAPACITY);
  startLo = new Uint32Array(INITIAL_CAPACITY);
  endHi = new Uint32Array(INITIAL_CAPACITY);
  endLo = new Uint32Array(INITIAL_CAPACITY);
  perms = new Uint8Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  kind = new Uint8Array(INITIAL_CAPACITY);
  offset = new Float64Array(INITIAL_CAPACITY);
  dev = new Uint32Array(INITIAL_CAPACITY);
  inode = new Float64Array(INITIAL_CAPACITY);
  nameId = new Int32Array(INITIAL_CAPACITY).fill(-1);
  line = new Uint32Array(INITIAL_CAPACITY);
  vmFlags = new Uint16Array(INITIAL_CAPACITY);

  private capacity = INITIAL_CAPACITY;
  private sortedOrder: Uint32Array | undefined;

  /** Pre-sizes the columns, e.g. from a file's size, so that a large dump is not copied while growing. */
  reserve(capacity: number): void {
    if (capacity > this.capacity) this.grow(capacity);
  }

  /** Makes room for one more VMA and returns its index. */
  add(): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    return this.count++;
  }

  /** A column for an smaps field, created on first use. */
  field(key: string): Float64Array {
    let col = this.fields.get(key);
    if (!col) {
      col = new Float64Array(this.capacity).fill(NaN);
      this.fields.set(key, col);
    }
    return col;
  }

  private grow(cap: number): void {
    for (const c of COLUMNS) {
      const old = this[c];
      const b = new (old.constructor as new (n: number) => typeof old)(cap);
      b.set(old as never);
      (this as Record<Column, typeof old>)[c] = b;
    }
    this.nameId.fill(-1, this.capacity);
    for (const [k, col] of this.fields) {
      const b = new Float64Array(cap).fill(NaN);
      b.set(col);
      this.fields.set(k, b);
    }
    this.capacity = cap;
  }

  /**
   * Appends the VMAs of a dump parsed from the text that follows this one (a second half parsed
   * in parallel): names and flag sets are re-interned, line numbers shifted by `lineOffset`.
   */
  append(other: Dump, lineOffset: number): void {
    const base = this.count;
    const n = other.count;
    this.reserve(base + n);
    for (const c of COLUMNS) (this[c] as Uint32Array).set((other[c] as Uint32Array).subarray(0, n), base);
    for (let i = base; i < base + n; i++) this.line[i] += lineOffset;
    const known = this.names.length;
    const nameMap = reintern(this.names, other.names);
    nameMap.forEach((id, j) => {
      if (id >= known) this.nameFirst[id] = base + other.nameFirst[j];
    });
    const flagMap = reintern(this.vmFlagSets, other.vmFlagSets);
    for (let i = base; i < base + n; i++) {
      if (this.nameId[i] >= 0) this.nameId[i] = nameMap[this.nameId[i]];
      this.vmFlags[i] = flagMap[this.vmFlags[i]];
    }
    for (const [k, col] of other.fields) this.field(k).set(col.subarray(0, n), base);
    if (n > 0 && base > 0) {
      const a = base - 1;
      if (this.startHi[base] < this.startHi[a] || (this.startHi[base] === this.startHi[a] && this.startLo[base] < this.startLo[a])) {
        this.sorted = false;
      }
    }
    this.sorted &&= other.sorted;
    this.maxEndHi = Math.max(this.maxEndHi, other.maxEndHi);
    this.count = base + n;
    this.lineCount += other.lineCount;
    this.malformedCount += other.malformedCount;
    for (const m of other.malformed.slice(0, MALFORMED_KEPT - this.malformed.length)) this.malformed.push({ ...m, line: m.line + lineOffset });
    for (const [k, v] of Object.entries(other.header.raw)) {
      if (!(k in this.header.raw)) applyHeaderLine(this.header, `# ${k}: ${v}`, other.header.lines[k] + lineOffset);
    }
    this.sortedOrder = undefined;
  }

  /** The plain data of this dump, for postMessage; pass transferables() as the transfer list. */
  toTransfer(): DumpTransfer {
    const columns = Object.fromEntries(COLUMNS.map((c) => [c, this[c]])) as DumpTransfer['columns'];
    return {
      format: this.format,
      header: this.header,
      count: this.count,
      lineCount: this.lineCount,
      sorted: this.sorted,
      maxEndHi: this.maxEndHi,
      malformed: this.malformed,
      malformedCount: this.malformedCount,
      names: this.names,
      nameFirst: this.nameFirst,
      vmFlagSets: this.vmFlagSets,
      fields: [...this.fields],
      columns,
    };
  }

  transferables(): ArrayBuffer[] {
    return [...COLUMNS.map((c) => this[c].buffer as ArrayBuffer), ...[...this.fields.values()].map((f) => f.buffer as ArrayBuffer)];
  }

  static fromTransfer(t: DumpTransfer): Dump {
    const d = new Dump();
    Object.assign(d, t.columns);
    d.capacity = t.columns.line.length;
    d.format = t.format;
    d.header = t.header;
    d.count = t.count;
    d.lineCount = t.lineCount;
    d.sorted = t.sorted;
    d.maxEndHi = t.maxEndHi;
    d.malformed = t.malformed;
    d.malformedCount = t.malformedCount;
    d.names.push(...t.names);
    d.nameFirst.push(...t.nameFirst);
    d.vmFlagSets.length = 0;
    d.vmFlagSets.push(...t.vmFlagSets);
    for (const [k, col] of t.fields) d.fields.set(k, col);
    return d;
  }

  start(i: number): number {
    return toNumber(this.startHi[i], this.startLo[i]);
  }

  end(i: number): number {
    return toNumber(this.endHi[i], this.endLo[i]);
  }

  size(i: number): number {
    return subtract(this.startHi[i], this.startLo[i], this.endHi[i], this.endLo[i]);
  }

  /** Bytes between the end of VMA a and the start of VMA b (negative when they overlap). */
  gap(a: number, b: number): number {
    return subtract(this.endHi[a], this.endLo[a], this.startHi[b], this.startLo[b]);
  }

  name(i: number): string | undefined {
    const id = this.nameId[i];
    return id < 0 ? undefined : this.names[id];
  }

  kindOf(i: number): VmaKind {
    return KINDS[this.kind[i]];
  }

  permsText(i: number): string {
    const p = this.perms[i];
    return (
      (p & PERM_R ? 'r' : '-') + (p & PERM_W ? 'w' : '-') + (p & PERM_X ? 'x' : '-') + (p & PERM_SHARED ? 's' : 'p')
    );
  }

  devText(i: number): string {
    const d = this.dev[i];
    const major = Math.floor(d / 1048576);
    const minor = d % 1048576;
    return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  }

  /** Indices in ascending address order (identity when the input was sorted). */
  order(): Uint32Array {
    if (!this.sortedOrder) {
      const idx = new Uint32Array(this.count);
      for (let i = 0; i < this.count; i++) idx[i] = i;
      if (!this.sorted) {
        idx.sort((a, b) => this.startHi[a] - this.startHi[b] || this.startLo[a] - this.startLo[b]);
      }
      this.sortedOrder = idx;
    }
    return this.sortedOrder;
  }

  /** Index of the VMA on a 1-based line, or -1 (binary search: lines ascend with the index). */
  indexAtLine(line: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = this.line[mid];
      if (l === line) return mid;
      if (l < line) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** One VMA as a plain object. */
  vma(i: number): Vma {
    const smaps: Record<string, number> = {};
    let hasSmaps = false;
    for (const [k, col] of this.fields) {
      if (!Number.isNaN(col[i])) {
        smaps[k] = col[i];
        hasSmaps = true;
      }
    }
    const flags = this.vmFlagSets[this.vmFlags[i]];
    return {
      index: i,
      line: this.line[i],
      startHex: toHex(this.startHi[i], this.startLo[i]),
      endHex: toHex(this.endHi[i], this.endLo[i]),
      start: this.start(i),
      end: this.end(i),
      size: this.size(i),
      perms: this.permsText(i),
      offset: this.offset[i],
      dev: this.devText(i),
      inode: this.inode[i],
      name: this.name(i) ?? '',
      deleted: (this.flags[i] & FLAG_DELETED) !== 0,
      kind: this.kindOf(i),
      ...(hasSmaps ? { smaps } : {}),
      ...(flags ? { vmFlags: flags.split(' ') } : {}),
    };
  }
}
