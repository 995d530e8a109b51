/** Builders for hand-made dumps in the kernel's exact format. */

/** One maps line: the name is padded to column 73 on 64-bit (49 on 32-bit), as the kernel does. */
export function mapsLine(start: string, end: string, perms: string, offset = '00000000', dev = '00:00', inode = 0, name = ''): string {
  const head = `${start}-${end} ${perms} ${offset} ${dev} ${inode} `;
  if (!name) return head;
  const col = start.length > 8 ? 73 : 49;
  return head.padEnd(col, ' ') + name;
}

export interface Region {
  size: number;
  perms: string;
  name?: string;
  /** Bytes of unmapped space before this region. */
  gap?: number;
  /** Start here instead of after the previous region. */
  at?: number;
  offset?: number;
  inode?: number;
}

const hex = (n: number) => n.toString(16).padStart(12, '0');

/** Lays regions out one after another from `base` and prints them as maps lines. */
export function layout(regions: Region[], base = 0x7f0000000000): string {
  let addr = base;
  const lines: string[] = [];
  for (const r of regions) {
    if (r.at !== undefined) addr = r.at;
    addr += r.gap ?? 0;
    const file = r.name !== undefined && r.name.startsWith('/');
    lines.push(
      mapsLine(
        hex(addr),
        hex(addr + r.size),
        r.perms,
        (r.offset ?? 0).toString(16).padStart(8, '0'),
        file ? 'fe:00' : '00:00',
        file ? (r.inode ?? 1234) : 0,
        r.name ?? '',
      ),
    );
    addr += r.size;
  }
  return lines.join('\n') + '\n';
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** A shared library as the loader maps it: rodata, text, relro, data, then .bss. */
export function library(path: string, opts: { bss?: boolean } = {}): Region[] {
  return [
    { size: 16 * KiB, perms: 'r--p', name: path },
    { size: 64 * KiB, perms: 'r-xp', name: path, offset: 16 * KiB },
    { size: 8 * KiB, perms: 'r--p', name: path, offset: 80 * KiB },
    { size: 4 * KiB, perms: 'rw-p', name: path, offset: 88 * KiB },
    ...(opts.bss === false ? [] : [{ size: 8 * KiB, perms: 'rw-p' }]),
  ];
}
