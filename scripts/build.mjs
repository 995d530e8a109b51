// One esbuild call per target; types are checked separately by `tsc --noEmit`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const CODE_CACHE = 'dist/cli-main.js.cache';

/** @type {esbuild.BuildOptions[]} */
const targets = [
  {
    // Extension host: CommonJS, `vscode` provided by the host at run time.
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    // Browser extension host (vscode.dev, code-server's web worker): the same wiring on the web
    // platform. Platform `browser` makes any `node:` import that slips in a build error.
    entryPoints: ['src/web/extension.ts'],
    outfile: 'dist/web/extension.js',
    platform: 'browser',
    format: 'cjs',
    target: 'es2022',
    external: ['vscode'],
  },
  {
    // Command-line twin of the analysis, run by dist/cli.js from V8's code cache.
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli-main.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // `vma-lens`: loads dist/cli-main.js with its code cache (src/cli/launch.ts).
    entryPoints: ['src/cli/launch.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
];
if (existsSync('webview/main.ts')) {
  targets.push({
    // Timeline webview: runs in the browser sandbox of the webview iframe.
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
}

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
if (watch) {
  // V8 checks a cache against its source's length only: a rebuilt bundle must not meet an old one.
  rmSync(CODE_CACHE, { force: true });
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
  writeCodeCache();
}

/**
 * dist/cli-main.js.cache: V8's code cache of the CLI bundle after one real analysis (the code a
 * run compiles is in it), made by this Node; dist/cli.js uses it when its Node accepts it.
 */
function writeCodeCache() {
  const cache = CODE_CACHE;
  rmSync(cache, { force: true });
  const r = spawnSync(process.execPath, ['dist/cli.js', 'analyze', '--json', 'samples/mariadbd-glibc.maps'], {
    env: { ...process.env, VMA_LENS_WRITE_CODE_CACHE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(cache)) throw new Error(`build: no code cache for the CLI (exit ${r.status})`);
}
