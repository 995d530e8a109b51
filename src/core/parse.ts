import { Dump, FLAG_DELETED, MALFORMED_KEPT, PERM_R, PERM_SHARED, PERM_W, PERM_X } from './dump';
import { applyHeaderLine } from './header';
import { VMFLAGS } from './vmflags';

/**
 * One parser for every input, fed bytes in chunks: a string is encoded and pushed whole, a file
 * is streamed, and both give the same Dump. It scans bytes directly (no per-line strings on the
 * hot path) because a million-line dump must parse in a fraction of a second.
 */

const enum Mode {
  Maps,
  PmapX, // pmap -x: Address Kbytes RSS Dirty Mode Mapping
  PmapBigX, // pmap -X / -XX: smaps fields as columns
  PmapPlain, // pmap: Address Kbytes(K) Mode Mapping
}

const REASONS = [
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

const MAX_LINE = 65536;
const DELETED = ' (deleted)';

/** Hex digit value per byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) {
  HEX['0123456789abcdef'.charCodeAt(c)] = c;
  HEX['0123456789ABCDEF'.charCodeAt(c)] = c;
}

const encoder = new TextEncoder();

export class DumpParser {
  private readonly dump = new Dump();

  /** sizeHint: the input's size in bytes, if known, to pre-size the columns (about 50 bytes a line). */
  constructor(sizeHint = 0) {
    if (sizeHint > 0) this.dump.reserve(Math.ceil(sizeHint / 48));
  }

  private readonly decoder = new TextDecoder('utf-8');
  private carry: Uint8Array | undefined;
  private carryTooLong = false;
  private lineNo = 0;
  private mode = Mode.Maps;
  private pmapColumns: string[] = [];
  private pmapHasFlags = false;
  private pmapTitleSeen = false;
  private prevHi = -1;
  private prevLo = 0;
  private sawFields = false;
  // Scratch results of the byte scanners (avoids allocating tuples per field).
  private hi = 0;
  private lo = 0;
  private pos = 0;
  // Name interning: consecutive lines usually repeat the previous name.
  private lastName: Uint8Array = new Uint8Array(0);
  private lastNameId = -1;
  private readonly nameIds = new Map<string, number>();
  private readonly keyCache = new Map<number, string>();
  private readonly flagIds = new Map<string, number>();

  push(chunk: Uint8Array): void {
    let s = 0;
    if (this.carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.appendCarry(chunk);
        return;
      }
      this.appendCarry(chunk.subarray(0, nl));
      this.flushCarry();
      s = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= s) {
      this.lines(chunk, s, last + 1);
      s = last + 1;
    }
    if (s < chunk.length) {
      this.carry = chunk.slice(s, Math.min(chunk.length, s + MAX_LINE + 1));
      this.carryTooLong = chunk.length - s > MAX_LINE;
    }
  }

  pushString(text: string): void {
    this.push(encoder.encode(text));
  }

  end(): Dump {
    if (this.carry) this.flushCarry();
    const d = this.dump;
    d.lineCount = this.lineNo;
    if (this.mode === Mode.PmapX) d.format = 'pmap-x';
    else if (this.mode === Mode.PmapBigX) d.format = 'pmap-X';
    else if (this.mode === Mode.PmapPlain) d.format = 'pmap';
    else if (d.count === 0) d.format = 'empty';
    else if (this.sawFields) d.format = d.count === 1 && d.name(0) === '[rollup]' ? 'smaps_rollup' : 'smaps';
    else d.format = 'maps';
    return d;
  }

  private appendCarry(bytes: Uint8Array): void {
    const c = this.carry!;
    if (c.length >= MAX_LINE) {
      this.carryTooLong ||= bytes.length > 0;
      return;
    }
    const take = bytes.subarray(0, MAX_LINE + 1 - c.length);
    const joined = new Uint8Array(c.length + take.length);
    joined.set(c);
    joined.set(take, c.length);
    this.carry = joined;
    this.carryTooLong ||= take.length < bytes.length || joined.length > MAX_LINE;
  }

  private flushCarry(): void {
    const c = this.carry!;
    this.carry = undefined;
    if (this.carryTooLong) {
      this.carryTooLong = false;
      this.lineNo++;
      this.malformed(13, c, 0, Math.min(c.length, 80));
      return;
    }
    this.line(c, 0, c.length);
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

  /**
   * Every line in [s, limit), where limit follows a newline. Maps lines take a fast path that finds
   * the line's end while scanning it; anything else (or a maps line that fails) goes through line().
   */
  private lines(buf: Uint8Array, s: number, limit: number): void {
    while (s < limit) {
      const c = buf[s];
      if (this.mode === Mode.Maps && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
        this.lineNo++;
        if (this.mapsLine(buf, s, limit) === 0) {
          s = this.pos;
          continue;
        }
        this.lineNo--;
      }
      const nl = buf.indexOf(10, s);
      this.line(buf, s, nl);
      s = nl + 1;
    }
  }

  private line(buf: Uint8Array, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === 13) e--;
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
        if (p === s && HEX[c] >= 0) {
          const r = this.mapsLine(buf, p, e);
          if (r === 0) return;
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

  /** Scans hex digits from p into hi/lo (pos = first byte after); returns digit count (17 = too many). */
  private hex(buf: Uint8Array, p: number, e: number): number {
    // Up to 13 digits (52 bits: every user-space address) a double holds the value exactly.
    let q = p;
    let v = 0;
    let d: number;
    while (q < e && (d = HEX[buf[q]]) >= 0) {
      v = v * 16 + d;
      q++;
    }
    this.pos = q;
    const n = q - p;
    if (n <= 13) {
      const hi = Math.floor(v / 4294967296);
      this.hi = hi;
      this.lo = v - hi * 4294967296;
      return n;
    }
    if (n > 16) return 17;
    // Longer (kernel-half addresses such as [vsyscall]): the low 8 digits and the rest apart.
    let hi = 0;
    let lo = 0;
    for (let k = p; k < q - 8; k++) hi = hi * 16 + HEX[buf[k]];
    for (let k = q - 8; k < q; k++) lo = lo * 16 + HEX[buf[k]];
    this.hi = hi;
    this.lo = lo;
    return n;
  }

  /** Parses `start-end perms offset dev inode [name]`; 0 on success, else a reason code. */
  private mapsLine(buf: Uint8Array, p: number, e: number): number {
    let n = this.hex(buf, p, e);
    if (n === 17) return 2;
    if (this.pos >= e || buf[this.pos] !== 45 /* - */) return 1;
    const sHi = this.hi;
    const sLo = this.lo;
    n = this.hex(buf, this.pos + 1, e);
    if (n === 0) return 1;
    if (n === 17) return 2;
    const eHi = this.hi;
    const eLo = this.lo;
    if (eHi < sHi || (eHi === sHi && eLo < sLo)) return 3;
    p = this.pos;
    if (p + 5 > e || buf[p] !== 32) return 4;
    const perms = this.perms4(buf, p + 1);
    if (perms < 0 || (p + 5 < e && buf[p + 5] !== 32)) return 4;
    p += 6;
    n = this.hex(buf, p, e);
    if (n === 0 || n === 17 || (this.pos < e && buf[this.pos] !== 32)) return 5;
    const offset = this.hi * 4294967296 + this.lo;
    const dev = this.device(buf, this.pos + 1, e);
    if (dev < 0) return 6;
    p = this.pos;
    if (p >= e || buf[p] !== 32) return 7;
    p++;
    let inode = 0;
    const p0 = p;
    while (p < e && buf[p] >= 48 && buf[p] <= 57) inode = inode * 10 + (buf[p++] - 48);
    if (p === p0 || (p < e && buf[p] !== 32 && buf[p] !== 10 && buf[p] !== 13)) return 7;
    while (p < e && buf[p] === 32) p++;
    // The name runs to the end of the line; e may lie past it (fast path) or at it (one line).
    let nl = p;
    while (nl < e && buf[nl] !== 10) {
      if (buf[nl] === 0) return 8;
      nl++;
    }
    const lineEnd = nl > p && buf[nl - 1] === 13 ? nl - 1 : nl;
    const i = this.addVma(sHi, sLo, eHi, eLo, perms);
    const d = this.dump;
    d.offset[i] = offset;
    d.dev[i] = dev;
    d.inode[i] = inode;
    if (lineEnd > p) this.setName(i, buf, p, lineEnd);
    this.pos = nl + 1;
    return 0;
  }

  private perms4(buf: Uint8Array, p: number): number {
    const r = buf[p];
    const w = buf[p + 1];
    const x = buf[p + 2];
    const s = buf[p + 3];
    if ((r !== 114 && r !== 45) || (w !== 119 && w !== 45) || (x !== 120 && x !== 45)) return -1;
    if (s !== 112 && s !== 115) return -1;
    return (r === 114 ? PERM_R : 0) | (w === 119 ? PERM_W : 0) | (x === 120 ? PERM_X : 0) | (s === 115 ? PERM_SHARED : 0);
  }

  /** `major:minor` in hex into MKDEV form (major << 20 | minor); -1 when malformed. */
  private device(buf: Uint8Array, p: number, e: number): number {
    let n = this.hex(buf, p, e);
    if (n === 0 || n > 3 || this.pos >= e || buf[this.pos] !== 58) return -1;
    const major = this.lo;
    n = this.hex(buf, this.pos + 1, e);
    if (n === 0 || n > 5) return -1;
    return major * 1048576 + this.lo;
  }

  private addVma(sHi: number, sLo: number, eHi: number, eLo: number, perms: number): number {
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
      this.nameIds.set(name, id);
    }
    this.lastName = buf.slice(p, e);
    this.lastNameId = id;
    d.nameId[i] = id;
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
    const kb = Number(m[2]);
    const mode = m[5];
    const perms =
      (mode[0] === 'r' ? PERM_R : 0) | (mode[1] === 'w' ? PERM_W : 0) | (mode[2] === 'x' ? PERM_X : 0) | (mode[3] === 's' ? PERM_SHARED : 0);
    const i = this.rowVma(m[1], kb, perms);
    if (i < 0) return false;
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
    const perms = this.perms4(encoder.encode(perm), 0);
    const i = this.rowVma(addr, values[sizeIdx], perms);
    if (i < 0) return false;
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

  private rowVma(addrHex: string, kb: number, perms: number): number {
    this.hex(encoder.encode(addrHex), 0, addrHex.length);
    const sHi = this.hi;
    const sLo = this.lo;
    const bytes = kb * 1024;
    const lo = sLo + (bytes % 4294967296);
    const eHi = sHi + Math.floor(bytes / 4294967296) + Math.floor(lo / 4294967296);
    return this.addVma(sHi, sLo, eHi, lo % 4294967296, perms);
  }

  private setNameString(i: number, name: string): void {
    if (!name) return;
    const bytes = encoder.encode(name);
    this.setName(i, bytes, 0, bytes.length);
  }
}

/** Parses a whole dump held in memory. */
export function parseDump(text: string | Uint8Array): Dump {
  const p = new DumpParser();
  if (typeof text === 'string') p.pushString(text);
  else p.push(text);
  return p.end();
}
