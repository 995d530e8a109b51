import { KERNEL_COLUMNS, Param, RUN_FIELDS, ScanResult, Stat } from './kernelContract';
import { KERNEL_WASM } from './kernelWasm';

/**
 * The WebAssembly kernel (kernel.c): one instance per Dump, whose memory holds the Dump's
 * per-VMA columns. Its memory only grows while the dump is parsed; seal() makes the last
 * allocations, so views taken after parsing never go stale.
 *
 * Each instance's memory reserves gigabytes of address space, and the garbage collector works
 * hard to reclaim thousands of them: code that parses many dumps in a row (a timeline folder)
 * gives each Dump's kernel back with Dump.release(), and the next parse reuses it.
 */

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  input(): number;
  inputSize(): number;
  result(): number;
  namedIndex(): number;
  nameStart(): number;
  nameEnd(): number;
  namedMax(): number;
  params(): number;
  stats(): number;
  kindCount(): number;
  kindBytes(): number;
  kindLineCount(): number;
  kindLines(): number;
  kindsMax(): number;
  linesMax(): number;
  runCount(): number;
  totalCount(): number;
  totalBytes(): number;
  totalFirst(): number;
  kindTotals(from: number, to: number, n: number): void;
  diffResult(): number;
  diffWalk(
    x: number,
    n: number,
    bStartHi: number,
    bStartLo: number,
    bEndHi: number,
    bEndLo: number,
    bPerms: number,
    bKind: number,
    bNameId: number,
    nb: number,
    bToA: number,
    counted: number,
    out: number,
    outMax: number,
  ): number;
  fieldVma(): number;
  fieldSlot(): number;
  fieldValue(): number;
  fieldsMax(): number;
  keyIn(): number;
  keyLenMax(): number;
  flagsIn(): number;
  flagsLenMax(): number;
  reset(): void;
  forgetFields(): void;
  addKey(len: number): number;
  addFlags(len: number, id: number): void;
  columnAt(): number;
  setColumns(): void;
  findUnnamed(n: number, hi: number, lo: number): number;
  scan(s: number, limit: number, lineNo: number, at: number, room: number, owner: number): number;
  classify(from: number, to: number): number;
  tally(from: number, to: number): void;
  classifyTally(from: number, to: number): number;
}

export type KernelColumn = (typeof KERNEL_COLUMNS)[number][0];

/**
 * What holds the per-VMA columns that live in the kernel's memory (the Dump): the kernel puts
 * a fresh view of each column on it (of KERNEL_COLUMNS's type) whenever the columns move or the
 * memory grows.
 */
export type ColumnHost = { count: number } & { -readonly [C in KernelColumn]: ArrayBufferView };

/**
 * VMAs per classify() and tally() call. V8 runs a WebAssembly function in baseline code until it
 * has tiered up, and only a later call gets the optimised code: one call over a million VMAs
 * would run in baseline code throughout, at about half the speed.
 */
export const KERNEL_BATCH = 1 << 16;

const PAGE = 65536;
/** Idle kernels kept for reuse, and the largest memory worth keeping. */
const POOL_SIZE = 4;
const POOL_MAX_BYTES = 32 << 20;
const idle: Kernel[] = [];

/** A kernel for a new Dump: a released one when there is one. */
export function acquireKernel(): Kernel {
  return idle.pop() ?? new Kernel();
}

let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const bin = atob(KERNEL_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

export class Kernel {
  readonly x: Exports;
  /** Next free byte above the module's own data. */
  private top: number;
  private sealed = false;
  /** Where the Dump's columns are, and for how many VMAs. */
  private columnsAt: number[] = [];
  private capacity = 0;
  private host: ColumnHost | undefined;
  /** Name tables, runs and (for a dump out of address order) the order, placed by seal(). */
  nameClassAt = 0;
  nameSpecialAt = 0;
  runsAt = 0;
  runsMax = 0;
  orderAt = 0;

  // Views on the module's own data: remade whenever the memory grows.
  input!: Uint8Array;
  result!: Uint32Array;
  namedIndex!: Uint32Array;
  nameStart!: Uint32Array;
  nameEnd!: Uint32Array;
  params!: Uint32Array;
  stats!: Uint32Array;
  kindCount!: Uint32Array;
  kindBytes!: Float64Array;
  kindLineCount!: Uint32Array;
  kindLines!: Uint32Array;
  totalCount!: Float64Array;
  totalBytes!: Float64Array;
  totalFirst!: Uint32Array;
  fieldVma!: Uint32Array;
  fieldSlot!: Uint8Array;
  fieldValue!: Float64Array;
  keyIn!: Uint8Array;
  flagsIn!: Uint8Array;

  constructor() {
    this.x = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as Exports;
    this.top = this.x.heapBase();
    this.views();
  }

  /** Back to the pool, zeroed (the scanner relies on fresh columns being zero), or left to the GC. */
  release(): void {
    if (idle.length >= POOL_SIZE || this.x.memory.buffer.byteLength > POOL_MAX_BYTES) return;
    const base = this.x.heapBase();
    this.u8(base, this.top - base).fill(0);
    this.top = base;
    this.sealed = false;
    this.columnsAt = [];
    this.capacity = 0;
    this.host = undefined;
    this.orderAt = 0;
    this.x.reset();
    this.x.forgetFields();
    idle.push(this);
  }

  /**
   * Moves the host's columns to room for `capacity` VMAs, keeping the first host.count. While
   * they are the last allocation (until seal()) they grow where they are, so that the memory,
   * which never shrinks, holds no abandoned copies.
   */
  placeColumns(host: ColumnHost, capacity: number): void {
    const before = this.columnsAt;
    const count = before.length ? host.count : 0;
    const inPlace = before.length > 0 && this.top === this.columnsEnd(before, this.capacity);
    const oldEnd = this.top;
    if (inPlace) this.top = before[0];
    const at = KERNEL_COLUMNS.map(([, type]) => this.alloc(capacity * type.BYTES_PER_ELEMENT));
    if (inPlace) {
      // Each column moves up (never down): last first, so no column is overwritten before it moves.
      const mem = new Uint8Array(this.x.memory.buffer);
      for (let c = KERNEL_COLUMNS.length - 1; c >= 0; c--) {
        const size = KERNEL_COLUMNS[c][1].BYTES_PER_ELEMENT;
        if (at[c] !== before[c]) mem.copyWithin(at[c], before[c], before[c] + count * size);
        // The scanner relies on the columns being zero past the count: clear what old columns left.
        const stale = Math.min(at[c] + capacity * size, oldEnd);
        if (stale > at[c] + count * size) mem.fill(0, at[c] + count * size, stale);
      }
    } else if (count) {
      const now = this.columnViews(at, capacity);
      this.columnViews(before, count).forEach((old, c) => now[c].set(old as never));
    }
    this.host = host;
    this.columnsAt = at;
    this.capacity = capacity;
    this.columnViewsInto(host);
    this.u32(this.x.columnAt(), at.length).set(at);
    this.x.setColumns();
  }

  private columnsEnd(at: number[], capacity: number): number {
    const last = KERNEL_COLUMNS.length - 1;
    return at[last] + capacity * KERNEL_COLUMNS[last][1].BYTES_PER_ELEMENT;
  }

  /**
   * The last allocations, once the dump is parsed: tables for its `names` distinct names, the
   * fragmented runs, and the address order of its VMAs if `order` writes one.
   */
  seal(names: number, order: ((into: Uint32Array) => void) | undefined): void {
    const count = this.host?.count ?? 0;
    this.nameClassAt = this.alloc(Math.max(1, names));
    this.nameSpecialAt = this.alloc(Math.max(1, names));
    this.runsMax = Math.floor(count / 16) + 1;
    this.runsAt = this.alloc(this.runsMax * RUN_FIELDS * 4);
    if (order) {
      this.orderAt = this.alloc(count * 4);
      order(this.u32(this.orderAt, count));
    }
    this.sealed = true;
  }

  u8(at: number, n: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, at, n);
  }

  u32(at: number, n: number): Uint32Array {
    return new Uint32Array(this.x.memory.buffer, at, n);
  }

  private alloc(bytes: number): number {
    if (this.sealed) throw new Error('kernel memory is sealed');
    const at = Math.ceil(this.top / 8) * 8; // not `& ~7`: past 2 GiB that turns negative
    this.top = at + bytes;
    const mem = this.x.memory;
    if (this.top > mem.buffer.byteLength) {
      mem.grow(Math.ceil((this.top - mem.buffer.byteLength) / PAGE));
      this.views();
      if (this.host) this.columnViewsInto(this.host);
    }
    return at;
  }

  private columnViews(at: number[], n: number): (Uint32Array | Uint8Array | Float64Array | Int32Array)[] {
    const buf = this.x.memory.buffer;
    return KERNEL_COLUMNS.map(([, type], c) => new type(buf, at[c], n));
  }

  private columnViewsInto(host: ColumnHost): void {
    this.columnViews(this.columnsAt, this.capacity).forEach((view, c) => {
      host[KERNEL_COLUMNS[c][0]] = view;
    });
  }

  private views(): void {
    const { x } = this;
    const buf = x.memory.buffer;
    const kinds = x.kindsMax();
    this.input = new Uint8Array(buf, x.input(), x.inputSize());
    this.result = new Uint32Array(buf, x.result(), ScanResult.Count);
    this.namedIndex = new Uint32Array(buf, x.namedIndex(), x.namedMax());
    this.nameStart = new Uint32Array(buf, x.nameStart(), x.namedMax());
    this.nameEnd = new Uint32Array(buf, x.nameEnd(), x.namedMax());
    this.params = new Uint32Array(buf, x.params(), Param.CountOf);
    this.stats = new Uint32Array(buf, x.stats(), Stat.Count);
    this.kindCount = new Uint32Array(buf, x.kindCount(), kinds);
    this.kindBytes = new Float64Array(buf, x.kindBytes(), kinds);
    this.kindLineCount = new Uint32Array(buf, x.kindLineCount(), kinds);
    this.kindLines = new Uint32Array(buf, x.kindLines(), kinds * x.linesMax());
    this.totalCount = new Float64Array(buf, x.totalCount(), kinds);
    this.totalBytes = new Float64Array(buf, x.totalBytes(), kinds);
    this.totalFirst = new Uint32Array(buf, x.totalFirst(), kinds);
    this.fieldVma = new Uint32Array(buf, x.fieldVma(), x.fieldsMax());
    this.fieldSlot = new Uint8Array(buf, x.fieldSlot(), x.fieldsMax());
    this.fieldValue = new Float64Array(buf, x.fieldValue(), x.fieldsMax());
    this.keyIn = new Uint8Array(buf, x.keyIn(), x.keyLenMax());
    this.flagsIn = new Uint8Array(buf, x.flagsIn(), x.flagsLenMax());
  }
}
