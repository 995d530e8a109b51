/**
 * The message catalogue: every English message has a zh-cn translation with the same
 * placeholders, no translation is orphaned, package.nls.* match package.json, the engine's `t`
 * formats as vscode.l10n.t does, and no user-visible literal in the UI modules bypasses the catalogue.
 * (The CLI in Chinese on a real process: test/integration/l10nCli.test.ts.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { getL10nJson } from '@vscode/l10n-dev';
import { analyze } from '../../src/core/analyze';
import { languageOfLocale, setL10nBundle, t } from '../../src/core/l10n';
import { parseDump, reasonText } from '../../src/core/parse';
import { hoverAt, pmapColumnsOf } from '../../src/editor/hoverText';
import { cliLanguage } from '../../src/cli/locale';

const ROOT = path.resolve(__dirname, '..', '..');
const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8')) as Record<string, string>;
/** The placeholders of a message, `{0}` or `{name}`, as a sorted multiset. */
const placeholders = (s: string) => (s.match(/\{[^{}\s]+\}/g) ?? []).sort();
const LANGUAGES = fs.readdirSync(path.join(ROOT, 'l10n')).flatMap((f) => /^bundle\.l10n\.(.+)\.json$/.exec(f)?.[1] ?? []);

type Catalogue = { messages: Map<string, string[]>; problems: string[] };
let extracted: Promise<Catalogue> | undefined;
/** The English catalogue, extracted once for all the tests below. */
function catalogue(): Promise<Catalogue> {
  extracted ??= import(path.join(ROOT, 'scripts', 'l10n-export.mjs')).then((mod: { extractCatalogue(root: string): Catalogue }) => mod.extractCatalogue(ROOT));
  return extracted;
}

describe('message catalogue', () => {
  it('every catalogue call has a literal message the extractor can read', async () => {
    const { messages, problems } = await catalogue();
    assert.deepEqual(problems, []);
    assert.ok(messages.size > 200, `only ${messages.size} messages found: is the extractor still finding the calls?`);
  });

  it('the extractor finds at least what @vscode/l10n-dev export finds in the same files', async () => {
    const { messages } = await catalogue();
    const files = ['src', 'webview'].flatMap((d) =>
      fs.readdirSync(path.join(ROOT, d), { recursive: true, encoding: 'utf8' }).map((f) => path.join(ROOT, d, f)),
    );
    // Only files that mention l10n: l10n-dev skips the others anyway, after the cost of reading them.
    const sources = files
      .filter((f) => f.endsWith('.ts') && fs.statSync(f).isFile())
      .map((f) => ({ contents: fs.readFileSync(f, 'utf8'), extension: '.ts' }))
      .filter((s) => s.contents.includes('l10n.t('));
    const theirs = Object.keys(await getL10nJson(sources));
    assert.ok(theirs.length > 100, `l10n-dev found ${theirs.length}`);
    assert.deepEqual(
      theirs.filter((m) => !messages.has(m)),
      [],
    );
  });

  it('fills {0} and {name} placeholders as @vscode/l10n does, and leaves any other brace as written', () => {
    assert.equal(t('{0} of {1} in {0}', 3, 'x'), '3 of x in 3');
    assert.equal(t('{a} and {b}', { a: 'one', b: 2 }), 'one and 2');
    assert.equal(t('{{0}} {1}{0}', 'a', 'b'), '{a} ba');
    assert.equal(t('{} {2} {-1} {00} {NaN} { 0} {1.0} {0', 'a', 'b'), '{} {2} {-1} {00} {NaN} { 0} {1.0} {0');
    assert.equal(t('{x} {constructor}', 'a'), '{x} {constructor}');
    assert.equal(t('}{0}{', 7), '}7{');
    assert.equal(t('no placeholder', 1), 'no placeholder');
  });

  it('has zh-cn among its languages', () => {
    assert.ok(LANGUAGES.includes('zh-cn'), LANGUAGES.join());
  });

  for (const lang of LANGUAGES) {
    it(`${lang}: every message translated, every placeholder kept, none orphaned`, async () => {
      const { messages } = await catalogue();
      const bundle = readJson(`l10n/bundle.l10n.${lang}.json`);
      const missing = [...messages.keys()].filter((m) => typeof bundle[m] !== 'string' || !bundle[m].trim());
      assert.deepEqual(missing, [], `untranslated in ${lang}`);
      const orphaned = Object.keys(bundle).filter((m) => !messages.has(m));
      assert.deepEqual(orphaned, [], `in the ${lang} bundle but no longer in the sources`);
      const badPlaceholders = [...messages.keys()].filter((m) => placeholders(m).join() !== placeholders(bundle[m]).join());
      assert.deepEqual(badPlaceholders, [], 'placeholders differ');
      const untouched = [...messages.keys()].filter((m) => bundle[m] === m);
      assert.deepEqual(untouched, [], 'left in English');
    });

    it(`${lang}: package.nls.${lang}.json has every key of package.nls.json, placeholders kept`, () => {
      const en = readJson('package.nls.json');
      const tr = readJson(`package.nls.${lang}.json`);
      assert.deepEqual(Object.keys(tr).sort(), Object.keys(en).sort());
      for (const k of Object.keys(en)) {
        assert.ok(tr[k].trim() && tr[k] !== en[k], `${k} untranslated`);
        assert.deepEqual(placeholders(tr[k]), placeholders(en[k]), k);
        // Code spans (setting names, paths, values) stay as they are.
        assert.deepEqual((tr[k].match(/`[^`]+`/g) ?? []).sort(), (en[k].match(/`[^`]+`/g) ?? []).sort(), `${k}: code spans`);
      }
    });
  }

  it('every %key% of package.json is in package.nls.json, and every key there is used', () => {
    const pkg = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const used = new Set([...pkg.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    const nls = readJson('package.nls.json');
    assert.ok(used.size >= 20, `${used.size} keys`);
    assert.deepEqual(
      [...used].filter((k) => !(k in nls)),
      [],
    );
    assert.deepEqual(
      Object.keys(nls).filter((k) => !used.has(k)),
      [],
    );
    const p = JSON.parse(pkg) as { l10n?: string; contributes: { commands: { title: string }[] } };
    assert.equal(p.l10n, './l10n');
    assert.deepEqual(
      p.contributes.commands.filter((c) => !/^%.+%$/.test(c.title)),
      [],
      'a command title outside package.nls.json',
    );
  });
});

/**
 * Runs of three or more English words in `text`, code spans left out: identifiers, flags, paths,
 * field names and units are kept as they are in every language, sentences are not.
 */
/** Names of the trade a Chinese text writes as they are: the allocators and their parts. */
const TERMS = /^[(*]*(?:glibc|malloc|ptmalloc|jemalloc|tcmalloc|mimalloc|musl|arena)[,.;:)*]*$/;
export function englishRuns(text: string): string[] {
  const words = text.replace(/`[^`]*`/g, ' § ').split(/\s+/);
  const runs: string[] = [];
  let run: string[] = [];
  for (const w of [...words, '§']) {
    // A word: letters only (with its sentence punctuation); `MAP_SHARED`, `x86_64`, `/proc/PID` are identifiers.
    if (/^[(*]*[A-Za-z]+[’']?[a-z]*[,.;:)*]*$/.test(w) && !TERMS.test(w)) run.push(w);
    else {
      if (run.length >= 3) runs.push(run.join(' '));
      run = [];
    }
  }
  return runs;
}

/** Every hover of every token of a sample's distinct lines, in the language of the bundle set now. */
function hoversOf(sample: string, extraHeader = ''): string[] {
  const text = fs.readFileSync(path.join(ROOT, 'samples', sample), 'utf8').replace(/^# threads: .*\n/m, (l) => l + extraHeader);
  const dump = parseDump(text);
  const src = { dump, analysis: analyze(dump), pmapColumns: pmapColumnsOf(text) };
  const out = new Set<string>();
  const seen = new Set<string>();
  text.split('\n').forEach((line, k) => {
    // Field lines repeat per VMA: one of each shape (key, and for VmFlags the codes) is enough.
    const shape = /^[A-Za-z_]\w*:/.test(line) && !line.startsWith('VmFlags') ? line.replace(/\d+/g, '0') : line;
    if (seen.has(shape)) return;
    seen.add(shape);
    for (const m of line.matchAll(/\S+/g))
      for (let ch = m.index; ch < m.index + m[0].length; ch++) {
        const h = hoverAt(src, k + 1, line, ch);
        if (h) out.add(h.markdown);
      }
  });
  return [...out];
}

describe('zh-cn hovers', () => {
  const zh = readJson('l10n/bundle.l10n.zh-cn.json');
  for (const sample of ['threads-glibc.smaps', 'threads-jemalloc.pmap', 'mariadbd-jemalloc.maps']) {
    it(`${sample}: every hover (columns, smaps fields, VmFlags codes, header lines) is Chinese but for code`, () => {
      const english = hoversOf(sample);
      // The check can fail: the same hovers in English are full of sentences.
      assert.ok(english.filter((h) => englishRuns(h).length).length > english.length / 2, 'English hovers without English sentences?');
      setL10nBundle(zh);
      try {
        const chinese = hoversOf(sample);
        assert.ok(chinese.length >= english.length * 0.9, `${chinese.length} hovers in Chinese, ${english.length} in English`);
        const left = chinese.flatMap((h) => englishRuns(h).map((r) => `${r}  ⟵  ${h.slice(0, 120)}`));
        assert.deepEqual(left, []);
      } finally {
        setL10nBundle(undefined);
      }
    });
  }
  it('every capture header line a capture writes is Chinese but for code (the samples carry only some)', () => {
    // Values as captures of a real mysqld write them; the lines are added to a real capture's header.
    const extra = [
      '# cpus: 8',
      '# rss: 123456 kB',
      '# pss: 120000 kB',
      '# exe: /usr/sbin/mariadbd',
      '# comm: mariadbd',
      '# exe_static: no',
      '# exe_symbols: none',
      '# ld_preload: /usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '# malloc_conf: retain:true',
      '# malloc_arena_max: 4',
      '# glibc_tunables: glibc.malloc.arena_max=4',
      '# unit: mariadb.service',
      '# overcommit_memory: 0',
      '# thp_defrag: always defer [madvise] never',
      '# libc: /usr/lib/x86_64-linux-gnu/libc.so.6',
      '# some_future_key: 1',
      '',
    ].join('\n');
    const english = hoversOf('threads-glibc.smaps', extra);
    setL10nBundle(zh);
    try {
      const chinese = hoversOf('threads-glibc.smaps', extra);
      assert.ok(chinese.length > english.length * 0.9 && chinese.length > 16 + 11, `${chinese.length} hovers`);
      assert.deepEqual(
        chinese.flatMap((h) => englishRuns(h).map((r) => `${r}  ⟵  ${h.slice(0, 120)}`)),
        [],
      );
    } finally {
      setL10nBundle(undefined);
    }
  });

  it('a malformed line’s reason stays English in the dump and is shown in Chinese, with the field lines ignored under it', () => {
    const dump = parseDump('7f00-7f10 rw-p 00000000 00:00 0\n7f30-7f20 rw-p 00000000 00:00 0\nRss: 4 kB\nPss: 4 kB\n');
    const reason = dump.malformed[0]?.reason ?? '';
    assert.equal(reason, 'end address is below the start address (and its 2 field lines below, ignored)');
    assert.equal(reasonText(reason), reason);
    setL10nBundle(zh);
    try {
      assert.equal(reasonText(reason), '结束地址小于起始地址（其下 2 个字段行已忽略）');
      assert.equal(dump.malformed[0].reason, reason);
    } finally {
      setL10nBundle(undefined);
    }
  });

  it('a real smaps field line and VmFlags line, hovered in Chinese', () => {
    setL10nBundle(zh);
    try {
      const text = fs.readFileSync(path.join(ROOT, 'samples', 'threads-glibc.smaps'), 'utf8');
      const lines = text.split('\n');
      const dump = parseDump(text);
      const src = { dump, analysis: analyze(dump) };
      const rss = lines.findIndex((l) => l.startsWith('Rss:'));
      const md = hoverAt(src, rss + 1, lines[rss], 0)?.markdown ?? '';
      assert.match(md, /^\*\*Rss\*\* — 常驻集/);
      const vf = lines.findIndex((l) => /^VmFlags:.* rd /.test(l));
      const at = lines[vf].indexOf(' rd ') + 1;
      assert.equal(hoverAt(src, vf + 1, lines[vf], at)?.markdown, '**VmFlags `rd`**: 可读.');
    } finally {
      setL10nBundle(undefined);
    }
  });
});

describe('engine catalogue t()', () => {
  it('is English with its placeholders filled when no bundle is set', () => {
    setL10nBundle(undefined);
    assert.equal(t('{0} VMAs of {1}', 5, '7'), '5 VMAs of 7');
    assert.equal(t('Hello {name}', { name: 'db1' }), 'Hello db1');
    assert.equal(t('kept {1} {0}', 'a'), 'kept {1} a');
  });

  it('reads the bundle, in both of its entry forms, and keeps placeholders in the translated order', () => {
    setL10nBundle({ '{0} of {1}': '{1} 中的 {0}', plain: { message: '纯文本', comment: ['x'] } });
    try {
      assert.equal(t('{0} of {1}', 'a', 'b'), 'b 中的 a');
      assert.equal(t('plain'), '纯文本');
      assert.equal(t('absent {0}', 1), 'absent 1');
    } finally {
      setL10nBundle(undefined);
    }
  });

  it('maps POSIX locales to catalogue languages', () => {
    assert.equal(languageOfLocale('zh_CN.UTF-8'), 'zh-cn');
    assert.equal(languageOfLocale('zh_CN.utf8@pinyin'), 'zh-cn');
    assert.equal(languageOfLocale('de'), 'de');
    assert.equal(languageOfLocale('C.UTF-8'), undefined);
    assert.equal(languageOfLocale('POSIX'), undefined);
    assert.equal(languageOfLocale(''), undefined);
  });

  it('the CLI takes --lang first, then LC_ALL, LC_MESSAGES, LANG (empty ones skipped)', () => {
    assert.deepEqual(cliLanguage(['analyze', '--lang', 'zh-cn', 'f'], { LANG: 'de_DE' }), { lang: 'zh-cn', argv: ['analyze', 'f'] });
    assert.deepEqual(cliLanguage(['--lang=zh_CN', 'x'], {}), { lang: 'zh-cn', argv: ['x'] });
    assert.equal(cliLanguage([], { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }).lang, undefined);
    assert.equal(cliLanguage([], { LC_ALL: '', LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }).lang, 'zh-cn');
    assert.equal(cliLanguage([], { LANG: 'zh_CN.UTF-8' }).lang, 'zh-cn');
    assert.equal(cliLanguage([], {}).lang, undefined);
  });
});

/**
 * A user-visible literal in a UI module that bypasses the catalogue: an argument of a
 * notification, progress title or command-failure label, a quick pick / input box / dialog text,
 * a status bar text, a timeline notice, or (in the webview) an element's text, title or label.
 * Text is what remains of the literal once `${…}` substitutions and `$(codicon)`s are taken out.
 */
const UI_DIRS = [
  'src/editor',
  'src/timeline',
  'src/fleet',
  'src/report',
  'src/capture',
  'src/captureUi',
  'src/prometheus',
  'src/util',
  'src/walkthrough',
  'src/tasks',
  'src/web',
  'src/activate.ts',
  'src/nodePlatform.ts',
  // the timeline webview and its widget modules (chartPanel, stripPanel, diffTables, summary, …)
  'webview',
];
const TEXT_PROPS = new Set([
  'title',
  'placeHolder',
  'placeholder',
  'prompt',
  'label',
  'description',
  'detail',
  'openLabel',
  'tooltip',
  'text',
  'textContent',
  'message',
  'error',
]);
const TEXT_CALLS = /^(?:showInformationMessage|showWarningMessage|showErrorMessage|setStatusBarMessage|withProgress|guarded|showError|requireTrust|notice)$/;

function literalText(node: ts.Node, sf: ts.SourceFile): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
  if (ts.isConditionalExpression(node)) return [literalText(node.whenTrue, sf), literalText(node.whenFalse, sf)].filter(Boolean).join(' ') || undefined;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
    return [literalText(node.left, sf), literalText(node.right, sf)].filter(Boolean).join(' ') || undefined;
  return undefined;
}
/** Names that read the same in every language: the product, units of the trade, URLs. */
const UNTRANSLATED = /\$\([a-z~-]+\)|\bVMA Lens\b|\b(?:VMAs?|RSS|PSS|max_map_count)\b|[a-z]+:\/\/\S*/g;
const isWords = (s: string | undefined) => !!s && /[A-Za-z]{2,}/.test(s.replace(UNTRANSLATED, ''));
/**
 * Not yet wholly in the catalogue (the hover explanations of columns, smaps fields and VmFlags;
 * its VMA summary is): listed so that the test guards every other UI module now; remove an entry
 * when its file is translated.
 */
const NOT_YET: string[] = [];

export function unwrappedUiLiterals(root: string): string[] {
  const found: string[] = [];
  for (const dir of UI_DIRS) {
    const base = path.join(root, dir);
    const rels = fs.statSync(base).isDirectory() ? fs.readdirSync(base, { recursive: true, encoding: 'utf8' }) : [''];
    for (const rel of rels) {
      const file = path.join(base, rel);
      if (!file.endsWith('.ts') || !fs.statSync(file).isFile() || NOT_YET.includes(path.relative(root, file))) continue;
      const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const report = (node: ts.Node, what: string) =>
        found.push(`${path.relative(root, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}: ${what}: ${node.getText(sf).slice(0, 90)}`);
      const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node)) {
          const callee = node.expression.getText(sf).split('.').pop() ?? '';
          // notice(level, message): the level is a CSS class, not text.
          if (TEXT_CALLS.test(callee)) for (const a of node.arguments.slice(callee === 'notice' ? 1 : 0)) if (isWords(literalText(a, sf))) report(a, callee);
          if (callee === 'setAttribute' && /aria-label|title/.test(node.arguments[0]?.getText(sf) ?? '') && isWords(literalText(node.arguments[1], sf)))
            report(node.arguments[1], 'attribute');
        }
        if (ts.isPropertyAssignment(node) && TEXT_PROPS.has(node.name.getText(sf)) && isWords(literalText(node.initializer, sf)))
          report(node.initializer, node.name.getText(sf));
        if (
          ts.isBinaryExpression(node) &&
          node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          ts.isPropertyAccessExpression(node.left) &&
          TEXT_PROPS.has(node.left.name.text) &&
          isWords(literalText(node.right, sf))
        )
          report(node.right, node.left.name.text);
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
  }
  return found;
}

describe('UI modules', () => {
  it('show no user-visible string literal outside the catalogue (notifications, pickers, status bar, webview text)', () => {
    assert.deepEqual(unwrappedUiLiterals(ROOT), []);
  });
});
