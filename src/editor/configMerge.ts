/**
 * Merging a fix (a my.cnf, sysctl or systemd drop-in snippet) into an existing config file, as
 * minimal text edits: a key already set in the right section is replaced in place, a missing key
 * joins the existing section, a missing section is appended. Pure (no `vscode`).
 */
import { isOneLine, oneLine } from '../core/escape';
import { t } from '../core/l10n';
import type { Fix } from '../core/types';

export type ConfigFlavour = 'mycnf' | 'sysctl' | 'systemd';

export interface Position {
  line: number;
  character: number;
}

/** A replacement of [start, end) by newText (0-based lines and characters). */
export interface TextEdit {
  start: Position;
  end: Position;
  newText: string;
}

/** Which kind of config file a path is, by name. */
export function configFlavourOfPath(path: string): ConfigFlavour | undefined {
  const parts = path.replace(/\\/g, '/').split('/');
  const base = parts[parts.length - 1] ?? '';
  const dir = parts[parts.length - 2] ?? '';
  if (/\.cnf$/.test(base)) return 'mycnf';
  if (base === 'sysctl.conf' || (dir === 'sysctl.d' && /\.conf$/.test(base))) return 'sysctl';
  if (/\.service\.d$/.test(dir) && /\.conf$/.test(base)) return 'systemd';
  return undefined;
}

/** Which kind of file a fix writes, if it is one that can be merged into a config file. */
export function configFlavourOfFix(fix: Fix): ConfigFlavour | undefined {
  switch (fix.id) {
    case 'mysqld-safe-malloc-lib':
      return 'mycnf';
    case 'sysctl-max-map-count':
    case 'overcommit-memory':
      return 'sysctl';
    case 'systemd-ld-preload':
    case 'malloc-arena-max':
    case 'jvm-malloc-arena-max':
    case 'malloc-conf':
    case 'mimalloc-purge-decommits':
      return 'systemd';
    default:
      return undefined;
  }
}

/**
 * The settings a fix may write (section, key id): a merge takes nothing else from its text, so a
 * name from the dump that smuggled lines into a comment can never become a setting.
 */
export function intendedKeys(fix: Fix): { section: string; id: string }[] | undefined {
  switch (fix.id) {
    case 'mysqld-safe-malloc-lib':
      return [{ section: 'mysqld_safe', id: 'malloc-lib' }];
    case 'sysctl-max-map-count':
      return [{ section: '', id: 'vm.max_map_count' }];
    case 'systemd-ld-preload':
      return [{ section: 'Service', id: 'Environment:LD_PRELOAD' }];
    case 'malloc-arena-max':
    case 'jvm-malloc-arena-max':
      return [{ section: 'Service', id: 'Environment:MALLOC_ARENA_MAX' }];
    case 'malloc-conf':
      return [{ section: 'Service', id: 'Environment:MALLOC_CONF' }];
    case 'mimalloc-purge-decommits':
      return [{ section: 'Service', id: 'Environment:MIMALLOC_PURGE_DECOMMITS' }];
    case 'overcommit-memory':
      return [{ section: '', id: 'vm.overcommit_memory' }];
    default:
      return undefined;
  }
}

/** Refuses a fix text with a setting (or a line break VS Code sees and the merge does not) it should not have. */
export class UnintendedLineError extends Error {}

/**
 * mergeConfig for a fix: only its intended settings, each on one line of printable characters,
 * or an UnintendedLineError naming the first line that is not.
 */
export function mergeFix(existing: string, fix: Fix, flavour: ConfigFlavour): TextEdit[] {
  const allowed = intendedKeys(fix);
  if (!allowed) throw new UnintendedLineError(`"${fix.id}" is not a fix that can be merged into a config file`);
  // A \r or another control character would split or hide a line differently in VS Code.
  const bad = fix.text.split('\n').find((l) => !isOneLine(l));
  if (bad !== undefined) throw new UnintendedLineError(t('the fix text has a line with control characters ({0}): nothing was merged', oneLine(bad, 80)));
  for (const e of entriesOf(fix.text, flavour)) {
    if (!allowed.some((a) => a.section === e.section && a.id === e.id)) {
      throw new UnintendedLineError(t('the fix text sets something it should not ({0}): nothing was merged', oneLine(e.text, 80)));
    }
  }
  return mergeConfig(existing, fix.text, flavour);
}

/** Glob (for workspace.findFiles) of the files a fix can be merged into. */
export function configGlobOfFix(fix: Fix): string | undefined {
  switch (configFlavourOfFix(fix)) {
    case 'mycnf':
      return '**/*.cnf';
    case 'sysctl':
      return '**/{sysctl.conf,sysctl.d/*.conf}';
    case 'systemd':
      return '**/*.service.d/*.conf';
    default:
      return undefined;
  }
}

interface Entry {
  section: string;
  id: string;
  text: string;
}

interface Parsed {
  lines: string[];
  /** Line index of each section header, by normalised name (in order). */
  sections: { name: string; raw: string; line: number }[];
  /** Key lines: line index, section, key id. */
  keys: { line: number; section: string; id: string }[];
}

const SECTION = /^\s*\[([^\]]+)\]\s*(?:[#;].*)?$/;
const KEY = /^\s*([^#;=\s[][^=]*?)\s*(?:=\s*(.*?))?\s*$/;

function sectionName(flavour: ConfigFlavour, raw: string): string {
  return flavour === 'systemd' ? raw.trim() : raw.trim().toLowerCase();
}

/** Environment="A=1" "B=2" → the variable names, sorted. */
function environmentNames(value: string): string[] {
  const names: string[] = [];
  for (const m of value.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const assignment = m[1] ?? m[2] ?? m[3] ?? '';
    const eq = assignment.indexOf('=');
    if (eq > 0) names.push(assignment.slice(0, eq));
  }
  return names.sort();
}

/** The identity of a key: what makes two lines set the same thing. */
export function keyId(flavour: ConfigFlavour, key: string, value = ''): string {
  const k = key.trim();
  switch (flavour) {
    case 'mycnf':
      // MySQL treats - and _ alike in option names; loose- only silences unknown options.
      return k
        .toLowerCase()
        .replace(/_/g, '-')
        .replace(/^loose-/, '');
    case 'sysctl':
      return k.replace(/^-/, '').replace(/\//g, '.');
    case 'systemd':
      return k === 'Environment' ? `Environment:${environmentNames(value).join(',')}` : k;
  }
}

function parse(text: string, flavour: ConfigFlavour): Parsed {
  const lines = text.split(/\r?\n/);
  const sections: Parsed['sections'] = [];
  const keys: Parsed['keys'] = [];
  let section = '';
  lines.forEach((l, i) => {
    if (/^\s*([#;]|$)/.test(l)) return;
    const s = SECTION.exec(l);
    if (s) {
      section = sectionName(flavour, s[1]);
      sections.push({ name: section, raw: s[1].trim(), line: i });
      return;
    }
    const k = KEY.exec(l);
    if (k) keys.push({ line: i, section, id: keyId(flavour, k[1], k[2] ?? '') });
  });
  return { lines, sections, keys };
}

function entriesOf(snippet: string, flavour: ConfigFlavour): Entry[] {
  const p = parse(snippet, flavour);
  return p.keys.map((k) => ({ section: k.section, id: k.id, text: p.lines[k.line].trim() }));
}

/** The first comment line of the snippet ("# Written by VMA Lens: …"). */
function snippetTitle(snippet: string): string | undefined {
  return snippet.split('\n').find((l) => /^\s*#/.test(l));
}

/**
 * Edits that merge `snippet` into `existing`. Keys set anywhere in the matching section are
 * replaced in place (every occurrence: the last one would win anyway); new keys go after the
 * last key line of the last matching section; new sections are appended with the snippet's
 * first comment line. Returns [] when the file already says the same.
 */
export function mergeConfig(existing: string, snippet: string, flavour: ConfigFlavour): TextEdit[] {
  const target = parse(existing, flavour);
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const edits: TextEdit[] = [];
  const missing = new Map<string, Entry[]>();
  for (const e of entriesOf(snippet, flavour)) {
    const hits = target.keys.filter((k) => k.section === e.section && k.id === e.id);
    if (hits.length) {
      for (const h of hits) {
        const old = target.lines[h.line];
        const indent = /^\s*/.exec(old)![0];
        if (old.trim() !== e.text) {
          edits.push({ start: { line: h.line, character: 0 }, end: { line: h.line, character: old.length }, newText: indent + e.text });
        }
      }
      continue;
    }
    const list = missing.get(e.section) ?? [];
    list.push(e);
    missing.set(e.section, list);
  }
  const appended: string[] = [];
  for (const [section, entries] of missing) {
    const headers = target.sections.filter((s) => s.name === section);
    const hasSection = section === '' || headers.length > 0;
    if (hasSection) {
      // After the last key (or the header) of the last such section.
      const header = section === '' ? -1 : headers[headers.length - 1].line;
      const next = target.sections.find((s) => s.line > header)?.line ?? target.lines.length;
      const lastKey = target.keys.filter((k) => k.line > header && k.line < next).pop()?.line ?? header;
      if (section === '') {
        // A file without sections (sysctl): new keys go at the end, under the fix's comment.
        appended.push(...entries.map((e) => e.text));
        continue;
      }
      const at = lastKey + 1;
      edits.push({ start: { line: at, character: 0 }, end: { line: at, character: 0 }, newText: entries.map((e) => e.text + eol).join('') });
    } else {
      const title = snippetTitle(snippet);
      const rawName = parse(snippet, flavour).sections.find((s) => s.name === section)?.raw ?? section;
      appended.push(...(title ? [title] : []), `[${rawName}]`, ...entries.map((e) => e.text));
    }
  }
  if (appended.length) {
    const title = snippetTitle(snippet);
    if (missing.has('') && title && !appended.includes(title)) appended.unshift(title);
    // Append at the end, after a blank line when the file has content.
    let last = target.lines.length - 1;
    const endsWithNewline = target.lines[last] === '';
    if (endsWithNewline) last--;
    const nonEmpty = existing.trim().length > 0;
    const lastLine = target.lines[Math.max(0, last)] ?? '';
    const prefix = (endsWithNewline || !nonEmpty ? '' : eol) + (nonEmpty && lastLine.trim() !== '' ? eol : '');
    const pos = endsWithNewline ? { line: target.lines.length - 1, character: 0 } : { line: last, character: lastLine.length };
    edits.push({ start: pos, end: pos, newText: prefix + appended.join(eol) + eol });
  }
  return edits;
}

/** Applies edits (non-overlapping) to text: for tests and previews. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: Position) => {
    let o = 0;
    for (let i = 0; i < p.line && i < lines.length; i++) o += lines[i].length + 1;
    return o + p.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.start) - offset(a.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.start)) + e.newText + out.slice(offset(e.end));
  return out;
}
