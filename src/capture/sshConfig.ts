import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Host aliases from an ssh_config file (default ~/.ssh/config), following `Include`. Patterns
 * (`*`, `?`, negations) are skipped: they are not hosts one can pick. Order as in the file.
 */
export function sshHostsFromConfig(file = join(homedir(), '.ssh', 'config')): string[] {
  const hosts: string[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>();
  const sshDir = join(homedir(), '.ssh');
  const read = (path: string, depth: number): void => {
    if (depth > 8 || visited.has(path)) return;
    visited.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^(\w+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
      if (!m) continue;
      const key = m[1].toLowerCase();
      const args = splitArgs(m[2]);
      if (key === 'host') {
        for (const h of args) {
          if (/[*?!]/.test(h) || seen.has(h)) continue;
          seen.add(h);
          hosts.push(h);
        }
      } else if (key === 'include') {
        for (const pattern of args) {
          const p = pattern.startsWith('~/') ? join(homedir(), pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(sshDir, pattern);
          for (const f of expandGlob(p)) read(f, depth + 1);
        }
      }
    }
  };
  read(file, 0);
  return hosts;
}

/** ssh_config arguments: blank-separated, double quotes group. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]);
  return out;
}

/** A glob with `*` / `?` in its last component only (what ssh_config Include uses in practice). */
function expandGlob(p: string): string[] {
  if (!/[*?]/.test(p)) return [p];
  const dir = dirname(p);
  const re = new RegExp(
    `^${p
      .slice(dir.length + 1)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f))
      .filter((f) => {
        try {
          return statSync(f).isFile();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}
