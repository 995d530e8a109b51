/**
 * A minimal ELF reader for what an allocator verdict needs from an executable: whether it is
 * statically linked (no PT_INTERP program header) and which allocator symbols it defines (global
 * or weak, not undefined, in .dynsym or .symtab). Pure: it reads bytes, the caller reads the file.
 * Used where the capture script found no readelf or nm.
 */

/** The symbols whose definition in an executable tells its allocator (see ownAllocator). */
export const ALLOCATOR_SYMBOLS = [
  'malloc',
  'mallctl',
  'je_malloc',
  'je_mallctl',
  'tc_malloc',
  'mi_malloc',
  '__libc_malloc',
  '__libc_malloc_impl',
  'runtime.mallocgc',
] as const;

export interface ElfFacts {
  bits: 32 | 64;
  /** No PT_INTERP: the dynamic loader never runs. */
  static: boolean;
  /** Allocator symbols defined, sorted (byte order, as `sort` in the C locale). */
  symbols: string[];
}

const PT_INTERP = 3;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const SHN_UNDEF = 0;

/** Reads the facts, or undefined when the bytes are not a well-formed ELF file. */
export function readElfFacts(bytes: Uint8Array): ElfFacts | undefined {
  try {
    return read(bytes);
  } catch {
    return undefined; // truncated or corrupt: DataView threw RangeError
  }
}

function read(bytes: Uint8Array): ElfFacts | undefined {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return undefined;
  const is64 = bytes[4] === 2;
  if (!is64 && bytes[4] !== 1) return undefined;
  const le = bytes[5] === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => v.getUint16(o, le);
  const u32 = (o: number) => v.getUint32(o, le);
  // Offsets of files we read fit in 2^53; the high word of a 64-bit offset is 0 for them.
  const word = (o: number) => (is64 ? u32(o + (le ? 0 : 4)) + u32(o + (le ? 4 : 0)) * 2 ** 32 : u32(o));

  const phoff = word(is64 ? 32 : 28);
  const shoff = word(is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const shentsize = u16(is64 ? 58 : 46);
  const shnum = u16(is64 ? 60 : 48);

  let interp = false;
  for (let i = 0; i < phnum; i++) if (u32(phoff + i * phentsize) === PT_INTERP) interp = true;

  const wanted = new Set<string>(ALLOCATOR_SYMBOLS);
  const found = new Set<string>();
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      type: u32(o + 4),
      offset: word(o + (is64 ? 24 : 16)),
      size: word(o + (is64 ? 32 : 20)),
      link: u32(o + (is64 ? 40 : 24)),
      entsize: word(o + (is64 ? 56 : 36)),
    };
  };
  const decoder = new TextDecoder();
  for (let s = 0; s < shnum; s++) {
    const sh = section(s);
    if (sh.type !== SHT_SYMTAB && sh.type !== SHT_DYNSYM) continue;
    const strtab = section(sh.link);
    const entsize = sh.entsize || (is64 ? 24 : 16);
    for (let o = sh.offset + entsize; o + entsize <= sh.offset + sh.size; o += entsize) {
      const info = bytes[o + (is64 ? 4 : 12)];
      const shndx = u16(o + (is64 ? 6 : 14));
      const bind = info >> 4;
      if ((bind !== STB_GLOBAL && bind !== STB_WEAK) || shndx === SHN_UNDEF) continue;
      const start = strtab.offset + u32(o);
      // Every wanted name is short: compare at most 32 bytes.
      let end = start;
      while (end < start + 32 && bytes[end] !== 0) end++;
      if (bytes[end] !== 0) continue;
      const name = decoder.decode(bytes.subarray(start, end));
      if (wanted.has(name)) found.add(name);
    }
  }
  const symbols = [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { bits: is64 ? 64 : 32, static: !interp, symbols };
}

/** The header lines for the facts: `exe_static` and `exe_symbols`, as the capture script writes them. */
export function elfHeaderLines(f: ElfFacts): string[] {
  return [`# exe_static: ${f.static ? 'yes' : 'no'}`, `# exe_symbols: ${f.symbols.length ? f.symbols.join(', ') : 'none'}`];
}
