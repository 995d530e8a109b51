import type { DumpHeader } from './types';

/**
 * Rows of other tools' dumps that users paste instead of maps: gdb's `info proc mappings`,
 * `/proc/PID/numa_maps`, and the `Dynamic libraries:` section of a JVM crash log (hs_err_pid*.log,
 * whose rows are maps lines). The parser (parse.ts) decides which one a file is; here each row
 * is read, without judging what it means.
 */

/** gdb's column header: `Start Addr   End Addr   Size   Offset  [Perms]  objfile` (Perms since gdb 12). */
export const GDB_HEADER = /^Start Addr\s+End Addr\s+Size\s+Offset\s+(?:(Perms)\s+)?objfile\s*$/;
/** gdb's lines above the header: `process 1214` and `Mapped address spaces:`. */
export const GDB_PREAMBLE = /^(?:process (\d+)|Mapped address spaces:)\s*$/;
const GDB_ROW = /^0x([0-9a-f]{1,16})\s+0x([0-9a-f]{1,16})\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+([r-][w-][x-][ps]))?(?:\s+(.*?))?\s*$/;

export interface GdbRow {
  start: string;
  end: string;
  offset: number;
  /** undefined: an older gdb that prints no Perms column. */
  perms?: string;
  name: string;
}

export function gdbRow(text: string): GdbRow | undefined {
  const m = GDB_ROW.exec(text);
  if (!m) return undefined;
  return { start: m[1], end: m[2], offset: parseInt(m[4], 16), perms: m[5], name: m[6] ?? '' };
}

/** What gdb -batch prints after the rows. */
export const GDB_TRAILER = /^\[Inferior \d+ \(process \d+\) detached\]$/;

/** numa_maps: `55dba0afb000 default file=/tmp/x mapped=1 N0=1 kernelpagesize_kB=4`. */
const NUMA_ROW = /^([0-9a-f]{1,16}) (default|prefer|bind|interleave|local|weighted|preferred)\b/;

export interface NumaRow {
  start: string;
  policy: string;
  /** `file=` decoded, `[heap]`, `[stack]`, or '' for anonymous memory. */
  name: string;
  deleted: boolean;
  /** Numeric `key=value` pairs: N0, N1…, anon, dirty, mapped, mapmax, swapcache, active, writeback, kernelpagesize_kB. */
  fields: [string, number][];
  /** The VMA is hugetlbfs memory (`huge`). */
  huge: boolean;
}

/** numa_maps escapes blank, tab, newline and `=` in file names as octal (`\040`). */
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function numaRow(text: string): NumaRow | undefined {
  if (!NUMA_ROW.test(text)) return undefined;
  const tokens = text.trim().split(/\s+/);
  const row: NumaRow = { start: tokens[0], policy: '', name: '', deleted: false, fields: [], huge: false };
  const policy: string[] = [];
  let k = 1;
  for (; k < tokens.length && !tokens[k].includes('=') && !/^(?:heap|stack|huge)$/.test(tokens[k]); k++) policy.push(tokens[k]);
  row.policy = policy.join(' ');
  for (; k < tokens.length; k++) {
    const t = tokens[k];
    if (t === 'heap') row.name = '[heap]';
    else if (t === 'stack') row.name = '[stack]';
    else if (t === 'huge') row.huge = true;
    else if (t.startsWith('file=')) {
      let name = unescapeOctal(t.slice(5));
      if (name.endsWith(' (deleted)')) {
        row.deleted = true;
        name = name.slice(0, -' (deleted)'.length);
      }
      row.name = name;
    } else {
      const m = /^(\w+)=(\d+)$/.exec(t);
      if (!m) return undefined;
      row.fields.push([m[1], Number(m[2])]);
    }
  }
  return row;
}

/** The first lines of a JVM crash log (hs_err_pid*.log). */
export const HS_ERR_BANNER = /^#\s*A fatal error has been detected by the Java Runtime Environment/;
/** Where its maps lines start; they end at the next blank line. */
export const HS_ERR_LIBRARIES = /^Dynamic libraries:\s*$/;

/** The capture facts a crash log states: pid, command line, kernel and architecture. */
export function hsErrFact(text: string, header: DumpHeader, line: number): void {
  const pid = /^#.*\bpid=(\d+)/.exec(text);
  if (pid && header.pid === undefined) {
    header.pid = Number(pid[1]);
    header.lines.pid = line;
  }
  const cmd = /^Command Line:\s*(.*)$/.exec(text);
  if (cmd && header.command === undefined) {
    header.command = `java ${cmd[1].trim()}`;
    header.lines.command = line;
  }
  const uname = /^uname:\s*\S+\s+(\S+)\s.*\s(\S+)\s*$/.exec(text);
  if (uname && header.kernel === undefined) {
    header.kernel = uname[1];
    header.arch = uname[2];
    header.lines.kernel = line;
  }
}
