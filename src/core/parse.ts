import { addBytes, parseHex } from './addr';
import { Dump, FLAG_DELETED, MALFORMED_KEPT, PERM_R, PERM_SHARED, PERM_W, PERM_X } from './dump';
import { applyHeaderLine } from './header';
import { mark, t, tMarked } from './l10n';
import { MAX_LINE, NO_OWNER, Reason, ScanResult, SLOT_VMFLAGS, WINDOW } from './kernelContract';
import { GDB_HEADER, GDB_PREAMBLE, GDB_TRAILER, gdbRow, HS_ERR_BANNER, HS_ERR_LIBRARIES, hsErrFact, numaRow } from './toolDumps';
import { VMFLAGS } from './vmflags';

/**
 * One parser for every input, fed bytes in chunks: a string is encoded and pushed whole, a file
 * is streamed, and both give the same Dump. Maps lines and smaps field lines, nearly all of any
 * dump, are read by the WebAssembly kernel (kernel.c) a window at a time: it writes the maps
 * lines into the Dump's columns and stages field values for this file to store; the rest (and
 * the first line of each field name or VmFlags set, which the kernel learns from) is scanned
 * here byte by byte.
 */

const enum Mode {
  Maps,
  PmapX, // pmap -x: Address Kbytes RSS Dirty Mode Mapping
  PmapBigX, // pmap -X / -XX: smaps fields as columns
  PmapPlain, // pmap: Address Kbytes(K) Mode Mapping
  PmapD, // pmap -d: Address Kbytes Mode Offset Device Mapping
  Gdb, // gdb info proc mappings: Start Addr End Addr Size Offset [Perms] objfile
  Numa, // /proc/PID/numa_maps: address policy key=value…
  Skip, // a JVM crash log outside its Dynamic libraries: section
}

/** Why a line is malformed, by the reason codes the parser and kernel.c give. */
export const REASONS: readonly string[] = [
  '',
  mark('expected an address range "start-end" in hexadecimal'),
  mark('address has more than 16 hexadecimal digits'),
  mark('end address is below the start address'),
  mark('permissions must be four characters like "r-xp"'),
  mark('offset is not hexadecimal'),
  mark('device must be "major:minor" in hexadecimal'),
  mark('inode is not a decimal number'),
  mark('binary data (NUL bytes) in the line'),
  mark('smaps field before any mapping line'),
  mark('smaps field value is not a number'),
  mark('not a maps, smaps or pmap line'),
  mark('pmap row does not match its header'),
  mark('line is longer than 64 KiB'),
  mark('gdb row does not match "Start Addr End Addr Size Offset [Perms] objfile"'),
  mark('numa_maps row is not "address policy key=value…"'),
];

const ORPHAN_FIELDS = / \(and its (\d+) field lines? below, ignored\)$/;

/**
 * A malformed line's reason in the catalogue's language. The dump keeps it in English (JSON
 * output and tests read it), with the count of field lines ignored under it appended.
 */
export function reasonText(reason: string): string {
  const m = ORPHAN_FIELDS.exec(reason);
  if (!m) return tMarked(reason);
  const n = Number(m[1]);
  return tMarked(reason.slice(0, m.index)) + (n === 1 ? t(' (and its {0} field line below, ignored)', n) : t(' (and its {0} field lines below, ignored)', n));
}

/** pmap rows by shape, so that headerless output (`-q`, pasted rows) is read too. */
const SIMPLE_ROW = /^([0-9a-f]{1,16})\s+(\d+)(K?)\s+(?:(\d+|-)\s+(\d+|-)\s+)?([r-][w-][x-][s-][R-])\s*(.*)$/;
const D_ROW = /^([0-9a-f]{1,16})\s+(\d+)\s+([r-][w-][x-][s-][R-])\s+([0-9a-f]{1,16})\s+([0-9a-f]{1,3}):([0-9a-f]{1,5})\s*(.*)$/;
const BIG_X_ROW = /^[0-9a-f]{1,16}\s+[r-][w-][x-][ps]\s/;
/** `1234:   /usr/sbin/mariadbd --user=mysql`, or a redacted `PROCESS:   dashd`. */
const PMAP_TITLE = /^(\d+|[A-Za-z][\w-]*):\s+(\S.*)$/;
/** `==> /proc/1/maps <==`: head or tail of several files. */
const HEAD_SEPARATOR = /^==> (.*) <==\s*$/;
/** pmap prints basenames; these name kernel objects, not files, and get their full names back. */
const PMAP_BASENAME = /^(zero|anon_hugepage|SYSV[0-9a-f]{8}|memfd:.*) \(deleted\)$/;

const DELETED = ' (deleted)';

const isHexByte = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** `r-xp` (or pmap's `r-x--`) as PERM_* bits. */
function permsOf(mode: string): number {
  return (mode[0] === 'r' ? PERM_R : 0) | (mode[1] === 'w' ? PERM_W : 0) | (mode[2] === 'x' ? PERM_X : 0) | (mode[3] === 's' ? PERM_SHARED : 0);
}

const encoder = new TextEncoder();

export class DumpParser {
  private readonly dump = new Dump();
  private readonly kernel = this.dump.kernel;
  private ended = false;

  /**
   * sizeHint: the input's size in bytes, if known, to size the columns once the first window
   * shows how many bytes a VMA takes (about 50 in maps, 700 in smaps): a dump is then rarely
   * moved while growing, and never given columns for VMAs it does not have.
   */
  constructor(private sizeHint = 0) {}

  /** Bytes pushed so far. */
  private seen = 0;

  private readonly decoder = new TextDecoder('utf-8');
  /** Bytes of an unfinished line at the start of the kernel's input. */
  private carry = 0;
  /** The start of a line longer than MAX_LINE, whose bytes are dropped up to its newline. */
  private longLine: Uint8Array | undefined;
  private lineNo = 0;
  private mode = Mode.Maps;
  private pmapColumns: string[] = [];
  private pmapHasFlags = false;
  /** A title line seen before any VMA: command, and pid when it shows one. */
  private pmapTitleSeen = false;
  private prevHi = -1;
  private prevLo = 0;
  private prevEndHi = 0;
  private prevEndLo = 0;
  private sawFields = false;
  /** The section (process) being read, and where the current header lines go. */
  private section = this.dump.sections[0];
  /** The line of a rejected mapping line whose field lines follow (0: none), and how many. */
  private orphanOf = 0;
  private orphanFields = 0;
  /** First unsorted and overlapping line of the section (0: none), from the kernel or pmap rows. */
  private unsortedLine = 0;
  private overlapLine = 0;
  /** A JVM crash log, and whether its maps lines (Dynamic libraries:) are being read. */
  private hsErr = false;
  private hsErrLibs = false;
  // Name interning: consecutive lines usually repeat the previous name.
  private lastName: Uint8Array = new Uint8Array(0);
  private lastNameId = -1;
  private readonly nameIds = new Map<string, number>();
  private readonly keyCache = new Map<number, string>();
  private readonly flagIds = new Map<string, number>();
  /** Field names by the kernel's slot for them, and each name's slot once taught (-1: no room in the kernel). */
  private readonly slotKeys: string[] = [];
  private readonly slotOf = new Map<string, number>();

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('DumpParser: push() after end()');
    for (let at = 0; at < chunk.length; at += WINDOW) this.window(chunk.subarray(at, at + WINDOW));
  }

  /**
   * Where the next bytes can be read to spare a copy: the kernel's input after the carried line,
   * one window long. Push what was read there (a subarray of it) before asking again.
   */
  readInto(): Uint8Array {
    if (this.ended) throw new Error('DumpParser: readInto() after end()');
    return this.kernel.input.subarray(this.carry, this.carry + WINDOW);
  }

  /**
   * Encoded straight into the kernel's input a window at a time: no copy of the whole text as
   * bytes (an open million-line document is 49 MB of them) and no second copy into the input.
   */
  pushString(text: string): void {
    for (let at = 0; at < text.length;) {
      const into = this.readInto();
      // As many UTF-16 units as the window has bytes: their UTF-8 is at least as long, so the
      // window fills first, and a pair cut at the end is left whole for the next window (a lone
      // half would take three bytes where at most one is left).
      const { read, written } = encoder.encodeInto(text.substring(at, at + into.length), into);
      at += read;
      this.push(into.subarray(0, written));
    }
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
    this.closeOrphans();
    this.closeSection();
    // A separator after the last process (`echo ---` in a loop) starts nothing.
    if (d.sections.length > 1 && d.sections[d.sections.length - 1].first === d.count) d.sections.pop();
    if (d.sections.length > 1) d.sorted = d.sections.every((sec) => sec.sorted);
    if (d.extraFieldNames > 0) {
      d.notes.push({
        line: 1,
        message: t(
          '{0} distinct field names: the {1} past the first {2} are kept per VMA (no real smaps has so many)',
          d.fields.size + d.extraFieldNames,
          d.extraFieldNames,
          d.fields.size,
        ),
      });
    }
    if (d.permsUnknown) {
      d.notes.push({
        line: 1,
        message: d.sizesUnknown
          ? t(
              'numa_maps gives no sizes and no permissions: what depends on them (code or data, guard pages, arenas, thread stacks, sizes, fragmentation) is not told',
            )
          : t('this gdb prints no Perms column: what depends on them (code or data, guard pages, arenas, thread stacks) is not told'),
      });
    }
    if (this.hsErr) d.format = 'hs_err';
    else if (this.mode === Mode.Gdb) d.format = 'gdb';
    else if (this.mode === Mode.Numa) d.format = 'numa_maps';
    else if (this.mode === Mode.PmapX) d.format = 'pmap-x';
    else if (this.mode === Mode.PmapD) d.format = 'pmap-d';
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
    // Bytes read straight into readInto()'s window are where they belong already.
    if (bytes.buffer !== buf.buffer || bytes.byteOffset !== buf.byteOffset + this.carry) buf.set(bytes, this.carry);
    const len = this.carry + bytes.length;
    const last = len > 0 ? buf.lastIndexOf(10, len - 1) : -1;
    const s = last + 1;
    // Counted first: parsing may grow the kernel's memory, and bytes read into it then read as empty.
    this.seen += bytes.length;
    if (s > 0) this.lines(0, s);
    if (this.sizeHint > this.seen && this.dump.count > 0) {
      // 2% over what the first window's density predicts: growing past it costs a move in place.
      this.dump.reserve(Math.ceil((this.dump.count * this.sizeHint * 1.02) / this.seen));
      this.sizeHint = 0;
    }
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
    this.malformed(Reason.LineTooLong, start, 0, start.length);
  }

  private malformed(reason: number | string, buf: Uint8Array, s: number, e: number): void {
    const d = this.dump;
    // Junk bytes explain any failure better than the field that happened to break first.
    for (let k = s; k < e; k++) {
      if (buf[k] === 0) {
        reason = Reason.Binary;
        break;
      }
    }
    d.malformedCount++;
    if (d.malformed.length < MALFORMED_KEPT) {
      const raw = this.decoder.decode(buf.subarray(s, Math.min(e, s + 80)));
      d.malformed.push({
        line: this.lineNo,
        reason: typeof reason === 'string' ? reason : REASONS[reason],
        text: raw.replace(/[\x00-\x1f\x7f\ufffd]/g, '\u00b7'),
      });
    }
  }

  /** Every line of the kernel's input in [s, limit), where limit follows a newline. */
  private lines(s: number, limit: number): void {
    while (s < limit) {
      const c = this.kernel.input[s];
      if (this.mode === Mode.Maps && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 90))) {
        const next = this.scan(s, limit, this.lineNo, this.dump.room(1), this.fieldOwner());
        this.lineNo += this.kernel.result[ScanResult.Lines];
        if (next > s) {
          this.closeOrphans();
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

  /** The VMA that field lines here belong to, for the kernel: none before the section's first or under a rejected line. */
  private fieldOwner(): number {
    const d = this.dump;
    return d.count > this.section.first && !this.orphanOf ? d.count - 1 : NO_OWNER;
  }

  /**
   * The kernel writes the maps lines from s straight into the Dump's columns (at most room of
   * them) and stages the field lines' values; here the VMAs are counted, their names interned
   * and the values stored. Returns where it stopped.
   */
  private scan(s: number, limit: number, lineNo: number, room: number, owner: number): number {
    const k = this.kernel;
    const d = this.dump;
    const next = k.x.scan(s, limit, lineNo, d.count, room, owner);
    const r = k.result;
    d.count += r[ScanResult.Written];
    const buf = k.input;
    for (let j = 0, named = r[ScanResult.Named]; j < named; j++) {
      this.setName(k.namedIndex[j], buf, k.nameStart[j], k.nameEnd[j]);
    }
    const fields = r[ScanResult.Fields];
    if (fields > 0) {
      this.sawFields = true;
      const cols = this.slotKeys.map((key) => d.fields.get(key)!);
      const { fieldVma: vma, fieldSlot: slot, fieldValue: value } = k;
      const vmFlags = d.vmFlags;
      for (let j = 0; j < fields; j++) {
        const c = slot[j];
        if (c === SLOT_VMFLAGS) vmFlags[vma[j]] = value[j];
        else cols[c][vma[j]] = value[j];
      }
    }
    if (r[ScanResult.Unsorted] && !this.unsortedLine) this.unsortedLine = r[ScanResult.Unsorted];
    if (r[ScanResult.Overlap] && !this.overlapLine) this.overlapLine = r[ScanResult.Overlap];
    if (r[ScanResult.MaxEndHi] > d.maxEndHi) d.maxEndHi = r[ScanResult.MaxEndHi];
    return next;
  }

  /** The line of buf in [s, nl), nl its newline. */
  private line(buf: Uint8Array, s: number, nl: number): void {
    this.lineNo++;
    if (nl - s > MAX_LINE) {
      this.malformed(Reason.LineTooLong, buf, s, s + 80);
      return;
    }
    const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
    let p = s;
    while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === e) {
      if (this.hsErrLibs) {
        this.hsErrLibs = false;
        this.mode = Mode.Skip;
      }
      return;
    }
    const c = buf[p];
    if (this.mode === Mode.Skip) {
      const text = this.decoder.decode(buf.subarray(p, e));
      if (HS_ERR_LIBRARIES.test(text)) {
        this.mode = Mode.Maps;
        this.hsErrLibs = true;
      } else hsErrFact(text, this.section.header, this.lineNo);
      return;
    }
    if (c === 35 && this.dump.count === 0 && HS_ERR_BANNER.test(this.decoder.decode(buf.subarray(p, e)))) {
      this.hsErr = true;
      this.mode = Mode.Skip;
      return;
    }
    if (c === 35 /* # */) {
      applyHeaderLine(this.section.header, this.decoder.decode(buf.subarray(p, e)), this.lineNo);
      return;
    }
    if ((c === 61 /* = */ || c === 45) /* - */ && this.separator(buf, p, e)) return;
    const fresh = this.dump.count === this.section.first;
    if (fresh && !this.pmapTitleSeen && c !== 48 && this.pmapTitle(buf, p, e)) return;
    if (fresh && c === 65 /* A */ && this.pmapHeader(this.decoder.decode(buf.subarray(p, e)))) return;
    if (fresh && (c === 83 /* S */ || c === 112 /* p */ || c === 77) /* M */ && this.gdbMeta(this.decoder.decode(buf.subarray(p, e)))) return;
    switch (this.mode) {
      case Mode.Maps: {
        if (c >= 65 && c <= 90 && this.isFieldKey(buf, p, e)) {
          this.fieldLine(buf, p, e, s);
          return;
        }
        if (p === s && isHexByte(c)) {
          // The kernel, on this one line: it writes the VMA, or says what is wrong with the line.
          this.dump.room(1);
          this.scan(s, nl + 1, this.lineNo - 1, 1, NO_OWNER);
          if (this.kernel.result[ScanResult.Written] === 1) {
            this.closeOrphans();
            return;
          }
          const r = this.kernel.result[ScanResult.Reason];
          buf = this.kernel.input; // room() may have grown the kernel's memory
          if (fresh && r === Reason.NotRange && this.rowStarts(buf, p, e, s)) return;
          this.closeOrphans();
          this.malformed(r, buf, s, e);
          // Field lines under it are its own, not the VMA above's.
          this.orphanOf = this.lineNo;
          return;
        }
        if (fresh && isHexByte(c) && this.rowStarts(buf, p, e, s)) return;
        this.malformed(11, buf, s, e);
        return;
      }
      case Mode.Gdb:
        if (c === 91 /* [ */ && GDB_TRAILER.test(this.decoder.decode(buf.subarray(p, e)))) return;
        if (!this.gdbLine(this.decoder.decode(buf.subarray(p, e)))) this.malformed(14, buf, s, e);
        return;
      case Mode.Numa:
        if (!this.numaLine(this.decoder.decode(buf.subarray(p, e)))) this.malformed(15, buf, s, e);
        return;
      default:
        this.pmapLine(buf, p, e, s);
    }
  }

  /** gdb's `process N`, `Mapped address spaces:` and column header above its rows. */
  private gdbMeta(text: string): boolean {
    const pre = GDB_PREAMBLE.exec(text);
    if (pre) {
      if (pre[1]) this.section.header.pid ??= Number(pre[1]);
      return true;
    }
    if (!GDB_HEADER.test(text)) return false;
    this.mode = Mode.Gdb;
    return true;
  }

  private gdbLine(text: string): boolean {
    const row = gdbRow(text);
    if (!row) return false;
    const [sHi, sLo] = parseHex(row.start)!;
    const [eHi, eLo] = parseHex(row.end)!;
    if (eHi < sHi || (eHi === sHi && eLo < sLo)) return false;
    if (row.perms === undefined) this.dump.permsUnknown = true;
    const i = this.rowAt(sHi, sLo, eHi, eLo, row.perms ? permsOf(row.perms) : 0);
    this.dump.offset[i] = row.offset;
    this.setNameString(i, row.name);
    return true;
  }

  /** A numa_maps row: a start address and pages per node, no end and no permissions. */
  private numaLine(text: string): boolean {
    const row = numaRow(text);
    if (!row) return false;
    const d = this.dump;
    d.permsUnknown = d.sizesUnknown = true;
    const [sHi, sLo] = parseHex(row.start)!;
    const i = this.rowAt(sHi, sLo, sHi, sLo, 0);
    let pages = 0;
    let pageKb = 4;
    for (const [k, v] of row.fields) {
      d.setField(k, i, v);
      if (/^N\d+$/.test(k)) pages += v;
      else if (k === 'kernelpagesize_kB') pageKb = v;
    }
    // Pages on the nodes are the resident ones: the RSS of the VMA, in kB like smaps.
    d.setField('Rss', i, pages * pageKb);
    this.sawFields = true;
    if (row.name) this.setNameString(i, row.deleted ? `${row.name} (deleted)` : row.name);
    return true;
  }

  /**
   * The first row of a dump that is not maps (pmap `-q` or pasted from the middle, gdb, numa_maps,
   * with or without their headers): picks the mode by its shape.
   */
  private rowStarts(buf: Uint8Array, p: number, e: number, s: number): boolean {
    const text = this.decoder.decode(buf.subarray(p, e));
    if (gdbRow(text)) {
      this.mode = Mode.Gdb;
      return this.gdbLine(text);
    }
    if (numaRow(text)) {
      this.mode = Mode.Numa;
      return this.numaLine(text);
    }
    const m = SIMPLE_ROW.exec(text);
    if (D_ROW.test(text)) this.mode = Mode.PmapD;
    else if (m) this.mode = m[4] !== undefined ? Mode.PmapX : Mode.PmapPlain;
    else if (BIG_X_ROW.test(text)) {
      this.mode = Mode.PmapBigX;
      this.pmapColumns = [];
      this.pmapHasFlags = false;
    } else return false;
    this.pmapLine(buf, p, e, s);
    return true;
  }

  /**
   * `==> f <==` (head/tail of several files) and a lone `---` (rollups joined by it): the next
   * process of the file begins.
   */
  private separator(buf: Uint8Array, p: number, e: number): boolean {
    const text = this.decoder.decode(buf.subarray(p, e));
    const head = HEAD_SEPARATOR.exec(text);
    if (head) {
      this.startSection(head[1].trim());
      return true;
    }
    if (this.mode === Mode.Maps && /^-{3,}\s*$/.test(text)) {
      this.startSection('');
      return true;
    }
    return false;
  }

  /** A new process from this line on, unless the current one has no VMA yet (then it is relabelled). */
  private startSection(label: string): void {
    const d = this.dump;
    this.closeOrphans();
    if (d.count > this.section.first) {
      this.closeSection();
      this.section = { label, line: this.lineNo, first: d.count, header: { raw: {}, lines: {} }, sorted: true };
      d.sections.push(this.section);
      this.mode = Mode.Maps;
      this.pmapTitleSeen = false;
      this.pmapColumns = [];
      this.prevHi = -1;
      this.prevLo = this.prevEndHi = this.prevEndLo = 0;
      this.kernel.x.reset();
    } else {
      this.section.label = label || this.section.label;
      this.section.line = this.lineNo;
    }
  }

  /** The section's order, as notes: unsorted or overlapping ranges are analysed in address order. */
  private closeSection(): void {
    const d = this.dump;
    const sec = this.section;
    if (this.unsortedLine) {
      sec.sorted = false;
      d.sorted = false;
      d.notes.push({ line: this.unsortedLine, message: t('mappings are not in address order (as no kernel prints them): they are analysed sorted') });
    }
    if (this.overlapLine) {
      d.notes.push({
        line: this.overlapLine,
        message: t('a mapping starts inside the one before it (as no kernel prints them): the dump may be edited or joined from several'),
      });
    }
    this.unsortedLine = this.overlapLine = 0;
  }

  /** Ends a run of field lines under a rejected mapping line, counting them on its report. */
  private closeOrphans(): void {
    if (!this.orphanOf) return;
    const bad = this.dump.malformed.at(-1);
    if (this.orphanFields && bad?.line === this.orphanOf) {
      bad.reason += ` (and its ${this.orphanFields} field line${this.orphanFields === 1 ? '' : 's'} below, ignored)`;
    }
    this.orphanOf = this.orphanFields = 0;
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
    if (this.orphanOf) {
      this.orphanFields++;
      return;
    }
    if (d.count === this.section.first) {
      this.malformed(9, buf, s, e);
      return;
    }
    const key = this.key(buf, p, q);
    q++;
    // Blanks or tabs: some kernels print `THPeligible:\t\t0`.
    while (q < e && (buf[q] === 32 || buf[q] === 9)) q++;
    const i = d.count - 1;
    this.sawFields = true;
    if (key === 'VmFlags') {
      let end = e;
      while (end > q && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
      d.vmFlags[i] = this.flagSet(this.decoder.decode(buf.subarray(q, end)).replace(/\s+/g, ' '));
      this.teachFlags(buf, q, end, d.vmFlags[i]);
      return;
    }
    let v = 0;
    const q0 = q;
    while (q < e && buf[q] >= 48 && buf[q] <= 57) v = v * 10 + (buf[q++] - 48);
    if (q === q0) {
      this.malformed(10, buf, s, e);
      return;
    }
    d.setField(key, i, v);
    this.teachKey(key);
  }

  /** Tells the kernel a field name that has a column, so that it reads that name's lines from now on. */
  private teachKey(key: string): void {
    const k = this.kernel;
    if (this.slotOf.has(key) || !this.dump.fields.has(key) || key.length > k.keyIn.length) return;
    for (let j = 0; j < key.length; j++) k.keyIn[j] = key.charCodeAt(j);
    const slot = k.x.addKey(key.length);
    this.slotOf.set(key, slot);
    if (slot >= 0) this.slotKeys[slot] = key;
  }

  /** Tells the kernel the raw text of a VmFlags set and its number. */
  private teachFlags(buf: Uint8Array, s: number, e: number, id: number): void {
    const k = this.kernel;
    if (e - s > k.flagsIn.length) return;
    k.flagsIn.set(buf.subarray(s, e));
    k.x.addFlags(e - s, id);
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

  /** `1234:   /usr/sbin/mariadbd --user=mysql`: the title line of pmap output (pid redacted or not). */
  private pmapTitle(buf: Uint8Array, p: number, e: number): boolean {
    const m = PMAP_TITLE.exec(this.decoder.decode(buf.subarray(p, e)));
    if (!m) return false;
    const pid = /^\d+$/.test(m[1]);
    // `Size:  4 kB` and `VmFlags: rd` are smaps fields, not a redacted title.
    if (!pid && (/^\d/.test(m[2]) || m[1] === 'VmFlags')) return false;
    this.pmapTitleSeen = true;
    const h = this.section.header;
    if (pid) h.pid ??= Number(m[1]);
    h.command ??= m[2].trim();
    if (this.section.label === '') this.section.label = m[0].trim();
    return true;
  }

  /** The column header under a pmap title picks -x, -d or -X/-XX. */
  private pmapHeader(text: string): boolean {
    const cols = text.trim().split(/\s+/);
    if (cols[0] !== 'Address') return false;
    if (cols[1] === 'Kbytes') {
      this.mode = cols.includes('Offset') ? Mode.PmapD : Mode.PmapX;
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
    const text = this.decoder.decode(buf.subarray(p, e));
    if (this.pmapHeader(text)) return;
    if (/^total\b/.test(text) || /\bKB\s*$/.test(text) || /^mapped:/.test(text)) return;
    if (/^\d+:\s/.test(text)) {
      // `pmap PID PID…`: the next process.
      this.startSection(text.trim());
      this.pmapTitle(buf, p, e);
      return;
    }
    let ok: boolean;
    if (this.mode === Mode.PmapBigX) ok = this.pmapBigXRow(text);
    else if (this.mode === Mode.PmapD) ok = this.pmapDRow(text);
    else ok = this.pmapSimpleRow(text, this.mode === Mode.PmapX);
    if (!ok) this.malformed(12, buf, s, e);
  }

  /** pmap -x (`Address Kbytes RSS Dirty Mode Mapping`) and plain pmap (`Address 8K Mode Mapping`). */
  private pmapSimpleRow(text: string, extended: boolean): boolean {
    const m = SIMPLE_ROW.exec(text);
    // Plain pmap prints sizes with a K, -x without.
    if (!m || extended !== (m[4] !== undefined) || extended === (m[3] === 'K')) return false;
    const i = this.rowVma(m[1], Number(m[2]), permsOf(m[6]));
    const d = this.dump;
    if (extended) {
      if (m[4] !== '-') d.setField('Rss', i, Number(m[4]));
      if (m[5] !== '-') d.setField('Dirty', i, Number(m[5]));
      this.sawFields = true;
    }
    this.setPmapName(i, m[7]);
    return true;
  }

  /** pmap -d: Address Kbytes Mode Offset Device Mapping (device as 3:5 hex digits). */
  private pmapDRow(text: string): boolean {
    const m = D_ROW.exec(text);
    if (!m) return false;
    const i = this.rowVma(m[1], Number(m[2]), permsOf(m[3]));
    const d = this.dump;
    d.offset[i] = parseInt(m[4], 16);
    d.dev[i] = parseInt(m[5], 16) * 1048576 + parseInt(m[6], 16);
    this.setPmapName(i, m[7]);
    return true;
  }

  /** pmap's mapping column: `[ anon ]`, `[ stack ]`, basenames of kernel objects made whole again. */
  private setPmapName(i: number, mapping: string): void {
    mapping = mapping.trim();
    if (mapping === '[ anon ]') return;
    if (mapping === '[ stack ]') mapping = '[stack]';
    const base = PMAP_BASENAME.exec(mapping);
    if (base) mapping = `${base[1] === 'zero' ? '/dev/zero' : '/' + base[1]} (deleted)`;
    this.setNameString(i, mapping);
  }

  /**
   * pmap -X / -XX: Address Perm Offset Device Inode <fields…> [VmFlags] Mapping. Without its
   * header (`-q`) the fields have no names: Size, always the first, is kept.
   */
  private pmapBigXRow(text: string): boolean {
    const cols = this.pmapColumns;
    const tokens = text.split(/\s+/);
    if (tokens.length < 6) return false;
    const [addr, perm, off, dev] = tokens;
    if (!/^[0-9a-f]{1,16}$/.test(addr) || !/^[r-][w-][x-][ps]$/.test(perm) || !/^[0-9a-f]+$/.test(off)) return false;
    const dm = /^([0-9a-f]{1,3}):([0-9a-f]{1,5})$/.exec(dev);
    if (!dm || !/^\d+$/.test(tokens[4])) return false;
    const headed = cols.length > 0;
    const numeric = cols.slice(5).filter((k) => k !== 'VmFlags' && k !== 'Mapping');
    const values: number[] = [];
    let t = 5;
    if (headed) {
      for (let j = 0; j < numeric.length; j++) {
        if (t >= tokens.length || !/^\d+$/.test(tokens[t])) return false;
        values.push(Number(tokens[t++]));
      }
    } else {
      while (t < tokens.length && /^\d+$/.test(tokens[t])) values.push(Number(tokens[t++]));
      if (values.length === 0) return false;
    }
    const sizeIdx = headed ? numeric.indexOf('Size') : 0;
    if (sizeIdx < 0) return false;
    const i = this.rowVma(addr, values[sizeIdx], permsOf(perm));
    const d = this.dump;
    d.offset[i] = parseInt(off, 16);
    d.dev[i] = parseInt(dm[1], 16) * 1048576 + parseInt(dm[2], 16);
    d.inode[i] = Number(tokens[4]);
    if (headed) {
      numeric.forEach((k, j) => {
        if (k !== 'Size') d.setField(k, i, values[j]);
      });
      this.sawFields = true;
    }
    const flags: string[] = [];
    if (this.pmapHasFlags || !headed) {
      while (t < tokens.length && VMFLAGS.has(tokens[t])) flags.push(tokens[t++]);
      if (flags.length) d.vmFlags[i] = this.flagSet(flags.join(' '));
    }
    // The mapping keeps its own spaces: cut it from the text after the t-th token.
    let at = 0;
    for (let k = 0; k < t; k++) {
      at = text.indexOf(tokens[k], at) + tokens[k].length;
    }
    this.setPmapName(i, text.slice(at));
    return true;
  }

  /** A pmap row's VMA from its hex address (checked by the caller) and size. */
  private rowVma(addrHex: string, kb: number, perms: number): number {
    const [sHi, sLo] = parseHex(addrHex)!;
    const [eHi, eLo] = addBytes(sHi, sLo, kb * 1024);
    return this.rowAt(sHi, sLo, eHi, eLo, perms);
  }

  /** A VMA of a row that is not a maps line (pmap, gdb, numa_maps). */
  private rowAt(sHi: number, sLo: number, eHi: number, eLo: number, perms: number): number {
    const d = this.dump;
    const i = d.add();
    d.startHi[i] = sHi;
    d.startLo[i] = sLo;
    d.endHi[i] = eHi;
    d.endLo[i] = eLo;
    d.perms[i] = perms;
    d.nameId[i] = -1;
    d.line[i] = this.lineNo;
    if (sHi < this.prevHi || (sHi === this.prevHi && sLo < this.prevLo)) this.unsortedLine ||= this.lineNo;
    else if (sHi < this.prevEndHi || (sHi === this.prevEndHi && sLo < this.prevEndLo)) this.overlapLine ||= this.lineNo;
    if (eHi > d.maxEndHi) d.maxEndHi = eHi;
    this.prevHi = sHi;
    this.prevLo = sLo;
    this.prevEndHi = eHi;
    this.prevEndLo = eLo;
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
