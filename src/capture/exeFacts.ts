import { readFile } from 'node:fs/promises';
import { elfHeaderLines, readElfFacts } from '../core/elf';

/** Larger executables are not read whole just for their symbol tables. */
const MAX_EXE_BYTES = 1 << 30;

/**
 * For a local capture on a host without readelf/nm the script leaves `exe_symbols` (and, when od
 * failed, `exe_static`) out: read /proc/PID/exe here with the pure ELF reader and add them to the
 * header. Unchanged when the keys are there or the executable cannot be read.
 */
export async function addExeFacts(text: string, pid: number): Promise<string> {
  const bodyAt = text.search(/^[^#\n]/m);
  const head = bodyAt < 0 ? text : text.slice(0, bodyAt);
  const hasStatic = /^# exe_static:/m.test(head);
  if (hasStatic && /^# exe_symbols:/m.test(head)) return text;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(`/proc/${pid}/exe`);
  } catch {
    return text; // another user's process, or it exited: the keys stay out
  }
  if (bytes.length > MAX_EXE_BYTES) return text;
  const facts = readElfFacts(bytes);
  if (!facts) return text;
  const lines = elfHeaderLines(facts).filter((l) => !(hasStatic && l.startsWith('# exe_static:')));
  const at = bodyAt < 0 ? text.length : bodyAt;
  return text.slice(0, at) + lines.map((l) => `${l}\n`).join('') + text.slice(at);
}
