/**
 * The architecture's import boundaries, checked rather than remembered (see ARCHITECTURE.md):
 * - src/core is pure: it imports only other src/core modules (no `vscode`, no `node:*`, no
 *   package), so the extension host, the CLI, the webview and a web worker can all run it;
 * - the webview bundle reaches only webview/, src/protocol.ts and src/core, plus its UI packages;
 * - the browser entry (src/web/extension.ts) reaches no `node:` module and no package but `vscode`;
 * - the CLI, the Node helpers, capture and the Prometheus client never import `vscode`;
 * - a folder with an index.ts (capture, editor) is imported from outside only through it, or
 *   through its browser face (capture/names.ts); no two src/ folders import each other;
 * - every diagnostic code has the README section its link points to, every setting a README row.
 * Each rule is also run on a made-up violation, so a checker that silently passes everything fails.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

/** Module specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

type Files = Map<string, string>; // repo-relative path → source

function readTree(dir: string, files: Files = new Map()): Files {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) readTree(rel, files);
    else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) files.set(rel, fs.readFileSync(path.join(ROOT, rel), 'utf8'));
  }
  return files;
}

/** A relative specifier resolved to a repo-relative .ts path (as esbuild would), else undefined. */
function resolveLocal(from: string, spec: string, files: Files): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return [`${base}.ts`, `${base}/index.ts`, base].find((p) => files.has(p)) ?? `${base}.ts`;
}

/** Violations of "src/core imports only src/core". */
export function coreViolations(files: Files): string[] {
  const bad: string[] = [];
  for (const [file, src] of files) {
    if (!file.startsWith('src/core/')) continue;
    for (const spec of importsOf(src)) {
      const target = resolveLocal(file, spec, files);
      if (!target?.startsWith('src/core/')) bad.push(`${file} imports '${spec}'`);
    }
  }
  return bad;
}

const WEBVIEW_PACKAGES = /^(?:chart\.js|@vscode-elements\/elements|@vscode\/l10n)(?:\/|$)/;

/** Violations of the webview bundle's reach: everything imported from its entry, transitively. */
export function webviewViolations(files: Files, entry = 'webview/main.ts'): string[] {
  const bad: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(files.get(file) ?? '')) {
      const target = resolveLocal(file, spec, files);
      if (!target) {
        if (!WEBVIEW_PACKAGES.test(spec)) bad.push(`${file} imports '${spec}' (webview bundle)`);
      } else if (target.startsWith('webview/') || target.startsWith('src/core/') || target === 'src/protocol.ts') {
        visit(target);
      } else bad.push(`${file} imports ${target} (outside webview/, src/core and src/protocol.ts)`);
    }
  };
  visit(entry);
  return bad;
}

/** Module specifiers esbuild keeps: importsOf() without `import type` / `export type` statements. */
export function runtimeImportsOf(source: string): string[] {
  return importsOf(source.replace(/(?:^|[\s;])(?:import|export)\s+type\s[^'"`;]*?from\s*['"][^'"]+['"]/gm, ''));
}

/**
 * Violations of the browser build's reach: from its entry, transitively through what esbuild
 * bundles, nothing but our own modules and `vscode` (no `node:`, no Node-only package).
 */
export function webEntryViolations(files: Files, entry = 'src/web/extension.ts'): string[] {
  const bad: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, via: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!files.has(file)) bad.push(`${via} imports ${file}, which does not exist`);
    for (const spec of runtimeImportsOf(files.get(file) ?? '')) {
      const target = resolveLocal(file, spec, files);
      if (target) visit(target, file);
      else if (spec !== 'vscode') bad.push(`${file} imports '${spec}' (web bundle, reached from ${entry})`);
    }
  };
  visit(entry, entry);
  return bad;
}

/** Violations of "the CLI, the Node helpers, capture and the Prometheus client never import vscode". */
export function cliViolations(files: Files): string[] {
  const bad: string[] = [];
  for (const [file, src] of files) {
    if (!/^src\/(?:cli|node|capture|prometheus)\//.test(file)) continue;
    for (const spec of importsOf(src)) if (spec === 'vscode') bad.push(`${file} imports 'vscode'`);
  }
  return bad;
}

/** The folder of a repo-relative file under src/ (`src/editor/x.ts` → `src/editor`), else undefined for files at src/'s top. */
const folderOf = (file: string): string | undefined => /^(src\/[^/]+)\//.exec(file)?.[1];

/**
 * The faces a folder with an index.ts shows besides it. `src/capture/index.ts` reaches `sh` and
 * `ssh` (Node only); `names.ts`, which runs no program (the error type, the PID and host checks,
 * dump file names), is its face for code the browser build reaches too.
 */
export const BROWSER_FACES: ReadonlySet<string> = new Set(['src/capture/names.ts']);

/**
 * Violations of "a folder with an index.ts is reached from outside only through it (its public
 * face), or through its browser face".
 */
export function internalsViolations(files: Files, browserFaces: ReadonlySet<string> = BROWSER_FACES): string[] {
  const bad: string[] = [];
  for (const [file, src] of files) {
    for (const spec of importsOf(src)) {
      const target = resolveLocal(file, spec, files);
      const folder = target && folderOf(target);
      if (!folder || folder === folderOf(file) || !files.has(`${folder}/index.ts`)) continue;
      if (target !== `${folder}/index.ts` && !browserFaces.has(target)) bad.push(`${file} imports ${target} (use ${folder}/index.ts)`);
    }
  }
  return bad;
}

/** Cycles between src/ folders (`src/editor → src/report → src/editor`), each named once. */
export function folderCycles(files: Files): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [file, src] of files) {
    const from = folderOf(file);
    if (!from) continue;
    for (const spec of importsOf(src)) {
      const to = folderOf(resolveLocal(file, spec, files) ?? '');
      if (to && to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
  }
  const cycles = new Set<string>();
  const walk = (path: string[]) => {
    for (const next of edges.get(path.at(-1)!) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = path.slice(at);
        const first = loop.indexOf([...loop].sort()[0]);
        cycles.add([...loop.slice(first), ...loop.slice(0, first), loop[first]].join(' → '));
      } else walk([...path, next]);
    }
  };
  for (const f of edges.keys()) walk([f]);
  return [...cycles].sort();
}

/** The string members of a union type alias `export type NAME = | 'a' | 'b';` in a source file. */
export function unionMembers(source: string, name: string): string[] {
  const m = new RegExp(`export type ${name} =([^;]*);`).exec(source);
  return m ? [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]) : [];
}

describe('README anchors: every diagnostic code links to a section, every setting is documented', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const headings = new Set([...readme.matchAll(/^### `([\w-]+)`$/gm)].map((m) => m[1]));

  it('each finding id and config-check code has its README `### id` heading, and no heading is left over', () => {
    const findings = unionMembers(fs.readFileSync(path.join(ROOT, 'src/core/types.ts'), 'utf8'), 'FindingId');
    const checks = unionMembers(fs.readFileSync(path.join(ROOT, 'src/editor/configCheck.ts'), 'utf8'), 'ConfigIssueCode');
    assert.ok(findings.length >= 10 && checks.length >= 5, `read the ids: ${findings.length} findings, ${checks.length} checks`);
    assert.deepEqual(
      [...findings, ...checks].filter((id) => !headings.has(id)),
      [],
      'ids without a README section',
    );
    assert.deepEqual(
      [...headings].filter((h) => !findings.includes(h) && !checks.includes(h)),
      [],
      'README sections of no id',
    );
  });

  it('unionMembers reads a union and finds nothing in a file without it', () => {
    assert.deepEqual(unionMembers("export type X =\n  | 'a-b'\n  | 'c';", 'X'), ['a-b', 'c']);
    assert.deepEqual(unionMembers('export type Y = string;', 'X'), []);
  });

  it('each setting of package.json is in the README settings table', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, unknown> } };
    };
    const settings = Object.keys(pkg.contributes.configuration.properties);
    assert.ok(settings.length > 5);
    assert.deepEqual(
      settings.filter((id) => !readme.includes(`| \`${id}\` |`)),
      [],
      'settings missing from the README table',
    );
  });
});

describe('architecture boundaries', () => {
  const files = new Map([...readTree('src'), ...readTree('webview')]);

  it('finds every kind of import statement', () => {
    const src = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "export { c } from './c';",
      "export * from 'node:fs';",
      "import 'side-effect';",
      "const m = await import('vscode');",
      'import {\n  multi,\n  line,\n} from "./multi";',
    ].join('\n');
    assert.deepEqual(importsOf(src), ['./a', '../b', './c', 'node:fs', 'side-effect', 'vscode', './multi']);
  });

  it('src/core imports only src/core', () => {
    assert.ok([...files.keys()].filter((f) => f.startsWith('src/core/')).length > 10, 'read src/core');
    assert.deepEqual(coreViolations(files), []);
  });

  it('the core rule catches node:, vscode, packages and escapes from src/core', () => {
    const fake: Files = new Map([
      [
        'src/core/a.ts',
        "import * as fs from 'node:fs';\nimport * as vscode from 'vscode';\nimport { x } from '../editor/x';\nimport { y } from 'chart.js';\nimport { ok } from './b';",
      ],
      ['src/core/b.ts', ''],
    ]);
    assert.deepEqual(coreViolations(fake), [
      "src/core/a.ts imports 'node:fs'",
      "src/core/a.ts imports 'vscode'",
      "src/core/a.ts imports '../editor/x'",
      "src/core/a.ts imports 'chart.js'",
    ]);
  });

  it('src/core type-checks without Node or VS Code types (src/core/tsconfig.json)', () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', path.join(ROOT, 'src', 'core', 'tsconfig.json')], { stdio: 'pipe' });
  });

  it('the webview bundle reaches only webview/, src/protocol.ts, src/core and its UI packages', () => {
    assert.deepEqual(webviewViolations(files), []);
  });

  it('the webview rule follows imports transitively and catches what the host owns', () => {
    const fake: Files = new Map([
      ['webview/main.ts', "import { p } from '../src/protocol';\nimport { Chart } from 'chart.js';"],
      ['src/protocol.ts', "import type { D } from './core/diff';\nimport { cfg } from './config';"],
      ['src/core/diff.ts', "import * as vscode from 'vscode';"],
      ['src/config.ts', ''],
    ]);
    assert.deepEqual(webviewViolations(fake), [
      "src/core/diff.ts imports 'vscode' (webview bundle)",
      'src/protocol.ts imports src/config.ts (outside webview/, src/core and src/protocol.ts)',
    ]);
  });

  it('the browser entry (package.json `browser`) reaches no node: module and no package but vscode', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { browser: string };
    assert.equal(pkg.browser, './dist/web/extension.js');
    assert.ok(files.has('src/web/extension.ts'));
    assert.deepEqual(webEntryViolations(files), []);
    // It does reach the shared wiring and the features (a walk that stopped early would pass too).
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const spec of runtimeImportsOf(files.get(f) ?? '')) {
        const t = resolveLocal(f, spec, files);
        if (t) walk(t);
      }
    };
    walk('src/web/extension.ts');
    for (const f of [
      'src/activate.ts',
      'src/editor/hoverProvider.ts',
      'src/timeline/panel.ts',
      'src/fleet/fleetPanel.ts',
      'src/core/kernel.ts',
      'src/prometheus/client.ts',
    ]) {
      assert.ok(reached.has(f), `the web entry reaches ${f}`);
    }
    for (const f of ['src/node/dumpFile.ts', 'src/capture/capture.ts', 'src/timeline/captureStore.ts'])
      assert.ok(!reached.has(f), `the web entry does not reach ${f}`);
  });

  it('package.json: workspace first under remote development; capture and watch hidden where no program can run', async () => {
    const { Commands, ContextKeys } = await import('../../src/constants');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      extensionKind: string[];
      contributes: { menus: { commandPalette: { command: string; when: string }[] } };
    };
    assert.deepEqual(pkg.extensionKind, ['workspace', 'ui']);
    const when = new Map(pkg.contributes.menus.commandPalette.map((m) => [m.command, m.when]));
    for (const c of [Commands.captureLocal, Commands.captureSsh, Commands.watchProcess]) {
      assert.equal(when.get(c), `(!isWeb || remoteName) && !${ContextKeys.noProcesses}`, c);
    }
    assert.equal(when.get(Commands.analyze), undefined, 'the rest stays in the palette');
  });

  it('the web rule follows runtime imports, skips type-only ones, and catches node: and Node-only modules', () => {
    const fake: Files = new Map([
      ['src/web/extension.ts', "import type { P } from '../platform';\nimport * as vscode from 'vscode';\nimport { wire } from '../activate';"],
      ['src/platform.ts', "import * as fs from 'node:fs';"],
      ['src/activate.ts', "import { x } from './timeline/panel';\nexport type { Y } from './node/y';"],
      ['src/timeline/panel.ts', "import { spawn } from 'node:child_process';\nimport { q } from 'chart.js';"],
    ]);
    assert.deepEqual(webEntryViolations(fake), [
      "src/timeline/panel.ts imports 'node:child_process' (web bundle, reached from src/web/extension.ts)",
      "src/timeline/panel.ts imports 'chart.js' (web bundle, reached from src/web/extension.ts)",
    ]);
    assert.deepEqual(runtimeImportsOf("import type { A } from './a';\nexport type { B } from './b';\nimport { c } from './c';"), ['./c']);
  });

  it('a folder with an index.ts is reached from outside only through it (or its browser face)', () => {
    assert.deepEqual(internalsViolations(files), []);
    const fake: Files = new Map([
      ['src/capture/index.ts', "export { x } from './capture';"],
      ['src/capture/capture.ts', ''],
      ['src/capture/names.ts', ''],
      ['src/cli/main.ts', "import { x } from '../capture/capture';\nimport { y } from '../capture';\nimport { z } from '../report/reportHtml';"],
      ['src/report/reportHtml.ts', "import { w } from './reportPanel';"],
      ['src/report/reportPanel.ts', ''],
      ['src/fleet/fleetPanel.ts', "import { CaptureError } from '../capture/names';"],
    ]);
    assert.deepEqual(internalsViolations(fake), ['src/cli/main.ts imports src/capture/capture.ts (use src/capture/index.ts)']);
    assert.deepEqual(internalsViolations(fake, new Set()), [
      'src/cli/main.ts imports src/capture/capture.ts (use src/capture/index.ts)',
      'src/fleet/fleetPanel.ts imports src/capture/names.ts (use src/capture/index.ts)',
    ]);
  });

  it('a browser face is browser-safe: it imports no node: module, no package and no Node-only module of its folder', () => {
    for (const face of BROWSER_FACES) {
      assert.ok(files.has(face), `${face} exists`);
      assert.deepEqual(webEntryViolations(files, face), [], face);
      assert.ok(webEntryViolations(new Map([[face, "import { spawn } from 'node:child_process';"]]), face).length === 1, 'the check sees a node: import');
    }
  });

  it('no two src/ folders import each other, directly or round a loop', () => {
    assert.deepEqual(folderCycles(files), []);
    const fake: Files = new Map([
      ['src/editor/index.ts', "import { r } from '../report/reportPanel';"],
      ['src/report/reportPanel.ts', "import { d } from '../editor/dumpIndex';\nimport { c } from '../core/parse';"],
      ['src/editor/dumpIndex.ts', "import { c } from '../core/parse';"],
      ['src/core/parse.ts', ''],
    ]);
    assert.deepEqual(folderCycles(fake), ['src/editor → src/report → src/editor']);
  });

  it('the CLI, the Node helpers, capture and the Prometheus client never import vscode', () => {
    assert.deepEqual(cliViolations(files), []);
    assert.deepEqual(cliViolations(new Map([['src/cli/x.ts', "import * as vscode from 'vscode';"]])), ["src/cli/x.ts imports 'vscode'"]);
  });
});
