/**
 * The TextMate grammars (syntaxes/*.tmLanguage.json) and the language contributions.
 *
 * - runs every fixture under test/grammar/ with `vscode-tmgrammar-test`, which reads the grammars
 *   from package.json's contributes.grammars (so the wiring is tested too), one test per fixture;
 * - runs them again with a carriage return at the end of each source line (CRLF files read by a
 *   consumer that splits on \n only);
 * - checks that every scope the grammars can produce is asserted by at least one fixture;
 * - checks the languages in package.json: IDs from src/constants.ts, file names, firstLine patterns;
 * - where the project's code-server is provisioned, checks in the real Dark Modern theme that
 *   neighbouring columns of a maps line get different colours.
 *
 * Run: node --import tsx --test test/integration/grammar.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { DUMP_LANGUAGES, Languages } from '../../src/constants';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'grammar');
const TMGRAMMAR_TEST = path.join(ROOT, 'node_modules', '.bin', 'vscode-tmgrammar-test');

interface LanguageContribution {
  id: string;
  aliases?: string[];
  filenames?: string[];
  extensions?: string[];
  firstLine?: string;
  configuration?: string;
}
interface GrammarContribution {
  language: string;
  scopeName: string;
  path: string;
}
interface PackageJson {
  activationEvents?: string[];
  contributes?: { languages?: LanguageContribution[]; grammars?: GrammarContribution[] };
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const languages = pkg.contributes?.languages ?? [];
const grammars = pkg.contributes?.grammars ?? [];

function listFixtures(dir: string = FIXTURES): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFixtures(p));
    else out.push(p);
  }
  return out.sort();
}
const fixtures = listFixtures();
const rel = (p: string): string => path.relative(ROOT, p);

interface ToolRun {
  status: number | null;
  output: string;
}
/** vscode-tmgrammar-test in compact mode; grammars come from ./package.json (its default config). */
function runTool(files: string[], cwd = ROOT, extraArgs: string[] = []): ToolRun {
  const r = spawnSync(TMGRAMMAR_TEST, ['--compact', ...extraArgs, ...files], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('grammar fixtures (vscode-tmgrammar-test)', () => {
  let run: ToolRun;
  before(() => {
    run = runTool(fixtures.map(rel));
  });

  it('there is a fixture for each format', () => {
    for (const dir of ['procmaps', 'procsmaps', 'pmap', 'gdbmaps', 'numamaps', 'hserr']) {
      assert.ok(
        fixtures.some((f) => rel(f).startsWith(path.join('test', 'grammar', dir) + path.sep)),
        `no fixtures in test/grammar/${dir}`,
      );
    }
  });

  it('exits with code 0', () => {
    assert.equal(run.status, 0, run.output);
  });

  for (const f of fixtures) {
    it(rel(f), () => {
      const name = rel(f);
      const errors = run.output.split('\n').filter((l) => l.includes(name) && !l.startsWith('✓'));
      assert.deepEqual(errors, [], errors.join('\n'));
      assert.ok(run.output.includes(`✓ ${name} `), `${name} was not reported as run:\n${run.output}`);
    });
  }
});

describe('grammar fixtures with CR line endings', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-grammar-crlf-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every assertion still holds when each source line ends with \\r', () => {
    const copies: string[] = [];
    for (const f of fixtures) {
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      // The tool splits on \r\n|\n, so \r\r\n leaves one \r on the line the grammar sees.
      const text = lines.map((l, i) => (i === 0 || /^#\s*(\^|<~*-+)/.test(l) ? `${l}\n` : `${l}\r\r\n`)).join('');
      const copy = path.join(dir, rel(f).replace(/[\\/]/g, '__'));
      fs.writeFileSync(copy, text);
      copies.push(copy);
    }
    const r = runTool(copies, ROOT);
    assert.equal(r.status, 0, r.output);
  });
});

// ---------------------------------------------------------------------------------------------
// Every scope the grammars produce is asserted somewhere

interface RawRule {
  name?: string;
  contentName?: string;
  captures?: Record<string, RawRule>;
  beginCaptures?: Record<string, RawRule>;
  endCaptures?: Record<string, RawRule>;
  patterns?: RawRule[];
  repository?: Record<string, RawRule>;
}
function collectScopes(rule: RawRule, into: Set<string>): void {
  for (const n of [rule.name, rule.contentName]) for (const s of n?.split(/\s+/) ?? []) if (s) into.add(s);
  for (const caps of [rule.captures, rule.beginCaptures, rule.endCaptures]) for (const c of Object.values(caps ?? {})) collectScopes(c, into);
  for (const p of rule.patterns ?? []) collectScopes(p, into);
  for (const r of Object.values(rule.repository ?? {})) collectScopes(r, into);
}
/** Positive scopes named by the assertion lines of a fixture (the part before a lone "-"). */
function assertedScopes(file: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^#\s*(?:\^+\s*)+(.*)$/.exec(line) ?? /^#\s*<~*-+\s+(.*)$/.exec(line);
    if (!m) continue;
    const required = m[1].split(/\s+-\s+|^-\s+/)[0];
    out.push(...required.split(/\s+/).filter((s) => s && s !== '-'));
  }
  return out;
}

describe('grammar scope coverage', () => {
  it('every scope in syntaxes/*.tmLanguage.json has at least one assertion', () => {
    const scopes = new Set<string>();
    for (const g of grammars) {
      // The top-level "name" is the grammar's display name, not a scope.
      const { patterns, repository } = JSON.parse(fs.readFileSync(path.join(ROOT, g.path), 'utf8')) as RawRule;
      collectScopes({ patterns, repository }, scopes);
    }
    assert.ok(scopes.size > 50, `only ${scopes.size} scopes found`);
    const asserted = new Set(fixtures.flatMap(assertedScopes));
    const missing = [...scopes].filter((s) => {
      // A name like constant.language.vmflag.$1.procmaps is filled in from the match.
      const re = new RegExp(
        '^' +
          s
            .split(/\$\{?\d+(?::\/\w+\})?/)
            .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('[\\w-]+') +
          '$',
      );
      return ![...asserted].some((a) => re.test(a));
    });
    assert.deepEqual(missing, []);
  });
});

// ---------------------------------------------------------------------------------------------
// Language contributions

describe('language contributions', () => {
  const byId = new Map(languages.map((l) => [l.id, l]));

  it('declares each language of src/constants.ts with a grammar, a configuration and an activation event', () => {
    for (const id of DUMP_LANGUAGES) {
      const lang = byId.get(id);
      assert.ok(lang, `language ${id} not contributed`);
      assert.ok(lang.configuration && fs.existsSync(path.join(ROOT, lang.configuration)), `${id}: configuration file`);
      const g = grammars.find((x) => x.language === id);
      assert.ok(g, `no grammar for ${id}`);
      assert.equal(g.scopeName, `source.${id}`);
      const raw = JSON.parse(fs.readFileSync(path.join(ROOT, g.path), 'utf8')) as { scopeName: string };
      assert.equal(raw.scopeName, g.scopeName, `${g.path} declares another scopeName`);
      assert.ok(pkg.activationEvents?.includes(`onLanguage:${id}`), `onLanguage:${id}`);
    }
  });

  it('shows the names users see and picks files by name', () => {
    assert.equal(byId.get(Languages.maps)?.aliases?.[0], 'Proc Maps');
    assert.equal(byId.get(Languages.smaps)?.aliases?.[0], 'Proc Smaps');
    assert.equal(byId.get(Languages.pmap)?.aliases?.[0], 'Pmap Output');
    assert.deepEqual(byId.get(Languages.maps)?.filenames, ['maps']);
    assert.deepEqual(byId.get(Languages.maps)?.extensions, ['.maps']);
    assert.deepEqual(byId.get(Languages.smaps)?.filenames, ['smaps', 'smaps_rollup']);
    assert.deepEqual(byId.get(Languages.smaps)?.extensions, ['.smaps']);
    assert.deepEqual(byId.get(Languages.pmap)?.extensions, ['.pmap']);
    assert.equal(byId.get(Languages.gdb)?.aliases?.[0], 'GDB Mappings');
    assert.equal(byId.get(Languages.numa)?.aliases?.[0], 'Proc NUMA Maps');
    assert.deepEqual(byId.get(Languages.numa)?.filenames, ['numa_maps']);
    assert.equal(byId.get(Languages.hsErr)?.aliases?.[0], 'JVM Crash Log');
    assert.deepEqual((byId.get(Languages.hsErr) as { filenamePatterns?: string[] })?.filenamePatterns, ['hs_err_pid*.log']);
  });

  it('recognises pasted dumps by their first line', () => {
    const detect = (line: string): string[] => languages.filter((l) => l.firstLine && new RegExp(l.firstLine).test(line)).map((l) => l.id);
    const cases: Array<[string, string[]]> = [
      ['556de2e87000-556de2e89000 r--p 00000000 fe:00 260131                     /usr/bin/cat', [Languages.maps]],
      ['08048000-08049000 r-xp 00000000 08:01 1317045    /opt/legacy/bin/app', [Languages.maps]],
      ['ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]', [Languages.maps]],
      // smaps and smaps_rollup start with a maps line too: procmaps colours their fields
      ['562a13756000-7ffeafa4a000 ---p 00000000 00:00 0                          [rollup]', [Languages.maps]],
      ['# vma-lens capture', [Languages.maps]],
      ['# host: db1.example.com', [Languages.maps]],
      ['# max_map_count: 65530', [Languages.maps]],
      ['5340:   bash /dev/fd/3', [Languages.pmap]],
      // pmap -q / -x -q rows pasted without their title, and pmap -X -q
      ['0000564beeda6000    188K r---- bash', [Languages.pmap]],
      ['0000564beeda6000     188       0       0 r---- bash', [Languages.pmap]],
      ['    564beeda6000 r--p 00000000 fe:00 260104  188   0   0   0   0   0 0 0 0 0 0 0 0 0 0 0 bash', [Languages.pmap]],
      ['==> /proc/1214/maps <==', [Languages.maps]],
      ['process 1214', [Languages.gdb]],
      ['Mapped address spaces:', [Languages.gdb]],
      ['          Start Addr           End Addr       Size     Offset  Perms  objfile', [Languages.gdb]],
      ['55dba0afb000 default file=/tmp/shmkinds mapped=1 N0=1 kernelpagesize_kB=4', [Languages.numa]],
      ['7f9a9e595000 bind:0-1 anon=2 dirty=2 N0=1 N1=1 kernelpagesize_kB=4', [Languages.numa]],
      ['4242:   /usr/sbin/mariadbd --basedir=/usr', [Languages.pmap]],
      ['Size:                  8 kB', []],
      ['# a comment', []],
      ['hello world', []],
    ];
    for (const [line, want] of cases) assert.deepEqual(detect(line), want, line);
  });
});

// ---------------------------------------------------------------------------------------------
// Colours in the default dark theme, when the project's code-server (and so the theme) is there

interface ThemeRule {
  scope?: string | string[];
  settings: { foreground?: string; background?: string; fontStyle?: string };
}
function findThemeDir(): string | undefined {
  const cache = path.join(ROOT, '.cache');
  if (!fs.existsSync(cache)) return undefined;
  for (const d of fs
    .readdirSync(cache)
    .filter((n) => n.startsWith('code-server-'))
    .sort()
    .reverse()) {
    const t = path.join(cache, d, 'lib', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'theme-defaults', 'themes');
    if (fs.existsSync(path.join(t, 'dark_modern.json'))) return t;
  }
  return undefined;
}
function loadThemeRules(dir: string, file: string): ThemeRule[] {
  const t = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { include?: string; tokenColors?: ThemeRule[] };
  return [...(t.include ? loadThemeRules(dir, path.basename(t.include)) : []), ...(t.tokenColors ?? [])];
}

/** A colour a reader takes for an error: strong red (#a31515, #e50000, #cd3131, #f44747…). */
function looksLikeError(hex: string): boolean {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex);
  if (!m) return false;
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16));
  return r >= 150 && g < 100 && b < 100;
}

/** The two default themes of VS Code (Dark Modern and Light Modern), with their editor colours. */
const THEMES = [
  { name: 'Dark Modern', file: 'dark_modern.json', foreground: '#CCCCCC', background: '#1F1F1F' },
  { name: 'Light Modern', file: 'light_modern.json', foreground: '#3B3B3B', background: '#FFFFFF' },
];

for (const theme of THEMES)
  describe(`colours in the ${theme.name} theme`, () => {
    const themeDir = findThemeDir();
    const skip = themeDir ? false : 'code-server not provisioned (.cache/code-server-*)';

    /** Tokenises a line of a grammar in this theme; colourAt(offset) gives the colour there. */
    async function colours(scopeName: string, line: string): Promise<(offset: number) => string> {
      // vscode-textmate and vscode-oniguruma as vscode-tmgrammar-test resolves them (its dependencies).
      const req = createRequire(require.resolve('vscode-tmgrammar-test/package.json'));
      const tm = req('vscode-textmate') as any;
      const onig = req('vscode-oniguruma') as any;
      const wasm = fs.readFileSync(path.join(path.dirname(req.resolve('vscode-oniguruma')), 'onig.wasm'));
      await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).catch(() => undefined);
      const byScope = new Map(grammars.map((g) => [g.scopeName, path.join(ROOT, g.path)]));
      const registry = new tm.Registry({
        onigLib: Promise.resolve({
          createOnigScanner: (p: string[]) => new onig.OnigScanner(p),
          createOnigString: (s: string) => new onig.OnigString(s),
        }),
        loadGrammar: async (scope: string) => {
          const p = byScope.get(scope);
          return p ? tm.parseRawGrammar(fs.readFileSync(p, 'utf8'), p) : null;
        },
      });
      registry.setTheme({
        name: theme.name,
        settings: [{ settings: { foreground: theme.foreground, background: theme.background } }, ...loadThemeRules(themeDir!, theme.file)],
      });
      const colorMap: string[] = registry.getColorMap();
      const grammar = await registry.loadGrammar(scopeName);
      const bin: Uint32Array = grammar.tokenizeLine2(line, tm.INITIAL).tokens;
      return (offset: number): string => {
        let c = '';
        for (let i = 0; i < bin.length; i += 2) if (bin[i] <= offset) c = colorMap[(bin[i + 1] >>> 15) & 0x1ff];
        return c;
      };
    }

    it('neighbouring columns of a maps line differ', { skip }, async () => {
      const line = '7f1c5f2b7000-7f1c5f2e3000 r-xp 00002000 fe:00 1447                       /usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
      const colourAt = await colours('source.procmaps', line);
      const at = (needle: string, from = 0): number => line.indexOf(needle, from);
      const col = {
        start: 0,
        dash: 12,
        end: 13,
        read: at(' r-xp') + 1,
        none: at(' r-xp') + 2,
        exec: at(' r-xp') + 3,
        priv: at(' r-xp') + 4,
        offset: at('00002000'),
        major: at('fe:00'),
        colon: at('fe:00') + 2,
        minor: at('fe:00') + 3,
        inode: at(' 1447') + 1,
        dir: at('/usr/lib'),
        allocator: at('libjemalloc'),
      };
      const order = Object.keys(col) as Array<keyof typeof col>;
      for (let i = 1; i < order.length; i++) {
        const [a, b] = [order[i - 1], order[i]];
        assert.notEqual(colourAt(col[a]), colourAt(col[b]), `${a} and ${b} have the same colour ${colourAt(col[a])}`);
      }
      const distinct = new Set(order.map((k) => colourAt(col[k])));
      // Six: paths take the theme's variable colour (neutral, not the red light themes give strings).
      assert.ok(distinct.size >= 6, `only ${distinct.size} colours: ${[...distinct].join(' ')}`);
    });

    it('paths, smaps field names and pmap columns are not in an error red', { skip }, async () => {
      const cases: [string, string, string][] = [
        ['source.procmaps', '55d0c0000000-55d0c0021000 r--p 00000000 fd:00 3146115                    /usr/sbin/mariadbd', '/usr/sbin'],
        ['source.procmaps', '7f1c5f2b7000-7f1c5f2e3000 r--p 00000000 fe:00 1447                       /usr/share/locale/locale-archive', '/usr/share'],
        ['source.procsmaps', 'Rss:                 132 kB', 'Rss'],
        ['source.procsmaps', 'AnonHugePages:         0 kB', 'AnonHugePages'],
        ['source.pmap', 'Address           Kbytes     RSS   Dirty Mode  Mapping', 'Kbytes'],
      ];
      for (const [scope, line, what] of cases) {
        const c = (await colours(scope, line))(line.indexOf(what));
        assert.ok(c && !looksLikeError(c), `${what} in ${theme.name}: ${c}`);
      }
    });
  });
