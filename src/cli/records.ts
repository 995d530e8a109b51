import { toHex } from '../core/addr';
import type { Dump } from '../core/dump';
import { FLAG_DELETED, PERM_R, PERM_SHARED, PERM_W, PERM_X } from '../core/dump';
import type { DumpFormat } from '../core/types';
import { VMFLAG_INFO } from '../core/vmflags';

/**
 * `vma-lens parse`: one record per VMA for other tools, as JSON (an array), JSON Lines or CSV.
 * Field names are a superset of `jc --proc-pid-maps` / `--proc-pid-smaps` (start, end, perms as
 * words, offset, maj, min, inode, pathname, every smaps field, VmFlags, VmFlags_pretty), so a
 * script written for jc can switch; ours add size, permissions, dev, deleted, kind, line and,
 * for a file of several processes, process. Records are made and written a batch at a time from
 * the Dump's columns: a million VMAs never exist as objects at once.
 */

export type RecordFormat = 'json' | 'jsonl' | 'csv';

const BATCH = 4096;
const PERM_WORDS: [number, string][] = [
  [PERM_R, 'read'],
  [PERM_W, 'write'],
  [PERM_X, 'execute'],
];

/** The name as the kernel prints it: newline escaped as \012, " (deleted)" put back. */
function pathname(dump: Dump, i: number): string {
  const name = dump.name(i);
  if (name === undefined) return '';
  const printed = name.includes('\n') ? name.replace(/\n/g, '\\012') : name;
  return dump.flags[i] & FLAG_DELETED ? `${printed} (deleted)` : printed;
}

/** Columns a format does not print: null in the records rather than a made-up 0. */
const UNKNOWN: Partial<Record<DumpFormat, readonly string[]>> = {
  pmap: ['offset', 'dev', 'maj', 'min', 'inode'],
  'pmap-x': ['offset', 'dev', 'maj', 'min', 'inode'],
  'pmap-d': ['inode'],
  gdb: ['dev', 'maj', 'min', 'inode'],
  numa_maps: ['end', 'size', 'offset', 'dev', 'maj', 'min', 'inode'],
};
const PERMS = ['perms', 'permissions'];

function record(dump: Dump, i: number, process: string | undefined): Record<string, unknown> {
  const p = dump.perms[i];
  const perms = PERM_WORDS.filter(([bit]) => p & bit).map(([, w]) => w);
  perms.push(p & PERM_SHARED ? 'shared' : 'private');
  const dev = dump.devText(i);
  const r: Record<string, unknown> = {
    start: toHex(dump.startHi[i], dump.startLo[i]),
    end: toHex(dump.endHi[i], dump.endLo[i]),
    size: dump.size(i),
    perms,
    permissions: dump.permsText(i),
    offset: dump.offset[i].toString(16).padStart(8, '0'),
    dev,
    maj: dev.slice(0, dev.indexOf(':')),
    min: dev.slice(dev.indexOf(':') + 1),
    inode: dump.inode[i],
    pathname: pathname(dump, i),
    deleted: (dump.flags[i] & FLAG_DELETED) !== 0,
    kind: dump.kindOf(i),
    line: dump.line[i],
  };
  for (const k of UNKNOWN[dump.format] ?? []) r[k] = null;
  if (dump.permsUnknown) for (const k of PERMS) r[k] = null;
  if (process !== undefined) r.process = process;
  for (const [key, col] of dump.fields) if (!Number.isNaN(col[i])) r[key] = col[i];
  const extra = dump.extraFields.get(i);
  if (extra) Object.assign(r, extra);
  const flags = dump.vmFlagSets[dump.vmFlags[i]];
  if (flags) {
    const codes = flags.split(' ');
    r.VmFlags = codes;
    r.VmFlags_pretty = codes.map((c) => VMFLAG_INFO[c] ?? c);
  }
  return r;
}

/** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes every VMA of an analysed dump (kinds set) as records, through `write`, batch by batch. */
export function writeRecords(dump: Dump, format: RecordFormat, write: (text: string) => void): void {
  const sections = dump.sections;
  // VMAs come in order: the section of each is found by walking forward once.
  let k = 0;
  const processOf = (i: number): string | undefined => {
    if (sections.length < 2) return undefined;
    while (k + 1 < sections.length && sections[k + 1].first <= i) k++;
    return sections[k].label || `process ${k + 1}`;
  };
  const fieldNames = [...dump.fields.keys()];
  const columns = ['start', 'end', 'size', 'perms', 'permissions', 'offset', 'dev', 'maj', 'min', 'inode', 'pathname', 'deleted', 'kind', 'line'];
  if (sections.length > 1) columns.push('process');
  if (format === 'csv') {
    // Names past the column bound (a crafted dump) are left out of the CSV: they have no column.
    columns.push(...fieldNames, 'VmFlags');
    write(columns.join(',') + '\r\n');
  } else if (format === 'json') write('[');
  for (let at = 0; at < dump.count; at += BATCH) {
    const out: string[] = [];
    for (let i = at; i < Math.min(dump.count, at + BATCH); i++) {
      const r = record(dump, i, processOf(i));
      if (format === 'csv') out.push(columns.map((c) => csvCell(r[c])).join(',') + '\r\n');
      else if (format === 'jsonl') out.push(JSON.stringify(r) + '\n');
      else out.push((i === 0 ? '\n' : ',\n') + JSON.stringify(r));
    }
    write(out.join(''));
  }
  if (format === 'json') write(dump.count ? '\n]\n' : ']\n');
}
