import { addBytes, parseHex } from './addr';
import { Dump, FLAG_DELETED, MALFORMED_KEPT, PERM_R, PERM_SHARED, PERM_W, PERM_X } from './dump';
import { applyHeaderLine } from './header';
import { ScanResult } from './kernel';
import { VMFLAGS } from './vmflags';

/**
 * One parser for every input, fed bytes in chunks: a string is encoded and pushed whole, a file
 * is streamed, and both give the same Dump. Maps lines, nearly all of any dump, are written into
 * the Dump's columns by the WebAssembly kernel (kernel.c) a window at a time; the rest is scanned
 * here byte by byte.
 */

const enum Mode {
  Maps,
  PmapX, // pmap -x: Address Kbytes RSS Dirty Mode Mapping
  PmapBigX, // pmap -X / -XX: smaps fields as columns
  PmapPlain, // pmap: Address Kbytes(K) Mode Mapping
}

/** Why a line is malformed, by the reason codes the parser and kernel.c give. */
export const REASONS = [
  '',
  'expected an address range "start-end" in hexadecimal',
  'address has more than 16 hexadecimal digits',
  'end address is below the start address',
  'permissions must be four characters like "r-xp"',
  'offset is not hexadecimal',
  'device must be "major:minor" in hexadecimal',
  'inode is not a decimal number',
  'binary data (NUL bytes) in the line',
  'smaps field before any mapping line',
  'smaps field value is not a number',
  'not a maps, smaps or pmap line',
  'pmap row does not match its header',
  'line is longer than 64 KiB',
] as const;

/** As in kernel.c: the bytes scanned at a time, and the longest line. */
const WINDOW = 1 << 20;
const MAX_LINE = 65536;
const DELETED = ' (deleted)';

const isHexByte = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** `r-xp` (or pmap's `r-x--`) as PERM_* bits. */
function permsOf(mode: string): number {
  return (
    (mode[0] === 'r' ? PERM_R : 0) | (mode[1] === 'w' ? PERM_W : 0) | (mode[2] === 'x' ? PERM_X : 0) | (mode[3] === 's' ? PERM_SHARED : 0)
  );
}

const encoder = new TextEncoder();

export class DumpParser {
  private readonly dump = new Dump();
  private readonly kernel = this.dump.kernel;
  private ended = false;

  /** sizeHint: the input's size in bytes, if known, to pre-size the columns (about 50 bytes a line). */
  constructor(sizeHint = 0) {
    if (sizeHint > 0) this.dump.reserve(Math.ceil(sizeHint / 48));
  }

  private readonly decoder = new TextDecoder('utf-8');
  /** Bytes of an unfinished line at the start of the kernel's input. */
  private carry = 0;
  /** The start of a line longer than MAX_LINE, whose bytes are dropped up to its newline. */
  private longLine: Uint8Array | undefined;
  private lineNo = 0;
  private mode = Mode.Maps;
  private pmapColumns: string[] = [];
  private pmapHasFlags = false;
  private pmapTitleSeen = false;
  private prevHi = -1;
  private prevLo = 0;
  private sawFields = false;
  // Name interning: consecutive lines usually repeat the previous name.
  private lastName: Uint8Array = new Uint8Array(0);
  private lastNameId = -1;
  private readonly nameIds = new Map<string, number>();
  private readonly keyCache = new Map<number, string>();
  private readonly flagIds = new Map<string, number>();

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('DumpParser: push() after end()');
    for (let at = 0; at < chunk.length; at += WINDOW) this.window(chunk.subarray(at, at + WINDOW));
  }

  pushString(text: string): void {
    this.push(encoder.encode(text));
  }

  end(): Dump {
    if (this.ended) return this.dump;
    if (this.longLine) this.tooLong();
    else if (this.carry > 0) {
      // The last line has no newline: give it one.
      this.kernel.input[this.carry] = 10;
      this.lines(0, this.carry + 1);
      this.carry = 0;
    }
    const d = this.dump;
    d.lineCount = this.lineNo;
    if (this.mode === Mode.PmapX) d.format = 'pmap-x';
    else if (this.mode === Mode.PmapBigX) d.format = 'pmap-X';
    else if (this.mode === Mode.PmapPlain) d.format = 'pmap';
    else if (d.count === 0) d.format = 'empty';
    else if (this.sawFields) d.format = d.count === 1 && d.name(0) === '[rollup]' ? 'smaps_rollup' : 'smaps';
    else d.format = 'maps';
    this.ended = true;
    d.seal();
    return d;
  }

  /** Up to WINDOW bytes: appended to the carried line, complete lines parsed, the rest carried. */
  private window(bytes: Uint8Array): void {
    if (this.longLine) {
      const nl = bytes.indexOf(10);
      if (nl < 0) return;
      this.tooLong();
      bytes = bytes.subarray(nl + 1);
    }
    const buf = this.kernel.input;
    buf.set(bytes, this.carry);
    const len = this.carry + bytes.length;
    const last = len > 0 ? buf.lastIndexOf(10, len - 1) : -1;
    const s = last + 1;
    if (s > 0) this.lines(0, s);
    // Parsing may have grown the kernel's memory: its input is a new view.
    const rest = this.kernel.input;
    if (len - s > MAX_LINE) {
      this.longLine = rest.slice(s, s + 80);
      this.carry = 0;
      return;
    }
    rest.copyWithin(0, s, len);
    this.carry = len - s;
  }

  private tooLong(): void {
    const start = this.longLine!;
    this.longLine = undefined;
    this.lineNo++;
    this.malformed(13, start, 0, start.length);
  }

  private malformed(reason: number, buf: Uint8Array, s: number, e: number): void {
    const d = this.dump;
    // Junk bytes explain any failure better than the field that happened to break first.
    for (let k = s; k < e; k++) {
      if (buf[k] === 0) {
        reason = 8;
        break;
      }
    }
    d.malformedCount++;
    if (d.malformed.length < MALFORMED_KEPT) {
      const raw = this.decoder.decode(buf.subarray(s, Math.min(e, s + 80)));
      d.malformed.push({ line: this.lineNo, reason: REASONS[reason], text: raw.replace(/[\x00-\x1f\x7f\ufffd]/g, '\u00b7') });
    }
  }

  /** Every line of the kernel's input in [s, limit), where limit follows a newline. */
  private lines(s: number, limit: number): void {
    while (s < limit) {
      const c = this.kernel.input[s];
      if (this.mode === Mode.Maps && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
        const next = this.scan(s, limit, this.lineNo, this.dump.room(1));
        this.lineNo += this.kernel.result[ScanResult.Written];
        if (next > s) {
          s = next;
          continue;
        }
      }
      // The kernel's memory may have grown: fetch its input afresh.
      const buf = this.kernel.input;
      const nl = buf.indexOf(10, s);
      this.line(buf, s, nl);
      s = nl + 1;
    }
  }

  /**
   * The kernel writes the maps lines from s straight into the Dump's columns (at most room of
   * them); here they are counted and their names interned. Returns where it stopped.
   */
  private scan(s: number, limit: number, lineNo: number, room: number): number {
    const k = this.kernel;
    const d = this.dump;
    const next = k.x.scan(s, limit, lineNo, d.count, room);
    const r = k.result;
    d.count += r[ScanResult.Written];
    const buf = k.input;
    for (let j = 0, named = r[ScanResult.Named]; j < named; j++) {
      this.setName(k.namedIndex[j], buf, k.nameStart[j], k.nameEnd[j]);
    }
    if (r[ScanResult.Unsorted]) d.sorted = false;
    if (r[ScanResult.MaxEndHi] > d.maxEndHi) d.maxEndHi = r[ScanResult.MaxEndHi];
    return next;
  }

  /** The line of buf in [s, nl), nl its newline. */
  private line(buf: Uint8Array, s: number, nl: number): void {
    this.lineNo++;
    if (nl - s > MAX_LINE) {
      this.malformed(13, buf, s, s + 80);
      return;
    }
    const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
    let p = s;
    while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === e) return;
    const c = buf[p];
    if (c === 35 /* # */) {
      applyHeaderLine(this.dump.header, this.decoder.decode(buf.subarray(p, e)), this.lineNo);
      return;
    }
    switch (this.mode) {
      case Mode.Maps: {
        if (c >= 65 && c <= 90 && this.isFieldKey(buf, p, e)) {
          this.fieldLine(buf, p, e, s);
          return;
        }
        if (p === s && isHexByte(c)) {
          // The kernel, on this one line: it writes the VMA, or says what is wrong with the line.
          this.dump.room(1);
          this.scan(s, nl + 1, this.lineNo - 1, 1);
          if (this.kernel.result[ScanResult.Written] === 1) return;
          const r = this.kernel.result[ScanResult.Reason];
          buf = this.kernel.input; // room() may have grown the kernel's memory
          if (this.dump.count === 0 && !this.pmapTitleSeen && this.pmapTitle(buf, p, e)) return;
          this.malformed(r, buf, s, e);
          return;
        }
        this.malformed(11, buf, s, e);
        return;
      }
      default:
        this.pmapLine(buf, p, e, s);
    }
  }

  /** Name from p to e (trailing blanks trimmed), " (deleted)" split off, `\012` decoded. */
  private setName(i: number, buf: Uint8Array, p: number, e: number): void {
    while (e > p && buf[e - 1] === 32) e--;
    if (e === p) return;
    const d = this.dump;
    if (e - p > DELETED.length && buf[e - 1] === 41 /* ) */ && this.endsWithDeleted(buf, e)) {
      d.flags[i] |= FLAG_DELETED;
      e -= DELETED.length;
    }
    const len = e - p;
    const last = this.lastName;
    if (len === last.length && this.lastNameId >= 0) {
      let same = true;
      for (let k = len - 1; k >= 0; k--) {
        if (buf[p + k] !== last[k]) {
          same = false;
          break;
        }
      }
      if (same) {
        d.nameId[i] = this.lastNameId;
        d.namePerms[this.lastNameId] |= d.perms[i];
        return;
      }
    }
    let name = this.decoder.decode(buf.subarray(p, e));
    if (name.includes('\\012')) name = name.replace(/\\012/g, '\n');
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = d.names.length;
      d.names.push(name);
      d.nameFirst.push(i);
      d.namePerms.push(0);
      this.nameIds.set(name, id);
    }
    this.lastName = buf.slice(p, e);
    this.lastNameId = id;
    d.nameId[i] = id;
    d.namePerms[id] |= d.perms[i];
  }

  private endsWithDeleted(buf: Uint8Array, e: number): boolean {
    for (let k = 0; k < DELETED.length; k++) {
      if (buf[e - DELETED.length + k] !== DELETED.charCodeAt(k)) return false;
    }
    return true;
  }

  /** Short ASCII keys (smaps fields) decoded through a small cache keyed by length and edges. */
  private key(buf: Uint8Array, s: number, e: number): string {
    const h = (e - s) * 65536 + buf[s] * 256 + buf[e - 1];
    const hit = this.keyCache.get(h);
    if (hit !== undefined && hit.length === e - s) {
      let ok = true;
      for (let k = 1; k < hit.length - 1; k++) {
        if (hit.charCodeAt(k) !== buf[s + k]) {
          ok = false;
          break;
        }
      }
      if (ok) return hit;
    }
    let k = '';
    for (let j = s; j < e; j++) k += String.fromCharCode(buf[j]);
    this.keyCache.set(h, k);
    return k;
  }

  /** `Key:` where Key is an identifier: smaps fields (some, like Anonymous, start with a hex letter). */
  private isFieldKey(buf: Uint8Array, p: number, e: number): boolean {
    for (let q = p; q < e; q++) {
      const b = buf[q];
      if (b === 58) return q > p;
      if (!((b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b === 95)) return false;
    }
    return false;
  }

  /** An smaps `Key:   value kB` line, or `VmFlags: rd wr …`, for the VMA above it. */
  private fieldLine(buf: Uint8Array, p: number, e: number, s: number): void {
    let q = p;
    while (q < e && buf[q] !== 58 /* : */ && buf[q] !== 32) q++;
    if (q >= e || buf[q] !== 58) {
      this.malformed(11, buf, s, e);
      return;
    }
    const d = this.dump;
    if (d.count === 0) {
      this.malformed(9, buf, s, e);
      return;
    }
    const key = this.key(buf, p, q);
    q++;
    while (q < e && buf[q] === 32) q++;
    const i = d.count - 1;
    this.sawFields = true;
    if (key === 'VmFlags') {
      let end = e;
      while (end > q && buf[end - 1] === 32) end--;
      d.vmFlags[i] = this.flagSet(this.decoder.decode(buf.subarray(q, end)));
      return;
    }
    let v = 0;
    const q0 = q;
    while (q < e && buf[q] >= 48 && buf[q] <= 57) v = v * 10 + (buf[q++] - 48);
    if (q === q0) {
      this.malformed(10, buf, s, e);
      return;
    }
    d.field(key)[i] = v;
  }

  private flagSet(flags: string): number {
    let id = this.flagIds.get(flags);
    if (id === undefined) {
      id = this.dump.vmFlagSets.length;
      this.dump.vmFlagSets.push(flags);
      this.flagIds.set(flags, id);
    }
    return id;
  }

  /** `1234:   /usr/sbin/mariadbd --user=mysql`: the first line of pmap output. */
  private pmapTitle(buf: Uint8Array, p: number, e: number): boolean {
    const m = /^(\d+):\s+(.*)$/.exec(this.decoder.decode(buf.subarray(p, e)));
    if (!m) return false;
    this.pmapTitleSeen = true;
    const h = this.dump.header;
    h.pid ??= Number(m[1]);
    h.command ??= m[2].trim();
    this.mode = Mode.PmapPlain;
    return true;
  }

  /** The column header under a pmap title picks -x or -X/-XX. */
  private pmapHeader(buf: Uint8Array, p: number, e: number): boolean {
    const cols = this.decoder.decode(buf.subarray(p, e)).trim().split(/\s+/);
    if (cols[0] !== 'Address') return false;
    if (cols[1] === 'Kbytes') {
      this.mode = Mode.PmapX;
      this.pmapColumns = cols;
      return true;
    }
    if (cols[1] === 'Perm') {
      this.mode = Mode.PmapBigX;
      this.pmapColumns = cols;
      this.pmapHasFlags = cols.includes('VmFlags');
      return true;
    }
    return false;
  }

  private pmapLine(buf: Uint8Array, p: number, e: number, s: number): void {
    const c = buf[p];
    // Separators (---- / ====) and totals rows carry no VMA.
    if (c === 45 || c === 61) return;
    if (this.dump.count === 0 && this.mode === Mode.PmapPlain && this.pmapHeader(buf, p, e)) return;
    const text = this.decoder.decode(buf.subarray(p, e));
    if (/^total\b/.test(text) || /\bKB\s*$/.test(text)) return;
    const ok =
      this.mode === Mode.PmapBigX ? this.pmapBigXRow(text) : this.pmapSimpleRow(text, this.mode === Mode.PmapX);
    if (!ok) this.malformed(12, buf, s, e);
  }

  private static readonly SIMPLE_ROW = /^([0-9a-f]{1,16})\s+(\d+)K?\s+(?:(\d+|-)\s+(\d+|-)\s+)?([r-][w-][x-][s-][R-])\s*(.*)$/;

  /** pmap -x (`Address Kbytes RSS Dirty Mode Mapping`) and plain pmap (`Address 8K Mode Mapping`). */
  private pmapSimpleRow(text: string, extended: boolean): boolean {
    const m = DumpParser.SIMPLE_ROW.exec(text);
    if (!m || extended !== (m[3] !== undefined)) return false;
    const i = this.rowVma(m[1], Number(m[2]), permsOf(m[5]));
    const d = this.dump;
    if (extended) {
      if (m[3] !== '-') d.field('Rss')[i] = Number(m[3]);
      if (m[4] !== '-') d.field('Dirty')[i] = Number(m[4]);
      this.sawFields = true;
    }
    const mapping = m[6].trim();
    const name = mapping === '[ anon ]' ? '' : mapping === '[ stack ]' ? '[stack]' : mapping;
    this.setNameString(i, name);
    return true;
  }

  /** pmap -X / -XX: Address Perm Offset Device Inode <fields…> [VmFlags] Mapping. */
  private pmapBigXRow(text: string): boolean {
    const cols = this.pmapColumns;
    const tokens = text.split(/\s+/);
    if (tokens.length < 5) return false;
    const [addr, perm, off, dev] = tokens;
    if (!/^[0-9a-f]{1,16}$/.test(addr) || !/^[r-][w-][x-][ps]$/.test(perm) || !/^[0-9a-f]+$/.test(off)) return false;
    const dm = /^([0-9a-f]{1,3}):([0-9a-f]{1,5})$/.exec(dev);
    if (!dm || !/^\d+$/.test(tokens[4])) return false;
    const numeric = cols.slice(5).filter((k) => k !== 'VmFlags' && k !== 'Mapping');
    const values: number[] = [];
    let t = 5;
    for (const _ of numeric) {
      if (t >= tokens.length || !/^\d+$/.test(tokens[t])) return false;
      values.push(Number(tokens[t++]));
    }
    const sizeIdx = numeric.indexOf('Size');
    if (sizeIdx < 0) return false;
    const i = this.rowVma(addr, values[sizeIdx], permsOf(perm));
    const d = this.dump;
    d.offset[i] = parseInt(off, 16);
    d.dev[i] = parseInt(dm[1], 16) * 1048576 + parseInt(dm[2], 16);
    d.inode[i] = Number(tokens[4]);
    numeric.forEach((k, j) => {
      if (k !== 'Size') d.field(k)[i] = values[j];
    });
    this.sawFields = true;
    const flags: string[] = [];
    if (this.pmapHasFlags) {
      while (t < tokens.length && VMFLAGS.has(tokens[t])) flags.push(tokens[t++]);
      if (flags.length) d.vmFlags[i] = this.flagSet(flags.join(' '));
    }
    // The mapping keeps its own spaces: cut it from the text after the t-th token.
    let at = 0;
    for (let k = 0; k < t; k++) {
      at = text.indexOf(tokens[k], at) + tokens[k].length;
    }
    this.setNameString(i, text.slice(at).trim());
    return true;
  }

  /** A pmap row's VMA from its hex address (checked by the caller) and size. */
  private rowVma(addrHex: string, kb: number, perms: number): number {
    const [sHi, sLo] = parseHex(addrHex)!;
    const [eHi, eLo] = addBytes(sHi, sLo, kb * 1024);
    const d = this.dump;
    const i = d.add();
    d.startHi[i] = sHi;
    d.startLo[i] = sLo;
    d.endHi[i] = eHi;
    d.endLo[i] = eLo;
    d.perms[i] = perms;
    d.line[i] = this.lineNo;
    if (sHi < this.prevHi || (sHi === this.prevHi && sLo < this.prevLo)) d.sorted = false;
    if (eHi > d.maxEndHi) d.maxEndHi = eHi;
    this.prevHi = sHi;
    this.prevLo = sLo;
    return i;
  }

  private setNameString(i: number, name: string): void {
    if (!name) return;
    const bytes = encoder.encode(name);
    this.setName(i, bytes, 0, bytes.length);
  }
}

/** Parses a whole dump held in memory. */
export function parseDump(text: string | Uint8Array): Dump {
  const p = new DumpParser(text.length);
  if (typeof text === 'string') p.pushString(text);
  else p.push(text);
  return p.end();
}
