/**
 * What goes out: the package.json fields Open VSX (and so VSCodium, Cursor, code-server) and the
 * Marketplace need, a CHANGELOG entry for the version, and `vsce ls` listing only what the
 * extension runs on, within a size budget.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The Marketplace's categories (vsce rejects others; Open VSX shows the same). */
const CATEGORIES = new Set([
  'AI',
  'Azure',
  'Chat',
  'Data Science',
  'Debuggers',
  'Education',
  'Extension Packs',
  'Formatters',
  'Keymaps',
  'Language Packs',
  'Linters',
  'Machine Learning',
  'Notebooks',
  'Other',
  'Programming Languages',
  'SCM Providers',
  'Snippets',
  'Testing',
  'Themes',
  'Visualization',
]);
/** Everything in the .vsix, uncompressed: today about 1.2 MB; room for the web bundle, not for a stray folder. */
const SIZE_BUDGET = 3 * 1024 * 1024;
const FORBIDDEN = [
  /^src\//,
  /^test\//,
  /^bench\//,
  /^scripts\//,
  /^webview\//,
  /^deploy\//,
  /^node_modules\//,
  /^\.cache\//,
  /^test-output\//,
  /\.map$/,
  /\.ts$/,
  /\.vsix$/,
  /^samples\/fragmenter-at-limit\.maps$/,
  /^tsconfig/,
  /^\.git/,
];

describe('Open VSX and Marketplace rules in package.json', () => {
  it('publisher, name, version, displayName, description, license, repository, engines', () => {
    assert.match(pkg.publisher, /^[a-z0-9][a-z0-9-]*$/i);
    assert.match(pkg.name, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.ok(pkg.displayName?.trim());
    assert.ok(pkg.description?.trim());
    assert.equal(pkg.license, 'MIT');
    assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /^MIT License\n/);
    assert.match(pkg.repository?.url ?? '', /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+(\.git)?$/);
    assert.match(pkg.engines?.vscode ?? '', /^\^\d+\.\d+\.\d+$/);
  });

  it('an icon that is a PNG of at least 128 px, categories from the known list, no proposed API', () => {
    const icon = fs.readFileSync(path.join(root, pkg.icon));
    assert.equal(icon.subarray(1, 4).toString(), 'PNG', 'the Marketplace and Open VSX take no SVG icon');
    assert.ok(icon.readUInt32BE(16) >= 128 && icon.readUInt32BE(20) >= 128, 'width and height from the IHDR chunk');
    assert.ok(pkg.categories.length > 0);
    for (const c of pkg.categories) assert.ok(CATEGORIES.has(c), c);
    assert.equal(pkg.enabledApiProposals, undefined);
    assert.equal(pkg.contributes.walkthroughs?.length, 1);
  });

  it('a README with no SVG images (vsce refuses them) and a CHANGELOG entry for this version', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]);
    assert.ok(images.length > 0);
    for (const img of images) {
      assert.doesNotMatch(img, /\.svg$/i);
      assert.doesNotMatch(img, /^http:/, 'images over https only');
      if (!/^https:/.test(img)) assert.ok(fs.existsSync(path.join(root, img)), img);
    }
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    const versions = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)].map((m) => m[1]);
    assert.equal(versions[0], pkg.version, 'the newest entry is this version');
  });
});

describe('vsce ls: only what the extension needs', () => {
  let files: string[];
  before(() => {
    if (!fs.existsSync(path.join(root, 'dist', 'extension.js')))
      spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
    files = execFileSync(path.join(root, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  });

  it('no sources, tests, caches, source maps or the 3 MB sample', () => {
    const bad = files.filter((f) => FORBIDDEN.some((re) => re.test(f)));
    assert.deepEqual(bad, []);
  });

  it('everything package.json points at is in it', () => {
    const needed = [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      pkg.main.replace(/^\.\//, ''),
      pkg.bin['vma-lens'],
      pkg.icon,
      ...pkg.contributes.grammars.map((g: { path: string }) => g.path.replace(/^\.\//, '')),
      ...pkg.contributes.languages.flatMap((l: { configuration?: string }) => (l.configuration ? [l.configuration.replace(/^\.\//, '')] : [])),
      ...pkg.contributes.walkthroughs.flatMap((w: { steps: { media: { image: string } }[] }) => w.steps.map((s) => s.media.image)),
      // The walkthrough opens this sample and the timeline of the samples folder.
      'samples/mariadbd-glibc.maps',
    ];
    assert.deepEqual(
      needed.filter((f) => !files.includes(f)),
      [],
    );
  });

  it(`within the size budget (${SIZE_BUDGET / 1024 / 1024} MiB uncompressed)`, (t) => {
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
    t.diagnostic(`${files.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
    assert.ok(bytes <= SIZE_BUDGET, `${bytes} bytes`);
  });
});
