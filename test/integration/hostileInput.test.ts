/**
 * Hostile input (issue 11): crafted dumps through the real code paths from a dump to the user's
 * files, shell and terminal. Each test feeds the crafted input and asserts the safe outcome;
 * shell commands are run by a real `sh` (with `sudo` replaced by a function that prints its
 * words), unit names are checked against the real `systemd-escape`, the CLI is the built one.
 *
 * Run: npm run build && node --import tsx --test test/integration/hostileInput.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { captureFileName, captureRemote, CaptureError } from '../../src/capture/capture';
import { analyze } from '../../src/core/analyze';
import { isOneLine, oneLine, shQuote, showEscaped, systemdEscape, unitNameOf } from '../../src/core/escape';
import {
  fixCommandLine,
  fixContext,
  jemallocLgHugepage,
  jvmMallocArenaMax,
  kernelDefaultHugepagesz,
  mallocArenaMax,
  mallocConfFix,
  mimallocPurgeDecommits,
  mysqldSafeMallocLib,
  overcommitMemory,
  sysctlMaxMapCount,
  systemdLdPreload,
  type FixContext,
} from '../../src/core/fixes';
import { parseDump } from '../../src/core/parse';
import type { Fix } from '../../src/core/types';
import { applyEdits, configFlavourOfFix, intendedKeys, mergeFix, UnintendedLineError } from '../../src/editor/configMerge';
import { isWebviewMessage, MessageType } from '../../src/protocol';
import { DumpCache } from '../../src/timeline/dumpCache';
import { nodeDumpFiles } from '../../src/node/dumpFiles';
import { rng } from '../helpers/rng';

const CLI = path.resolve('dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-hostile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string | number): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 30_000,
    ...(typeof input === 'number' ? { stdio: [input, 'pipe', 'pipe'] } : { input: input ?? '' }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LIBC = '7f1000000000-7f1000200000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6';

/** A maps dump whose first mapped file (the executable, for the fixes) is `name` (newlines as the kernel writes them). */
function dumpNamed(name: string, header = ''): string {
  return `${header}555555554000-555555556000 r-xp 00000000 08:01 1234 ${name.replace(/\n/g, '\\012')}\n7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n${LIBC}\n`;
}

function fixesOf(text: string): Fix[] {
  return analyze(parseDump(text)).findings.flatMap((f) => f.fixes);
}

/** Runs a command line in a real sh with `sudo` printing its words (NUL-separated): the words sh would have run. */
function shellWords(line: string, cwd: string): string[][] {
  const out = execFileSync('sh', ['-c', `sudo() { printf '%s\\0' "$@"; printf '\\1'; }\n${line}`], { cwd, encoding: 'latin1' });
  return out
    .split('\x01')
    .filter((c) => c !== '')
    .map((c) => c.split('\0').slice(0, -1));
}

/** `systemd-escape` itself, on many strings in one run (its output words never hold a space). */
function realSystemdEscape(names: string[]): string[] {
  const out = execFileSync('systemd-escape', ['--', ...names], { encoding: 'utf8' }).trim();
  return out.split(/\s+/);
}

describe('escaping helpers', () => {
  it('systemdEscape matches the real systemd-escape on crafted and random names', () => {
    const names = ['worker$(touch${IFS}PWNED)', '.hidden/x-y', 'a b\\c', 'é@ü', '-leading', 'plain_name.1', 'x]=;`id`'];
    for (let i = 0; i < 200; i++) {
      names.push(Array.from({ length: 1 + (i % 17) }, (_, k) => String.fromCharCode(33 + ((i * 31 + k * 7) % 94))).join(''));
    }
    assert.deepEqual(names.map(systemdEscape), realSystemdEscape(names));
  });

  it('unitNameOf keeps valid unit names, escapes the rest, refuses empty and too long', () => {
    assert.equal(unitNameOf('php-fpm'), 'php-fpm');
    assert.equal(unitNameOf('worker$(id)'), systemdEscape('worker$(id)'));
    assert.equal(unitNameOf('-x'), '\\x2dx');
    assert.equal(unitNameOf(''), undefined);
    assert.equal(unitNameOf('a'.repeat(248)), 'a'.repeat(248));
    assert.equal(unitNameOf('a'.repeat(249)), undefined);
  });

  it('shQuote round-trips every word through a real sh', () => {
    const words = ["it's", '$(touch PWNED)', '`touch PWNED`', 'a;b', 'a\nb', '', '-n', 'x y', '"', '\\', '${IFS}', 'plain', '*', '~root'];
    const got = execFileSync('sh', ['-c', `printf '%s\\0' ${words.map(shQuote).join(' ')}`], { cwd: tmp, encoding: 'utf8' });
    assert.deepEqual(got.split('\0').slice(0, -1), words);
    assert.ok(!fs.existsSync(path.join(tmp, 'PWNED')));
  });

  it('oneLine and showEscaped leave no control, line-break or bidi character', () => {
    const nasty = 'a\nb\rc\x1b]0;t\x07\x9b2J\u2028\u202e\x85d';
    for (const s of [oneLine(nasty), showEscaped(nasty)]) {
      assert.ok(isOneLine(s), JSON.stringify(s));
      assert.ok(s.includes('\\012') && s.includes('\\033') && s.includes('\\u{202e}'));
    }
    assert.equal(oneLine('x'.repeat(500), 10).length, 10);
  });
});

describe('item 1: lines injected into config files', () => {
  const crafted = dumpNamed('/usr/sbin/mariadbd\n[mysqld]\nskip-grant-tables\nbind-address=0.0.0.0');
  const MY_CNF = '[mysqld]\ndatadir=/var/lib/mysql\n\n[mysqld_safe]\nnice=0\n';

  it('the fixes of a crafted maps line have no injected line (Open fix, analyze --fixes)', () => {
    const fixes = fixesOf(crafted);
    assert.ok(
      fixes.some((f) => f.id === 'mysqld-safe-malloc-lib'),
      'the crafted dump still gets the my.cnf fix',
    );
    for (const f of fixes) {
      const lines = f.text.split('\n');
      assert.ok(!lines.some((l) => /^\s*(\[mysqld\]|skip-grant-tables|bind-address)/.test(l)), f.text);
      assert.ok(lines.every(isOneLine));
    }
    const r = cli(['analyze', '--fixes', '-'], crafted);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.split('\n').some((l) => /^\s*(\[mysqld\]|skip-grant-tables|bind-address)/.test(l)), r.stdout);
  });

  it('the merge into an existing my.cnf adds malloc-lib only, never the injected settings', () => {
    const fix = fixesOf(crafted).find((f) => f.id === 'mysqld-safe-malloc-lib')!;
    const out = applyEdits(MY_CNF, mergeFix(MY_CNF, fix, 'mycnf'));
    assert.equal(out, '[mysqld]\ndatadir=/var/lib/mysql\n\n[mysqld_safe]\nnice=0\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n');
  });

  it('every fix that can be merged names its settings, and merges exactly them into an empty file', () => {
    const ctx = fixContext(['/usr/sbin/mariadbd', LIBC.split(' ').pop()!], {}, 10, 65530);
    const fixes = [
      mysqldSafeMallocLib(ctx),
      sysctlMaxMapCount(ctx, 'r'),
      systemdLdPreload(ctx),
      mallocArenaMax(ctx),
      jvmMallocArenaMax(ctx),
      mallocConfFix(ctx, 'retain:true', 't', []),
      mimallocPurgeDecommits(ctx),
      overcommitMemory(ctx),
    ];
    for (const f of fixes) {
      const flavour = configFlavourOfFix(f);
      assert.ok(flavour, f.id);
      const merged = applyEdits('', mergeFix('', f, flavour));
      const settings = merged.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('['));
      assert.equal(settings.length, intendedKeys(f)!.length, `${f.id}: ${merged}`);
    }
  });

  it('MALLOC_CONF options from the dump reach a fix only when they are jemalloc option syntax', () => {
    const text = `# malloc_conf: retain:false,narenas:4,evil:"x%n,bad key:1,prof_prefix:/tmp/jeprof\n${LIBC}\n7f0000000000-7f0000001000 r-xp 00000000 08:01 9 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n`;
    const fix = analyze(parseDump(text))
      .findings.flatMap((x) => x.fixes)
      .find((x) => x.id === 'malloc-conf');
    assert.ok(fix, 'retain:false gets the MALLOC_CONF fix');
    assert.match(fix.text, /^Environment="MALLOC_CONF=narenas:4,prof_prefix:\/tmp\/jeprof,retain:true"$/m);
  });

  it('a fix text carrying a setting it should not is refused whole', () => {
    const fix = mysqldSafeMallocLib(fixContext(['/usr/sbin/mariadbd', LIBC.split(' ').pop()!], {}, 10, 65530));
    const tampered = { ...fix, text: fix.text.replace('[mysqld_safe]', '[mysqld]\nskip-grant-tables\n[mysqld_safe]') };
    assert.throws(() => mergeFix(MY_CNF, tampered, 'mycnf'), UnintendedLineError);
    const cr = { ...fix, text: fix.text.replace(/malloc-lib=(.*)/, 'malloc-lib=$1\rskip-grant-tables') };
    assert.throws(() => mergeFix(MY_CNF, cr, 'mycnf'), UnintendedLineError);
    assert.deepEqual(
      applyEdits(MY_CNF, mergeFix(MY_CNF, fix, 'mycnf'))
        .split('\n')
        .filter((l) => l.startsWith('skip')),
      [],
    );
  });
});

describe('item 2: shell code in Copy command and in fix paths', () => {
  // With a glibc arena heap, the trouble for which a plain program is offered the allocator switch.
  const ARENA_HEAP = '7f2000000000-7f2000021000 rw-p 00000000 00:00 0 \n7f2000021000-7f2004000000 ---p 00000000 00:00 0 \n';
  const crafted = dumpNamed('/opt/app/worker', '# command: /opt/app/worker$(touch${IFS}PWNED)\n') + ARENA_HEAP;

  it('the copied command runs as the intended words, and creates nothing', () => {
    const fixes = fixesOf(crafted);
    const fix = fixes.find((f) => f.id === 'systemd-ld-preload')!;
    const unit = systemdEscape('worker$(touch${IFS}PWNED)');
    assert.equal(unit, realSystemdEscape(['worker$(touch${IFS}PWNED)'])[0]);
    const line = fixCommandLine(fix)!;
    assert.deepEqual(shellWords(line, tmp), [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', unit],
    ]);
    assert.ok(!fs.existsSync(path.join(tmp, 'PWNED')), 'the command substitution never ran');
  });

  it('the drop-in directory is a valid unit name, escaped as systemd-escape does', () => {
    const dropIns = fixesOf(crafted).filter((x) => x.path.includes('.service.d/'));
    assert.deepEqual(dropIns.map((f) => f.id).sort(), ['malloc-arena-max', 'systemd-ld-preload']);
    for (const f of dropIns) {
      const dir = /^\/etc\/systemd\/system\/([^/]+)\.service\.d\/[\w.-]+\.conf$/.exec(f.path);
      assert.ok(dir, f.path);
      assert.match(dir[1], /^[A-Za-z0-9:_.\\-]+$/);
      assert.equal(dir[1], realSystemdEscape(['worker$(touch${IFS}PWNED)'])[0]);
    }
  });
});

describe('property: random names never add a line to a fix, and every command parses to its words', () => {
  const TOKENS = [
    '\n',
    '\\012',
    "'",
    '"',
    '$(touch PWNED)',
    '`touch PWNED`',
    ';',
    ']',
    '[',
    '=',
    '[mysqld]',
    'skip-grant-tables',
    '\r',
    '\x1b[2J',
    '&&',
    '|',
    '${IFS}',
    ' ',
    '-',
    '/',
    '..',
    '#',
    '\\',
    'mariadbd',
    'mysqld',
    '\u202e',
    '\x00',
  ];
  const r = rng(0x5eed11);
  const randomName = () => Array.from({ length: 1 + r(8) }, () => (r(3) ? TOKENS[r(TOKENS.length)] : String.fromCharCode(r(3) ? r(256) : r(0x3000)))).join('');

  /** Every generator on a context, and the same on a benign one with the same server and distro. */
  function allFixes(ctx: FixContext): Fix[] {
    return [
      sysctlMaxMapCount(ctx, `reason ${ctx.program}`),
      mysqldSafeMallocLib(ctx),
      systemdLdPreload(ctx),
      mallocArenaMax(ctx),
      jemallocLgHugepage(ctx),
      kernelDefaultHugepagesz(ctx),
    ];
  }
  const nonComment = (text: string) => text.split('\n').filter((l) => !l.startsWith('#'));

  it('300 names from headers and mapped paths', () => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'prop-'));
    for (let round = 0; round < 300; round++) {
      const name = randomName();
      const viaHeader = round % 2 === 0;
      const ctx = viaHeader
        ? fixContext([], { command: `/opt/${name}` }, 100, 65530)
        : fixContext(parseDump(dumpNamed(`/opt/x/${name.replace(/\n/g, '')}`)).names, {}, 100, 65530);
      const benign = { ...ctx, unit: 'benign', program: 'benign' };
      const fixes = allFixes(ctx);
      const want = allFixes(benign);
      // fixContext makes the unit (escaped as systemd-escape does, or refused): only unit-name characters.
      const expectedUnit = ctx.unit;
      assert.match(expectedUnit, /^[A-Za-z0-9:_.@\\-]+$/, `round ${round} ${JSON.stringify(name)}`);
      fixes.forEach((f, k) => {
        const tag = `round ${round} ${JSON.stringify(name)} ${f.id}`;
        assert.ok(f.text.split('\n').every(isOneLine), tag);
        // Lines that are not comments are exactly the benign fix's (a unit name only moves the path).
        assert.deepEqual(nonComment(f.text), nonComment(want[k].text), tag);
        const flavour = configFlavourOfFix(f);
        if (flavour) {
          const merged = applyEdits('', mergeFix('', f, flavour));
          assert.deepEqual(nonComment(merged).filter((l) => l && !l.startsWith('[')).length, intendedKeys(f)!.length, tag);
        }
        if (f.path.includes('.service.d/')) assert.equal(f.path.split('/')[4], `${expectedUnit}.service.d`, tag);
      });
      for (const f of fixes.filter((x) => x.id === 'systemd-ld-preload' || x.id === 'malloc-arena-max' || x.id === 'mysqld-safe-malloc-lib')) {
        const words = shellWords(fixCommandLine(f)!, cwd);
        assert.deepEqual(words[words.length - 1], ['systemctl', 'restart', expectedUnit], `round ${round} ${JSON.stringify(name)}`);
      }
    }
    assert.deepEqual(fs.readdirSync(cwd), [], 'no command substitution ran');
  });
});

describe('item 4: terminal escapes in the CLI text report', () => {
  it('header values and path names are shown escaped, never sent raw', () => {
    const ESC = '\x1b]0;owned\x07\x1b[2J';
    const text =
      `# host: h${ESC}\n# command: /bin/c${ESC}\n# time: 2026-01-01T00:00:00Z${ESC}\n# kernel: 6.1${ESC}\n# arch: x86_64${ESC}\n` +
      dumpNamed(`/opt/p${ESC}`) +
      `7f2000000000-7f2000001000 r--p 00000000 08:01 5 /opt/lib${ESC}.so\nnot a line ${ESC}\n`;
    const file = path.join(tmp, `evil${'\x1b[2J'}.maps`);
    fs.writeFileSync(file, text);
    for (const args of [
      ['analyze', '--fixes', file],
      ['timeline', tmp],
      ['diff', file, file],
    ]) {
      const r = cli(args);
      assert.ok(r.code === 0 || r.code === 1, `${args[0]}: ${r.stderr}`);
      assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(r.stdout + r.stderr), `${args[0]} printed a control character: ${JSON.stringify(r.stdout)}`);
      assert.match(r.stdout, /\\033/);
    }
  });
});

describe('item 5: capture file names from remote text', () => {
  it('a crafted # time: or # command: cannot leave one plain file name', () => {
    const now = new Date('2026-12-01T10:11:12.345Z');
    const crafted = [
      '# command: /usr/sbin/x\n# time: /../../../../home/user/.bashrc\n',
      '# command: ../../../etc/passwd\n# time: 2026-01-01T00:00:00Z/../../x\n',
      '# command: /a/..\n# time: 2026-13-01T00:00:00Z\n',
      '# command: \x1b[2J\n',
    ];
    for (const text of crafted) {
      const name = captureFileName(text, 1234, 'maps', now);
      assert.match(name, /^[A-Za-z0-9_][\w.-]*-1234-\d{8}T\d{6}Z\.maps$/, name);
    }
    assert.equal(captureFileName('# command: /usr/sbin/mariadbd --x\n# time: 2026-11-22T01:27:28Z\n', 7, 'smaps'), 'mariadbd-7-20261122T012728Z.smaps');
    assert.equal(captureFileName(crafted[0], 1234, 'maps', now), 'x-1234-20261201T101112Z.maps');
  });
});

describe('item 6: smaller gaps', () => {
  it('non-regular inputs are refused at once: /dev/zero, a FIFO, a directory, stdin from a device', () => {
    const fifo = path.join(tmp, 'pipe.maps');
    execFileSync('mkfifo', [fifo]);
    const cases: [string[], number | undefined, RegExp][] = [
      [['analyze', '/dev/zero'], undefined, /cannot read \/dev\/zero: is a device/],
      [['analyze', fifo], undefined, /is a FIFO/],
      [['analyze', tmp], undefined, /is a directory/],
      [['analyze', '-'], fs.openSync('/dev/zero', 'r'), /cannot read standard input: is a device/],
    ];
    for (const [args, fd, re] of cases) {
      const r = cli(args, fd);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    // A pipe on stdin is still read.
    const r = cli(['analyze', '--json', '-'], dumpNamed('/usr/bin/x'));
    assert.equal(JSON.parse(r.stdout).vmaCount, 3);
  });

  it('--max-map-count with 400 digits is refused; INT_MAX is taken as given', () => {
    const file = path.join(tmp, 'ok.maps');
    fs.writeFileSync(file, dumpNamed('/usr/bin/x'));
    const big = cli(['analyze', '--json', '--max-map-count', '9'.repeat(400), file]);
    assert.equal(big.code, 2);
    assert.match(big.stderr, /--max-map-count takes a whole number from 1 to 2147483647/);
    const max = cli(['analyze', '--json', '--max-map-count=2147483647', file]);
    assert.equal(JSON.parse(max.stdout).maxMapCount, 2147483647);
    // The same in a header: ignored (the kernel default applies), never Infinity (null in JSON).
    const header = cli(['analyze', '--json', '-'], dumpNamed('/usr/bin/x', `# max_map_count: ${'9'.repeat(400)}\n# pid: ${'9'.repeat(30)}\n`));
    const j = JSON.parse(header.stdout);
    assert.deepEqual([j.maxMapCount, j.maxMapCountSource, j.header.pid], [65530, 'default', undefined]);
  });

  it('timeline DIR skips an unreadable dump and says so, and follows symlinked dumps', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tl-'));
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
    fs.writeFileSync(path.join(dir, '1.maps'), `# time: 2026-01-01T00:00:00Z\n${dumpNamed('/usr/bin/x')}`);
    fs.writeFileSync(path.join(elsewhere, 'real.maps'), `# time: 2026-01-01T00:01:00Z\n${dumpNamed('/usr/bin/x')}`);
    fs.symlinkSync(path.join(elsewhere, 'real.maps'), path.join(dir, '2.maps'));
    fs.symlinkSync('/nonexistent/gone.maps', path.join(dir, '3.maps'));
    execFileSync('mkfifo', [path.join(dir, '4.maps')]);
    const r = cli(['timeline', '--json', dir]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.samples.map((s: { source: string }) => path.basename(s.source)),
      ['1.maps', '2.maps'],
    );
    // The dangling link is skipped with its reason; the FIFO is no dump file at all (not read, so no hang).
    assert.deepEqual(
      out.skipped.map((s: { file: string }) => path.basename(s.file)),
      ['3.maps'],
    );
    assert.match(r.stderr, /skipped .*3\.maps: cannot read .*: no such file/);
  });

  it('a timed-out or cancelled capture kills its whole process group (grandchildren too)', async () => {
    // A stand-in for ssh (the real one cannot be made to hang on cue): it starts a grandchild
    // that would outlive it, as a ProxyCommand or the remote script's children would.
    const fake = path.join(tmp, 'slow-ssh');
    const pidFile = path.join(tmp, 'grandchild.pid');
    fs.writeFileSync(fake, `#!/bin/sh\nsleep 300 &\necho $! > ${pidFile}\nsleep 300\n`, { mode: 0o755 });
    const alive = (pid: number) => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (const how of ['timeout', 'cancelled'] as const) {
      fs.rmSync(pidFile, { force: true });
      const abort = new AbortController();
      const p = captureRemote('host', 1, { sshPath: fake, timeoutMs: how === 'timeout' ? 1500 : 60_000, signal: abort.signal });
      while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, 'utf8').trim()) await new Promise((res) => setTimeout(res, 20));
      const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(alive(grandchild));
      if (how === 'cancelled') abort.abort();
      await assert.rejects(p, (e: CaptureError) => e.kind === how);
      let waited = 0;
      while (alive(grandchild) && waited < 3000) {
        await new Promise((res) => setTimeout(res, 20));
        waited += 20;
      }
      assert.ok(!alive(grandchild), `${how}: the grandchild ${grandchild} outlived the capture`);
    }
  });

  it('the strip/diff cache stops reading when the panel closes', async () => {
    const big = path.join(tmp, 'big.maps');
    const lines: string[] = [];
    for (let i = 0, a = 0x600000000000; i < 200_000; i++, a += 8192) lines.push(`${a.toString(16)}-${(a + 4096).toString(16)} rw-p 00000000 00:00 0 `);
    fs.writeFileSync(big, lines.join('\n') + '\n');
    const cache = new DumpCache(nodeDumpFiles, () => ({}));
    const reading = cache.get(big);
    cache.close(); // the panel closed while the read was in flight
    await assert.rejects(reading, /cancelled/);
    await assert.rejects(cache.get(big), /cancelled/);
    // An open cache reads it whole.
    const open = new DumpCache(nodeDumpFiles, () => ({}));
    assert.equal((await open.get(big)).dump.count, 200_000);
  });

  it('strip requests carry an id the host must echo (a late answer cannot draw the wrong sample)', () => {
    assert.equal(isWebviewMessage({ type: MessageType.RequestStrip, source: 'a' }), false);
    assert.equal(isWebviewMessage({ type: MessageType.RequestStrip, id: 'x', source: 'a' }), false);
    assert.equal(isWebviewMessage({ type: MessageType.RequestStrip, id: 3, source: 'a' }), true);
  });
});
