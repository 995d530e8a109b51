import { toHex } from './addr';
import type { Dump } from './dump';
import { t } from './l10n';

/**
 * Which process a dump shows, as far as it tells: the capture header's host, pid and command,
 * and the executable (the lowest-addressed mapped file, where the kernel puts a program's image)
 * with its start address. A plain `cat /proc/PID/maps` has no header, but a restarted program
 * still shows: address-space randomisation moves its image.
 */
export interface ProcessIdentity {
  host?: string;
  pid?: number;
  /** The program, first word of the header's command. */
  command?: string;
  /** Path of the executable's first mapping. */
  exe?: string;
  /** Its start address, hex. */
  exeStart?: string;
}

export function processIdentity(dump: Dump): ProcessIdentity {
  const h = dump.header;
  const id: ProcessIdentity = {};
  if (h.host) id.host = h.host;
  if (h.pid !== undefined) id.pid = h.pid;
  const command = h.command?.trim().split(/\s+/)[0];
  if (command) id.command = command;
  // A dump in address order needs no order array (a diff of two million VMAs would make two).
  const order = dump.sorted ? undefined : dump.order();
  for (let k = 0; k < dump.count; k++) {
    const i = order ? order[k] : k;
    const name = dump.name(i);
    if (name?.startsWith('/')) {
      id.exe = name;
      id.exeStart = toHex(dump.startHi[i], dump.startLo[i]);
      break;
    }
  }
  return id;
}

/**
 * How two dumps differ in who they show ("pid 13396 vs 13430"); empty when nothing they both
 * state differs. A field one of them lacks tells nothing.
 */
export function processDifferences(a: ProcessIdentity | undefined, b: ProcessIdentity | undefined): string[] {
  if (!a || !b) return [];
  const out: string[] = [];
  const differ = <T>(x: T | undefined, y: T | undefined) => x !== undefined && y !== undefined && x !== y;
  if (differ(a.host, b.host)) out.push(t('host {0} vs {1}', a.host!, b.host!));
  if (differ(a.pid, b.pid)) out.push(t('pid {0} vs {1}', a.pid!, b.pid!));
  if (differ(a.command, b.command)) out.push(t('command {0} vs {1}', a.command!, b.command!));
  if (differ(a.exe, b.exe)) out.push(t('executable {0} vs {1}', a.exe!, b.exe!));
  else if (differ(a.exeStart, b.exeStart)) out.push(t('executable mapped at {0} vs {1}', a.exeStart!, b.exeStart!));
  return out;
}

/** The warning shown wherever two dumps are compared. */
export function differentProcessWarning(diffs: readonly string[]): string | undefined {
  return diffs.length ? t('These dumps are of different processes ({0}): the comparison mixes them.', diffs.join(', ')) : undefined;
}
