/**
 * Checks of the config files the fixes write: `*.cnf` (a malloc-lib MySQL's mysqld_safe refuses,
 * or that is not a library, or that sits in a section mysqld would choke on) and sysctl files
 * (vm.max_map_count too low for a database host). Pure (no `vscode`).
 */
import { allocatorOfPath } from '../core/allocator';
import { allocatorLibrary, fixContext, MYSQLD_SAFE_LIB_DIRS, systemdLdPreload } from '../core/fixes';
import { formatCount } from '../core/format';
import { t } from '../core/l10n';
import type { Fix, Severity } from '../core/types';
import { keyId, mergeConfig, type ConfigFlavour, type TextEdit } from './configMerge';

/** The least vm.max_map_count for a database host (Elasticsearch's floor; newer docs ask 1048576). */
export const MIN_DB_MAX_MAP_COUNT = 262144;

export type ConfigIssueCode =
  'malloc-lib-directory' | 'malloc-lib-not-library' | 'malloc-lib-not-absolute' | 'malloc-lib-section' | 'max-map-count-low' | 'max-map-count-invalid';

export type ConfigFix = { title: string; preferred?: boolean; edits: TextEdit[] } | { title: string; preferred?: boolean; open: Fix };

export interface ConfigIssue {
  /** 0-based line and the span of the value (or key) it is about. */
  line: number;
  start: number;
  end: number;
  severity: Severity;
  code: ConfigIssueCode;
  message: string;
  fixes: ConfigFix[];
}

/** mysqld_safe reads these groups (MySQL and MariaDB spellings). */
const SAFE_GROUPS = new Set(['mysqld_safe', 'safe_mysqld', 'mariadb-safe', 'mariadb_safe', 'mariadbd-safe', 'mariadbd_safe']);
/** The server reads these and aborts on an unknown option in them. */
const SERVER_GROUPS = /^(mysqld|server|mariadb|mariadbd|mysqld-\d.*|mariadb-\d.*|mariadbd-\d.*|client-server|galera)$/;
const LIBRARY = /\.so(\.\d+)*$/;

interface Line {
  text: string;
  index: number;
  section: string;
  key?: string;
  value?: string;
  valueStart: number;
  valueEnd: number;
}

function lines(text: string): Line[] {
  let section = '';
  return text.split(/\r?\n/).map((t, index) => {
    const s = /^\s*\[([^\]]+)\]/.exec(t);
    if (s) section = s[1].trim().toLowerCase();
    const m = /^(\s*)([^#;=\s[][^=]*?)\s*=\s*(.*?)\s*(?:\s[#;].*)?$/.exec(t);
    if (s || !m) return { text: t, index, section, valueStart: 0, valueEnd: 0 };
    const valueStart = t.indexOf('=', m[1].length + m[2].length) + 1 + /^\s*/.exec(t.slice(t.indexOf('=') + 1))![0].length;
    return { text: t, index, section, key: m[2], value: m[3], valueStart, valueEnd: valueStart + m[3].length };
  });
}

const unquote = (v: string) => v.replace(/^(['"])(.*)\1$/, '$2');

/** A replacement of a line's value. */
function replaceValue(l: Line, value: string): TextEdit[] {
  return [{ start: { line: l.index, character: l.valueStart }, end: { line: l.index, character: l.valueEnd }, newText: value }];
}

/** The systemd drop-in that preloads this exact library (what to do when mysqld_safe refuses it). */
function dropInFor(lib: string): Fix {
  const ctx = fixContext([lib], {}, 0, 0);
  const alloc = allocatorOfPath(lib)?.name ?? 'jemalloc';
  const fix = systemdLdPreload({ ...ctx, server: 'mysql', unit: ctx.distro === 'debian' ? 'mysql' : 'mysqld', program: 'mysqld' }, alloc);
  return { ...fix, text: fix.text.split(allocatorLibrary(ctx, alloc)).join(lib) };
}

function checkMallocLib(l: Line): ConfigIssue | undefined {
  const raw = l.value ?? '';
  const lib = unquote(raw);
  const span = { line: l.index, start: l.valueStart, end: l.valueEnd };
  if (lib === '' || lib === 'tcmalloc' || lib === 'jemalloc') return undefined;
  if (!lib.startsWith('/')) {
    return {
      ...span,
      severity: 'error',
      code: 'malloc-lib-not-absolute',
      message: t('malloc-lib must be an absolute path to a shared library, or the keyword tcmalloc (MariaDB also jemalloc); mysqld_safe ignores "{0}".', lib),
      fixes: /jemalloc|tcmalloc/.test(lib)
        ? [
            {
              title: t('Use the keyword {0}', /jemalloc/.test(lib) ? 'jemalloc' : 'tcmalloc'),
              preferred: true,
              edits: replaceValue(l, /jemalloc/.test(lib) ? 'jemalloc' : 'tcmalloc'),
            },
          ]
        : [],
    };
  }
  const dir = lib.slice(0, lib.lastIndexOf('/')) || '/';
  const base = lib.slice(lib.lastIndexOf('/') + 1);
  if (!LIBRARY.test(base)) {
    const alloc =
      allocatorOfPath(`${base}.so`)?.name ??
      (/jemalloc/.test(lib) ? 'jemalloc' : /tcmalloc/.test(lib) ? 'tcmalloc' : /mimalloc/.test(lib) ? 'mimalloc' : undefined);
    const ctx = fixContext([lib.endsWith('/') ? `${lib}x.so` : lib], {}, 0, 0);
    const suggestion = alloc ? allocatorLibrary({ ...ctx, libDir: MYSQLD_SAFE_LIB_DIRS.includes(dir) ? dir : ctx.libDir }, alloc) : undefined;
    return {
      ...span,
      severity: 'error',
      code: 'malloc-lib-not-library',
      message: t('malloc-lib "{0}" is not a shared library (a file named like lib….so.N): mysqld_safe would preload it and mysqld would fail to start.', lib),
      fixes: suggestion ? [{ title: t('Use {0}', suggestion), preferred: true, edits: replaceValue(l, suggestion) }] : [],
    };
  }
  if (!MYSQLD_SAFE_LIB_DIRS.includes(dir)) {
    const dropIn = dropInFor(lib);
    return {
      ...span,
      severity: 'warning',
      code: 'malloc-lib-directory',
      message: t(
        "MySQL's mysqld_safe (5.7.15+) accepts malloc-lib only from {0}; it refuses {1} and the server does not start. (MariaDB's mysqld_safe has no such rule.) Preload the library through systemd instead, or install it in one of those directories.",
        MYSQLD_SAFE_LIB_DIRS.join(', '),
        dir,
      ),
      fixes: [{ title: t('Preload {0} with a systemd drop-in instead ({1})', base, dropIn.path), preferred: true, open: dropIn }],
    };
  }
  return undefined;
}

/** Diagnostics for a my.cnf-style option file. */
export function checkMyCnf(text: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const l of lines(text)) {
    if (!l.key || keyId('mycnf', l.key) !== 'malloc-lib') continue;
    if (SAFE_GROUPS.has(l.section)) {
      const issue = checkMallocLib(l);
      if (issue) issues.push(issue);
    } else if (SERVER_GROUPS.test(l.section) && !/^loose[-_]/i.test(l.key.trim())) {
      const moved = mergeConfig(text, `[mysqld_safe]\nmalloc-lib=${unquote(l.value ?? '')}\n`, 'mycnf');
      const remove: TextEdit = { start: { line: l.index, character: 0 }, end: { line: l.index + 1, character: 0 }, newText: '' };
      issues.push({
        line: l.index,
        start: /^\s*/.exec(l.text)![0].length,
        end: l.valueEnd,
        severity: 'error',
        code: 'malloc-lib-section',
        message: t(
          'malloc-lib is an option of mysqld_safe, not of the server: in [{0}] mysqld stops with "unknown variable \'malloc-lib\'". Move it to [mysqld_safe].',
          l.section,
        ),
        fixes: [{ title: t('Move malloc-lib to [mysqld_safe]'), preferred: true, edits: [remove, ...moved] }],
      });
    }
  }
  return issues;
}

/** Diagnostics for /etc/sysctl.conf and sysctl.d files. */
export function checkSysctl(text: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const l of lines(text)) {
    if (!l.key || keyId('sysctl', l.key) !== 'vm.max_map_count') continue;
    const span = { line: l.index, start: l.valueStart, end: l.valueEnd };
    const v = (l.value ?? '').trim();
    if (!/^\d+$/.test(v)) {
      issues.push({
        ...span,
        severity: 'error',
        code: 'max-map-count-invalid',
        message: t('vm.max_map_count takes a whole number; sysctl rejects "{0}".', v),
        fixes: [{ title: t('Set vm.max_map_count = {0}', MIN_DB_MAX_MAP_COUNT), preferred: true, edits: replaceValue(l, String(MIN_DB_MAX_MAP_COUNT)) }],
      });
    } else if (Number(v) < MIN_DB_MAX_MAP_COUNT) {
      issues.push({
        ...span,
        severity: 'warning',
        code: 'max-map-count-low',
        message: t(
          'vm.max_map_count = {0} is below {1}, too low for a database host: a fragmented allocator or many threads reach it, and then munmap/mprotect fail with ENOMEM and the server aborts. Fedora 39+, Arch and Ubuntu 24.04+ ship 1048576.',
          formatCount(Number(v)),
          formatCount(MIN_DB_MAX_MAP_COUNT),
        ),
        fixes: [
          { title: t('Set vm.max_map_count = {0}', MIN_DB_MAX_MAP_COUNT), preferred: true, edits: replaceValue(l, String(MIN_DB_MAX_MAP_COUNT)) },
          { title: t('Set vm.max_map_count = {0}', 1048576), edits: replaceValue(l, '1048576') },
        ],
      });
    }
  }
  return issues;
}

/** The checks for a file of the given flavour (systemd drop-ins have none yet). */
export function checkConfig(text: string, flavour: ConfigFlavour): ConfigIssue[] {
  return flavour === 'mycnf' ? checkMyCnf(text) : flavour === 'sysctl' ? checkSysctl(text) : [];
}
