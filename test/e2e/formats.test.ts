/**
 * Other tools' dumps and several processes per file in a real VS Code (code-server + Chromium):
 * numa_maps and gdb's `info proc mappings` of a live process, a real JVM crash log, and `head` of
 * two maps files, each opened under a name that says nothing so that its language is picked by
 * content (or by the hs_err_pid*.log name), coloured by its grammar, with hovers and Problems.
 *
 * Run: npm run build && node --import tsx --test --test-concurrency=1 test/e2e/formats.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import { startProcess, type RealProcess } from '../helpers/realProcess';
import { command } from './editorActions';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';

/** A real JVM crash log (hs_err_pid*.log), from a JVM that runs out of its 32 MB heap. */
function jvmCrashLog(): { name: string; text: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-e2e-hserr-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'Oom.java'),
      'public class Oom { public static void main(String[] a) { var l = new java.util.ArrayList<long[]>(); for (;;) l.add(new long[1 << 20]); } }\n',
    );
    const run = spawnSync('java', ['-Xmx32m', '-XX:+CrashOnOutOfMemoryError', `-XX:ErrorFile=${dir}/hs_err_pid%p.log`, '-Xshare:off', 'Oom.java'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const file = /(\S*(hs_err_pid\d+\.log))/.exec(run.stdout + run.stderr);
    if (!file) throw new Error(`no crash log:\n${run.stdout}${run.stderr}`);
    return { name: file[2], text: fs.readFileSync(file[1], 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('other dump formats in VS Code', { timeout: 600_000 }, () => {
  let vsc: VSCode;
  let proc: RealProcess;
  let other: RealProcess;
  const texts: Record<string, string> = {};
  let hsErrName = '';

  before(async () => {
    proc = startProcess({ program: 'shmkinds' });
    other = startProcess({ cmd: 'sleep', args: ['600'], readyCheck: () => fs.readFileSync(`/proc/${other.pid}/maps`, 'utf8').includes('libc.so') });
    await Promise.all([proc.ready, other.ready]);
    texts['numa-dump'] = fs.readFileSync(`/proc/${proc.pid}/numa_maps`, 'utf8');
    const gdb = execFileSync('gdb', ['-p', String(proc.pid), '-batch', '-ex', 'info proc mappings'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    texts['mappings'] = gdb.slice(gdb.search(/^process \d+$/m));
    texts['two-processes'] = execFileSync('head', ['-n', '1000', `/proc/${other.pid}/maps`, `/proc/${proc.pid}/maps`], { encoding: 'utf8' });
    const crash = jvmCrashLog();
    hsErrName = crash.name;
    texts[hsErrName] = crash.text;
    vsc = await startVSCode({ folder: tempFolder(), files: texts, settings: { 'workbench.editor.enablePreview': false } });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`formats-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
    await Promise.all([proc?.stop(), other?.stop()]);
  });

  const lineOf = (file: string, re: RegExp) => texts[file].split('\n').findIndex((l) => re.test(l)) + 1;

  it('opens numa_maps as Proc NUMA Maps by content, with N0= pages on hover and the VMA count', async () => {
    await vsc.openFile('numa-dump');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc NUMA Maps',
      ),
      'Proc NUMA Maps',
    );
    const line = lineOf('numa-dump', /libc\.so.* N0=\d+/);
    const text = texts['numa-dump'].split('\n')[line - 1];
    const pages = /N0=(\d+)/.exec(text)![1];
    // The grammar colours the line once the editor has tokenised it, a moment after the language is set.
    const colours = await poll(
      () => vsc.editorTokens(line),
      (c) => c.length >= 4,
    ).catch(() => vsc.editorTokens(line));
    assert.ok(colours.length >= 4, `address, policy, keys and counts in their colours: ${colours.join(', ')}`);
    const hover = await vsc.hover(line, text.indexOf(' N0=') + 3);
    assert.match(hover, new RegExp(`NUMA node 0: ${pages} pages? of 4 KiB`));
    const count = texts['numa-dump'].trim().split('\n').length;
    const bar = await poll(
      () => vsc.statusBarText(),
      (s) => s.some((x) => /VMAs \//.test(x)),
    );
    assert.ok(
      bar.some((x) => x.includes(`${count} VMAs / 65,530`)),
      JSON.stringify(bar),
    );
  });

  it("opens gdb's info proc mappings as GDB Mappings by content, coloured, with hovers", async () => {
    await vsc.openFile('mappings');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'GDB Mappings',
      ),
      'GDB Mappings',
    );
    const line = lineOf('mappings', /\sr-xp\s.*libc\.so/);
    const text = texts['mappings'].split('\n')[line - 1];
    assert.ok((await vsc.editorTokens(line)).length >= 5, 'addresses, size, offset, permissions, path');
    assert.match(await vsc.hover(line, text.indexOf('r-xp') + 1), /Permissions r-xp/);
    assert.match(await vsc.hover(line, text.indexOf('/usr/lib') + 3), /shared library/);
  });

  it('opens a JVM crash log as JVM Crash Log and explains its Dynamic libraries: lines', async () => {
    await vsc.openFile(hsErrName);
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'JVM Crash Log',
      ),
      'JVM Crash Log',
    );
    const line = lineOf(hsErrName, /^Dynamic libraries:/) + 1;
    const hover = await vsc.hover(line, 3);
    assert.match(hover, /bytes/);
    const count = texts[hsErrName]
      .split('Dynamic libraries:\n')[1]
      .split('\n\n')[0]
      .split('\n')
      .filter((l) => !l.endsWith('[vsyscall]')).length;
    const bar = await poll(
      () => vsc.statusBarText(),
      (s) => s.some((x) => x.includes(`${count} VMAs`)),
    );
    assert.ok(
      bar.some((x) => x.includes(`${count} VMAs / 65,530`)),
      JSON.stringify(bar),
    );
  });

  it('says in Problems that a head of two maps files holds two processes', async () => {
    await vsc.openFile('two-processes');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Maps',
      ),
      'Proc Maps',
    );
    const mine = (ps: Awaited<ReturnType<VSCode['problems']>>) => ps.filter((p) => p.file === 'two-processes' && p.code.includes('input-notes'));
    const problems = mine(
      await poll(
        () => vsc.problems(),
        (ps) => mine(ps).length > 0,
      ),
    );
    assert.match(problems[0].message, /holds 2 processes/);
    // On the line where the second process starts.
    assert.equal(problems[0].line, lineOf('two-processes', new RegExp(`^==> /proc/${proc.pid}/maps <==$`)));
  });

  it('pastes numa_maps from the clipboard in its own language', async () => {
    await vsc.writeClipboard(texts['numa-dump']);
    await command(vsc, 'VMA Lens: Paste Maps from Clipboard');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc NUMA Maps',
      ),
      'Proc NUMA Maps',
    );
  });

  it('logs no extension errors', () => {
    assert.deepEqual(vsc.extensionErrors(), []);
  });
});
