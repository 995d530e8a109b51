import { MAPS_SCAN_WASM } from './mapsScanWasm';

/**
 * The WebAssembly maps-line scanner (mapsScan.c). Each instance has its own memory (with a large
 * virtual reservation), so parsers borrow one from a small pool rather than making their own.
 */

interface Exports {
  memory: WebAssembly.Memory;
  scan(s: number, limit: number, lineNo: number): number;
  capacity(): number;
  resultCount(): number;
  reset(): void;
  inputSize(): number;
  input(): number;
  result(): number;
  startHi(): number;
  startLo(): number;
  endHi(): number;
  endLo(): number;
  dev(): number;
  line(): number;
  nameStart(): number;
  nameEnd(): number;
  named(): number;
  perms(): number;
  offset(): number;
  inode(): number;
}

/** Indices into MapsScanner.result, as in mapsScan.c. */
export const enum ScanResult {
  Staged,
  Reason,
  Named,
  Unsorted,
  MaxEndHi,
  /** Bits: 1 some offset, 2 some device, 4 some inode is non-zero. */
  NonZero,
}

let compiled: WebAssembly.Module | undefined;

function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    const bin = atob(MAPS_SCAN_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

const idle: MapsScanner[] = [];
const POOL_SIZE = 4;

/** A scanner ready for a new dump; give it back with releaseScanner() when the dump is parsed. */
export function acquireScanner(): MapsScanner {
  const s = idle.pop() ?? new MapsScanner();
  s.reset();
  return s;
}

export function releaseScanner(s: MapsScanner): void {
  if (idle.length < POOL_SIZE) idle.push(s);
}

export class MapsScanner {
  private readonly x: Exports;
  /** Where the parser puts the bytes to scan: a window of input plus a carried-over line. */
  readonly input: Uint8Array;
  readonly result: Uint32Array;
  /** Staged lines, columns as in Dump. */
  readonly startHi: Uint32Array;
  readonly startLo: Uint32Array;
  readonly endHi: Uint32Array;
  readonly endLo: Uint32Array;
  readonly dev: Uint32Array;
  readonly line: Uint32Array;
  readonly perms: Uint8Array;
  readonly offset: Float64Array;
  readonly inode: Float64Array;
  /** Where each staged line's name starts and ends in input (equal: no name). */
  readonly nameStart: Uint32Array;
  readonly nameEnd: Uint32Array;
  /** Indices of the staged lines that have a name (result[Named] of them). */
  readonly named: Uint32Array;

  constructor() {
    this.x = new WebAssembly.Instance(wasmModule(), {}).exports as unknown as Exports;
    const { x } = this;
    const buf = x.memory.buffer;
    const n = x.capacity();
    this.input = new Uint8Array(buf, x.input(), x.inputSize());
    this.result = new Uint32Array(buf, x.result(), x.resultCount());
    this.startHi = new Uint32Array(buf, x.startHi(), n);
    this.startLo = new Uint32Array(buf, x.startLo(), n);
    this.endHi = new Uint32Array(buf, x.endHi(), n);
    this.endLo = new Uint32Array(buf, x.endLo(), n);
    this.dev = new Uint32Array(buf, x.dev(), n);
    this.line = new Uint32Array(buf, x.line(), n);
    this.perms = new Uint8Array(buf, x.perms(), n);
    this.offset = new Float64Array(buf, x.offset(), n);
    this.inode = new Float64Array(buf, x.inode(), n);
    this.nameStart = new Uint32Array(buf, x.nameStart(), n);
    this.nameEnd = new Uint32Array(buf, x.nameEnd(), n);
    this.named = new Uint32Array(buf, x.named(), n);
  }

  /**
   * Stages the maps lines of input from s (up to limit, just after a newline) until one is not a
   * well-formed maps line or the staging is full; returns where it stopped. lineNo: the line
   * number before s.
   */
  scan(s: number, limit: number, lineNo: number): number {
    return this.x.scan(s, limit, lineNo);
  }

  reset(): void {
    this.x.reset();
  }
}
