/**
 * Escaping at the output boundary: a dump is untrusted text, and names from it (the program, the
 * host, paths) end up in systemd unit names, shell commands, config files and the terminal.
 * Each helper makes a value safe for one destination; pure, no I/O.
 */

/** Longest unit name systemd accepts, suffix included (UNIT_NAME_MAX in systemd's unit-name.h). */
export const UNIT_NAME_MAX = 256;

const UNIT_KEEP = /^[A-Za-z0-9:_.]$/;

function hexByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/**
 * `s` escaped as `systemd-escape` does (systemd's unit_name_escape): `/` becomes `-`; every
 * byte of the UTF-8 form outside `[A-Za-z0-9:_.]`, and a leading `.`, becomes `\xNN`.
 */
export function systemdEscape(s: string): string {
  let out = '';
  const bytes = new TextEncoder().encode(s);
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (b < 0x80 && UNIT_KEEP.test(c) && !(i === 0 && c === '.')) out += c;
    else out += hexByte(b);
  });
  return out;
}

/**
 * The unit name (without `.service`) for a program name: kept when it already is a valid unit
 * name (`php-fpm`), else escaped as `systemd-escape` would; undefined (refused) when empty or
 * too long for systemd even escaped.
 */
export function unitNameOf(program: string, suffix = '.service'): string | undefined {
  if (!program) return undefined;
  const name = /^[A-Za-z0-9:_.-]+$/.test(program) && !program.startsWith('.') && !program.startsWith('-') ? program : systemdEscape(program);
  return name.length + suffix.length <= UNIT_NAME_MAX ? name : undefined;
}

/** One word for a POSIX shell (sh, bash, dash): as it is when plain, else in single quotes. */
export function shQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Characters that end a line for some reader (VS Code: \r; Unicode: NEL, LS, PS), control
 * characters (C0, DEL, C1: ESC and CSI drive a terminal), and the bidirectional overrides
 * that make text read differently than it runs.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  // Below 0x100 as the kernel writes \012 in maps; the rest as \u{…}.
  return code < 0x100 ? `\\${code.toString(8).padStart(3, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Every unsafe character shown escaped (`\033`, `\012`, `\u{202e}`): text for a terminal. */
export function showEscaped(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/**
 * A value for a config file or a comment in one: one line of printable characters (unsafe ones
 * escaped), at most `max` characters.
 */
export function oneLine(s: string, max = 200): string {
  const line = showEscaped(s);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** True when `s` has nothing a terminal or a line-based reader would act on. */
export function isOneLine(s: string): boolean {
  return !new RegExp(UNSAFE.source).test(s);
}
