/**
 * `vma-lens` (dist/cli.js): runs the CLI bundle, dist/cli-main.js, from V8's code cache of it
 * (cli-main.js.cache, written by `npm run build` after a real run, so it holds the functions a
 * run compiles). Without it every command first parses and compiles 240 KB of JavaScript: about
 * 6 ms of a small dump's 70 ms. A cache V8 refuses (another Node version, a rebuilt bundle) costs
 * only the compile it would have saved.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

const file = join(__dirname, 'cli-main.js');
const cacheFile = `${file}.cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache (a development build, or removed): compiled as usual.
}
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
// scripts/build.mjs runs one analysis with this set, and the cache is what that run compiled.
if (process.env.VMA_LENS_WRITE_CODE_CACHE === '1') process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
const main = new Module(file, module);
main.filename = file;
(script.runInThisContext() as (...args: unknown[]) => void).call(main.exports, main.exports, require, main, file, __dirname);
