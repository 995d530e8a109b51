import { subtract, toHex, toNumber } from './addr';
import { acquireKernel, Kernel, type KernelColumn } from './kernel';
import { KERNEL_COLUMNS } from './kernelContract';
import { KINDS } from './kinds';
import type { DumpFormat, DumpHeader, DumpNote, DumpSection, Malformed, Vma, VmaKind } from './types';
import { upperBound } from './search';

export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_SHARED = 8;

export const FLAG_DELETED = 1;

const INITIAL_CAPACITY = 1024;
/** Malformed lines kept with their text; malformedCount counts them all. */
export const MALFORMED_KEPT = 1000;
/**
 * Distinct field names given a column each (a real smaps has about 30, pmap -XX as many); the
 * names past these are kept per VMA, so a crafted dump of 10,000 names costs memory in
 * proportion to its size, not 10,000 columns of every VMA.
 */
export const MAX_FIELD_COLUMNS = 64;
/** Processes of one file that are analysed (a crafted file may hold thousands); the rest are counted. */
export const MAX_PROCESSES = 64;

/**
 * A parsed dump, stored by column in typed arrays so that a million VMAs cost tens of megabytes
 * rather than hundreds. `vma(i)` materialises one row for display.
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
  /** gdb without Perms, numa_maps: every perms column is 0 because the input does not say. */
  permsUnknown = false;
  /** numa_maps: every VMA has size 0 because the input gives only start addresses. */
  sizesUnknown = false;
  /** What the parser noticed about the input as a whole (order, overlaps, unusual shapes). */
  notes: DumpNote[] = [];
  /**
   * The processes of the file, in order: one unless it joins several (`==> f <==` heads, `---`
   * between rollups, several pmap titles). A section's VMAs run from its `first` to the next's.
   */
  sections: DumpSection[] = [{ label: '', line: 1, first: 0, header: this.header, sorted: true }];
  /** Interned names; nameId[i] indexes it, -1 for none. */
  readonly names: string[] = [];
  /** Index of the first VMA with each name. */
  readonly nameFirst: number[] = [];
  /** PERM_* bits of all the VMAs with each name, or-ed (is any of them executable?). */
  readonly namePerms: number[] = [];
  /** Interned VmFlags strings; index 0 is "none". */
  readonly vmFlagSets: string[] = [''];
  /** smaps / pmap -X fields by key, in kB (THPeligible and ProtectionKey as is); NaN = absent. */
  readonly fields = new Map<string, Float64Array>();
  /** Fields past MAX_FIELD_COLUMNS names, by VMA index: sparse, so memory follows the input. */
  readonly extraFields = new Map<number, Record<string, number>>();
  /** Distinct field names kept in extraFields. */
  extraFieldNames = 0;

  /** Per-VMA columns in the kernel's memory (kernel.ts moves them as they grow, while parsing). */
  startHi!: Uint32Array;
  startLo!: Uint32Array;
  endHi!: Uint32Array;
  endLo!: Uint32Array;
  perms!: Uint8Array;
  flags!: Uint8Array;
  kind!: Uint8Array;
  offset!: Float64Array;
  dev!: Uint32Array;
  inode!: Float64Array;
  /** Index into names, -1 for none. */
  nameId!: Int32Array;
  line!: Uint32Array;
  /** Index into vmFlagSets. */
  vmFlags = new Uint16Array(INITIAL_CAPACITY);

  private owner: Kernel | undefined = acquireKernel();
  private capacity = INITIAL_CAPACITY;
  private sortedOrder: Uint32Array | undefined;

  constructor() {
    this.kernel.placeColumns(this, INITIAL_CAPACITY);
  }

  /** The WebAssembly kernel whose memory holds the columns, and which runs the per-VMA passes. */
  get kernel(): Kernel {
    if (!this.owner) throw new Error('Dump used after release()');
    return this.owner;
  }

  /**
   * Gives the kernel, and the memory that holds the columns, to the next parse: for code that
   * parses many dumps in a row and keeps only their analyses. The Dump is empty afterwards.
   */
  release(): void {
    const k = this.owner;
    if (!k) return;
    this.owner = undefined;
    this.count = 0;
    this.sortedOrder = undefined;
    for (const [name, type] of KERNEL_COLUMNS) (this as unknown as Record<KernelColumn, unknown>)[name] = new type(0);
    k.release();
  }

  /** Pre-sizes the columns (the parser estimates from the first window), so that a large dump is rarely moved while growing. */
  reserve(capacity: number): void {
    if (capacity > this.capacity) this.grow(capacity);
  }

  /** Makes room for one more VMA and returns its index. */
  add(): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    return this.count++;
  }

  /** Room for at least n more VMAs (doubling, so that a growing dump is copied rarely); returns it. */
  room(n: number): number {
    if (this.count + n > this.capacity) this.grow(Math.max(this.count + n, this.capacity * 2));
    return this.capacity - this.count;
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

  /** Sets field `key` of VMA i: in its column while there are fewer than MAX_FIELD_COLUMNS, else sparsely. */
  setField(key: string, i: number, v: number): void {
    const col = this.fields.get(key);
    if (col) col[i] = v;
    else if (this.fields.size < MAX_FIELD_COLUMNS) this.field(key)[i] = v;
    else {
      let extra = this.extraFields.get(i);
      if (!extra) this.extraFields.set(i, (extra = Object.create(null) as Record<string, number>));
      if (!this.extraKeys.has(key)) {
        this.extraKeys.add(key);
        this.extraFieldNames++;
      }
      extra[key] = v;
    }
  }

  private readonly extraKeys = new Set<string>();

  private grow(cap: number): void {
    this.kernel.placeColumns(this, cap);
    const flags = new Uint16Array(cap);
    flags.set(this.vmFlags);
    this.vmFlags = flags;
    for (const [k, col] of this.fields) {
      const b = new Float64Array(cap).fill(NaN);
      b.set(col);
      this.fields.set(k, b);
    }
    this.capacity = cap;
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
    return (p & PERM_R ? 'r' : '-') + (p & PERM_W ? 'w' : '-') + (p & PERM_X ? 'x' : '-') + (p & PERM_SHARED ? 's' : 'p');
  }

  devText(i: number): string {
    const d = this.dev[i];
    const major = Math.floor(d / 1048576);
    const minor = d % 1048576;
    return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  }

  /** Indices in ascending address order (identity when the input was sorted). */
  order(): Uint32Array {
    if (!this.sortedOrder) this.sortedOrder = this.addressOrder(new Uint32Array(this.count));
    return this.sortedOrder;
  }

  /** Fills idx (count long) with the indices in address order; the parser puts it in the kernel. */
  addressOrder(idx: Uint32Array): Uint32Array {
    for (let i = 0; i < this.count; i++) idx[i] = i;
    if (!this.sorted) idx.sort((a, b) => this.startHi[a] - this.startHi[b] || this.startLo[a] - this.startLo[b]);
    return idx;
  }

  /** Called by the parser when the dump is complete: the kernel's last allocations. */
  seal(): void {
    this.kernel.seal(this.names.length, this.sorted ? undefined : (into) => (this.sortedOrder = this.addressOrder(into)));
  }

  /**
   * One section (process) of a file that holds several, as a Dump of its own: VMAs, names,
   * fields, header and malformed lines of its lines only, never summed with the others.
   */
  section(k: number): Dump {
    const sec = this.sections[k];
    const from = sec.first;
    const to = k + 1 < this.sections.length ? this.sections[k + 1].first : this.count;
    const lastLine = k + 1 < this.sections.length ? this.sections[k + 1].line : this.lineCount + 1;
    const d = new Dump();
    const n = to - from;
    d.reserve(n);
    d.count = n;
    for (const [name] of KERNEL_COLUMNS) {
      const col = (this as unknown as Record<KernelColumn, Uint32Array>)[name];
      (d as unknown as Record<KernelColumn, Uint32Array>)[name].set(col.subarray(from, to));
    }
    d.vmFlags.set(this.vmFlags.subarray(from, to));
    d.vmFlagSets.splice(0, 1, ...this.vmFlagSets);
    const ids = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const old = d.nameId[i];
      if (old < 0) continue;
      let id = ids.get(old);
      if (id === undefined) {
        id = d.names.length;
        ids.set(old, id);
        d.names.push(this.names[old]);
        d.nameFirst.push(i);
        d.namePerms.push(0);
      }
      d.nameId[i] = id;
      d.namePerms[id] |= d.perms[i];
    }
    for (const [key, col] of this.fields) {
      const part = col.subarray(from, to);
      if (part.some((v) => !Number.isNaN(v))) d.field(key).set(part);
    }
    for (const [i, extra] of this.extraFields) if (i >= from && i < to) d.extraFields.set(i - from, extra);
    for (let i = 0; i < n; i++) if (d.endHi[i] > d.maxEndHi) d.maxEndHi = d.endHi[i];
    d.header = sec.header;
    d.sections = [{ ...sec, first: 0 }];
    d.format = this.format;
    d.sorted = sec.sorted;
    d.permsUnknown = this.permsUnknown;
    d.sizesUnknown = this.sizesUnknown;
    d.lineCount = this.lineCount;
    const inside = (m: { line: number }) => m.line >= sec.line && m.line < lastLine;
    d.malformed = this.malformed.filter(inside);
    d.malformedCount = d.malformed.length;
    d.notes = this.notes.filter(inside);
    d.seal();
    return d;
  }

  /** Index of the VMA on a 1-based line, or -1 (binary search: lines ascend with the index). */
  indexAtLine(line: number): number {
    const i = upperBound(this.line, line, this.count) - 1;
    return i >= 0 && this.line[i] === line ? i : -1;
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
    const extra = this.extraFields.get(i);
    if (extra) {
      Object.assign(smaps, extra);
      hasSmaps = true;
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
