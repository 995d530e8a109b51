#!/usr/bin/env node
// `npm start [-- --port N] [-- --folder DIR]`: builds and packages the extension, provisions a
// local VS Code (code-server, cached under .cache/), installs the .vsix into it and serves it on
// http://127.0.0.1:PORT with a folder open. The first run installs code-server (~2 min); later
// runs reuse it and skip vsce and the install when the extension did not change.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, codeServerArgs, installVsix, packageExtension, provisionCodeServer, repoRoot, run } from './provision-code-server.mjs';

const DEFAULT_PORT = 8080;

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    folder: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  process.stdout.write(`Usage: npm start [-- --port N] [-- --folder DIR]
  --port N      port on 127.0.0.1 (default ${DEFAULT_PORT}, or the next free one)
  --folder DIR  folder to open (default: samples/ of the repository)
`);
  process.exit(0);
}

/** @param {string} msg */
const say = (msg) => process.stderr.write(`vma-lens: ${msg}\n`);
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** @param {number} port @returns {Promise<boolean>} */
function isFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

async function pickPort() {
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad --port ${opts.port}`);
    if (!(await isFree(port))) throw new Error(`port ${port} on 127.0.0.1 is in use`);
    return port;
  }
  for (let port = DEFAULT_PORT; port < DEFAULT_PORT + 100; port++) if (await isFree(port)) return port;
  throw new Error(`no free port in ${DEFAULT_PORT}..${DEFAULT_PORT + 99}`);
}

function pickFolder() {
  if (opts.folder !== undefined) {
    const dir = resolve(process.env.INIT_CWD ?? process.cwd(), opts.folder);
    if (!existsSync(dir)) throw new Error(`--folder ${dir} does not exist`);
    return dir;
  }
  const samples = join(repoRoot, 'samples');
  if (existsSync(samples)) return samples;
  const empty = join(cacheDir, 'start/empty-folder');
  mkdirSync(empty, { recursive: true });
  say('samples/ is missing: opening an empty folder');
  return empty;
}

/**
 * Polls code-server's health endpoint until it answers.
 * @param {number} port @param {import('node:child_process').ChildProcess} child
 */
async function waitReady(port, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('code-server did not answer within 30 s');
}

async function main() {
  say('checking Debian packages…');
  await run('bash', [join(repoRoot, 'scripts/setup-deps.sh'), 'start'], { stdio: 'inherit' });

  say('building and packaging the extension…');
  const { vsix, packaged } = await packageExtension();
  say(packaged ? `packaged ${vsix}` : `${vsix} is up to date`);

  const { codeServerBin } = await provisionCodeServer();

  // One user-data and extensions folder for `npm start`, kept between runs (settings, state).
  const userDataDir = join(cacheDir, 'start/user-data');
  const extensionsDir = join(cacheDir, 'start/extensions');
  const installed = await installVsix({ vsix, userDataDir, extensionsDir });
  say(installed ? 'installed the extension into code-server' : 'extension already installed (unchanged)');

  const settings = join(userDataDir, 'User/settings.json');
  if (!existsSync(settings)) {
    // First run only: quiet defaults; the user's later changes are kept.
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    writeFileSync(
      settings,
      `${JSON.stringify(
        {
          // The folder's README (samples/README.md starts with "Try this") instead of an empty workbench.
          'workbench.startupEditor': 'readme',
          'telemetry.telemetryLevel': 'off',
          'security.workspace.trust.enabled': false,
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'chat.disableAIFeatures': true,
          'git.openRepositoryInParentFolders': 'never',
        },
        null,
        2,
      )}\n`,
    );
  }

  const port = await pickPort();
  const folder = pickFolder();
  const args = codeServerArgs({ port, userDataDir, extensionsDir, folder });
  // Own process group, so Ctrl-C here stops code-server and everything it started (extension
  // host, pty host) in one signal, and only once.
  const child = spawn(codeServerBin, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  let stopping = false;
  const stop = (/** @type {NodeJS.Signals} */ sig) => {
    if (stopping) return;
    stopping = true;
    say(`stopping code-server (${sig})…`);
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  child.on('exit', (code, signal) => {
    if (!stopping) say(`code-server exited (${signal ?? code})`);
    // Make sure no child of code-server outlives it.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* none left */
    }
    process.exit(stopping ? 0 : (code ?? 1));
  });

  await waitReady(port, child);
  const url = `http://127.0.0.1:${port}/?folder=${folder.split('/').map(encodeURIComponent).join('/')}`;
  process.stdout.write(`
  VMA Lens is running in VS Code (code-server), ready in ${secs()}:

      ${url}

  Folder: ${folder}
  Stop with Ctrl-C.

`);
}

main().catch((e) => {
  say(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
