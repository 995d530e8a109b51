/**
 * A minimal maps reader for tests, independent of the product's parser: the truth the product's
 * verdicts are checked against.
 */

export interface MapsEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  path: string;
  /** 1-based line number in the text. */
  line: number;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][sp]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+) ?\s*(.*)$/;

/** Parses the VMA lines of a maps text; `#` header lines and blank lines are skipped. */
export function parseMaps(text: string): MapsEntry[] {
  const out: MapsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '' || l.startsWith('#')) continue;
    const m = MAPS_LINE.exec(l);
    if (!m) throw new Error(`line ${i + 1} is not a maps line: ${JSON.stringify(l)}`);
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3]!,
      offset: BigInt(`0x${m[4]}`),
      dev: m[5]!,
      inode: Number(m[6]),
      path: m[7]!,
      line: i + 1,
    });
  }
  return out;
}

/** VMAs as the kernel counts them against vm.max_map_count: every line except `[vsyscall]`. */
export function countVmas(text: string): number {
  return parseMaps(text).filter((e) => e.path !== '[vsyscall]').length;
}

/** Parses `# key: value` header lines at the top of a capture. */
export function parseCaptureHeader(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    if (!l.startsWith('#')) break;
    const m = /^#\s*([\w.-]+):\s?(.*)$/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const MiB64 = 64n << 20n;

/**
 * glibc arena heaps: an anonymous `rw-p` VMA starting on a 64 MiB boundary directly followed by
 * an anonymous `---p` VMA, the two spanning exactly 64 MiB (a fully grown arena has no `---p`
 * part and is a single 64 MiB `rw-p`). Returns the head of each slot.
 */
export function findArenaSlots(entries: MapsEntry[]): Array<{ head: MapsEntry; reserve?: MapsEntry }> {
  const slots: Array<{ head: MapsEntry; reserve?: MapsEntry }> = [];
  const anon = (e: MapsEntry): boolean => e.inode === 0 && e.path === '';
  for (let i = 0; i < entries.length; i++) {
    const head = entries[i]!;
    if (!anon(head) || head.perms !== 'rw-p' || head.start % MiB64 !== 0n) continue;
    if (head.end - head.start === MiB64) {
      slots.push({ head });
      continue;
    }
    const next = entries[i + 1];
    if (next && anon(next) && next.perms === '---p' && next.start === head.end && next.end - head.start === MiB64) slots.push({ head, reserve: next });
  }
  return slots;
}
