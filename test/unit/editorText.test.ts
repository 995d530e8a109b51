/**
 * The pure parts of the editor features, on the real sample dumps: hover texts for every column,
 * the config-file checks and their fixes, merging a fix into an existing config file, and the
 * report HTML.
 *
 * Run: node --import tsx --test test/unit/editorText.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { analyze } from '../../src/core/analyze';
import { diffDumps } from '../../src/core/diff';
import { parseDump } from '../../src/core/parse';
import type { Fix, FixId } from '../../src/core/types';
import { checkMyCnf, checkSysctl, type ConfigFix } from '../../src/editor/configCheck';
import { applyEdits, configFlavourOfPath, mergeConfig } from '../../src/editor/configMerge';
import { hoverAt, mapsColumns, pmapColumnsOf, type HoverContext } from '../../src/editor/hoverText';
import { analysisHtml, commandUri, diffHtml } from '../../src/report/reportHtml';

const SAMPLES = path.resolve(__dirname, '..', '..', 'samples');
const read = (name: string) => fs.readFileSync(path.join(SAMPLES, name), 'utf8');

interface Loaded extends HoverContext {
  lines: string[];
  text: string;
}
const cache = new Map<string, Loaded>();
function load(name: string): Loaded {
  let l = cache.get(name);
  if (!l) {
    const text = read(name);
    const dump = parseDump(text);
    l = { text, lines: text.split('\n'), dump, analysis: analyze(dump), pmapColumns: pmapColumnsOf(text) };
    cache.set(name, l);
  }
  return l;
}

/** 1-based number of the first line matching re. */
function lineOf(l: Loaded, re: RegExp): number {
  const i = l.lines.findIndex((t) => re.test(t));
  assert.ok(i >= 0, `no line matches ${re}`);
  return i + 1;
}

/** The hover at the first occurrence of `needle` (plus `offset`) on the line. */
function hover(l: Loaded, line: number, needle: string, offset = 0) {
  const text = l.lines[line - 1];
  const ch = text.indexOf(needle);
  assert.ok(ch >= 0, `"${needle}" not on line ${line}: ${text}`);
  return hoverAt(l, line, text, ch + offset);
}

const fixOf = (name: string, id: FixId): Fix => {
  const fix = load(name)
    .analysis.findings.flatMap((f) => f.fixes)
    .find((f) => f.id === id);
  assert.ok(fix, `${name} has no ${id} fix`);
  return fix;
};

describe('hovers on maps lines', () => {
  const glibc = () => load('threads-glibc.smaps');

  it('explain an address range: size in units and pages, 64 MiB alignment, glibc arena head, owner', () => {
    const l = glibc();
    const line = lineOf(l, /^7fa1ec000000-7fa1ec021000 rw-p/);
    const h = hover(l, line, '7fa1ec000000', 3)!;
    assert.match(h.markdown, /`7fa1ec000000`–`7fa1ec021000`\*\* · 132 KiB \(135,168 bytes, 33 pages of 4 KiB\)/);
    assert.match(h.markdown, /Start aligned to 64 MiB \(a glibc arena slot size\)/);
    assert.match(h.markdown, /\*\*glibc arena\*\* — the used \(rw-p\) head/);
    assert.match(h.markdown, /Made by: glibc malloc: a thread arena/);
    assert.deepEqual([h.start, h.end], [0, 25]);
  });

  it('tell the arena reserve from the head, and name the last byte exactly', () => {
    const l = glibc();
    const h = hover(l, lineOf(l, /^7fa1ec021000-7fa1f0000000 ---p/), '7fa1ec021000')!;
    assert.match(h.markdown, /\*\*glibc arena reserve\*\*/);
    assert.match(h.markdown, /last byte is `7fa1efffffff`/);
    assert.match(h.markdown, /Directly after the previous mapping/);
  });

  it('explain the permission letter under the cursor, and p versus s', () => {
    const l = glibc();
    const line = lineOf(l, /^7fa1ec000000-7fa1ec021000 rw-p/);
    const onP = hover(l, line, 'rw-p', 3)!;
    assert.match(onP.markdown, /\*\*`p` private: copy-on-write[^*]*\*\* ←/);
    assert.match(onP.markdown, /^- `r` readable$/m);
    assert.deepEqual([onP.end - onP.start], [1]);
    const onW = hover(l, line, 'rw-p', 1)!;
    assert.match(onW.markdown, /\*\*`w` writable\*\* ←/);
    const reserve = hover(l, lineOf(l, /---p 00000000 00:00 0/), '---p', 0)!;
    assert.match(reserve.markdown, /No access at all \(PROT_NONE\)/);
  });

  it('explain offset, 00:00 and inode 0 of anonymous memory, and the device of a file', () => {
    const l = glibc();
    const anon = lineOf(l, /^7fa1ec000000-7fa1ec021000 rw-p/);
    assert.match(hover(l, anon, '00:00')!.markdown, /`00:00` means no device: anonymous memory/);
    assert.match(hover(l, anon, ' 0 ', 1)!.markdown, /Inode 0: no file behind this mapping/);
    assert.match(hover(l, anon, '00000000')!.markdown, /Anonymous memory has no file, so the offset is 0/);
    const lib = lineOf(l, /r-xp .* \/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6$/);
    assert.match(hover(l, lib, 'fe:00')!.markdown, /major 254, minor 0/);
    assert.match(
      hover(l, lib, '/usr/lib')!.markdown,
      /`\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6`: a shared library[\s\S]*\*\*Code\*\* — the code segment of the library/,
    );
  });

  it('explain pseudo-paths, the allocator library, thread stacks and guard pages', () => {
    const m = load('mariadbd-glibc.maps');
    assert.match(hover(m, lineOf(m, /\[heap\]$/), '[heap]')!.markdown, /program break area[\s\S]*glibc malloc’s main arena/);
    const vs = hover(m, lineOf(m, /\[vsyscall\]$/), '[vsyscall]')!.markdown;
    assert.match(vs, /does not count toward vm\.max_map_count/);
    const vsRange = hover(m, lineOf(m, /\[vsyscall\]$/), 'ffffffffff600000')!.markdown;
    assert.match(vsRange, /last byte is `ffffffffff600fff`/, 'exact beyond 2^53');
    const j = load('mariadbd-jemalloc.maps');
    assert.match(hover(j, lineOf(j, /libjemalloc\.so\.2$/), 'libjemalloc')!.markdown, /the \*\*jemalloc\*\* allocator library \(soname `libjemalloc\.so\.2`/);
    const p = load('threads-jemalloc.pmap');
    const stack = lineOf(p, /^00007fb2c9ff9000/);
    assert.match(hover(p, stack, '00007fb2c9ff9000')!.markdown, /\*\*Thread stack\*\*[\s\S]*pthread_create/);
    assert.match(hover(p, stack - 1, '00007fb2c9ff8000')!.markdown, /\*\*Guard page\*\*/);
  });

  it('explain smaps fields with the value decoded, and each VmFlags code', () => {
    const l = glibc();
    const rssLine = lineOf(l, /^7fa1ec000000-7fa1ec021000 rw-p/) + 4;
    const rss = hover(l, rssLine, 'Rss')!;
    assert.match(rss.markdown, /\*\*Rss\*\* — resident set/);
    assert.match(rss.markdown, /20 kB = 20 KiB — 15% of the mapping’s size/);
    const flags = lineOf(l, /^VmFlags: rd ex mr mw me/);
    assert.match(hover(l, flags, ' ex ', 1)!.markdown, /\*\*VmFlags `ex`\*\*: executable/);
    assert.match(hover(l, flags, 'VmFlags')!.markdown, /- `mw` may write/);
  });

  it('explain header lines with the dump’s own numbers', () => {
    const f = load('fragmenter-at-limit.maps');
    const mmc = hover(f, lineOf(f, /^# max_map_count:/), 'max_map_count')!.markdown;
    assert.match(mmc, /This dump has 65,530 VMAs: 100% of it/);
    const m = load('mariadbd-glibc.maps');
    assert.match(hover(m, lineOf(m, /^# hugepagesize:/), 'huge')!.markdown, /default huge page size \(Hugepagesize in \/proc\/meminfo\): 2 MiB/);
    assert.match(hover(m, lineOf(m, /^# thp:/), 'thp')!.markdown, /mode: \*\*madvise\*\*/);
    const big = parseDump('# hugepagesize: 524288 kB\n00400000-00401000 r-xp 00000000 fe:00 1 /bin/x\n');
    const md = hoverAt({ dump: big, analysis: analyze(big) }, 1, '# hugepagesize: 524288 kB', 3)!.markdown;
    assert.match(md, /512 MiB[\s\S]*jemalloc size each arena in 512 MiB steps/);
  });

  it('explain pmap -x columns: Kbytes, RSS, each Mode letter, the mapping, and the header row', () => {
    const p = load('threads-jemalloc.pmap');
    const row = lineOf(p, /^00007fb2c8200000\s+28672/);
    assert.match(hover(p, row, '28672')!.markdown, /\*\*Kbytes\*\* \(pmap\)[\s\S]*28,672 kB = 28 MiB/);
    assert.match(hover(p, row, '700')!.markdown, /\*\*RSS\*\* \(pmap\)[\s\S]*700 KiB — 2\.4% of the mapping’s size/);
    assert.match(hover(p, row, 'rw---', 1)!.markdown, /\*\*`w` writable\*\* ←/);
    assert.match(hover(p, row, '[ anon ]')!.markdown, /No name: anonymous memory/);
    assert.match(hover(p, lineOf(p, /^Address/), 'Dirty')!.markdown, /\*\*Dirty\*\* — dirty \(modified\) resident memory/);
    assert.match(hover(p, 1, 'threads')!.markdown, /\*\*pmap\*\* of process 13741/);
  });

  it('explain pmap -X columns by the header row', () => {
    const text = [
      '5340:   bash',
      '         Address Perm   Offset Device  Inode Size  Rss  Pss Mapping',
      '    55d4f0a6b000 r--p 00000000  fe:00 260104  192  192   12 bash',
      '                                             ==== ==== ====',
      '                                              192  192   12 KB',
    ].join('\n');
    const dump = parseDump(text);
    const src = { dump, analysis: analyze(dump), pmapColumns: pmapColumnsOf(text) };
    const row = text.split('\n')[2];
    assert.equal(dump.format, 'pmap-X');
    assert.match(hoverAt(src, 3, row, row.indexOf('r--p') + 1)!.markdown, /\*\*`-` not writable\*\* ←/);
    assert.match(hoverAt(src, 3, row, row.indexOf(' 12 ') + 1)!.markdown, /\*\*Pss\*\* — proportional set/);
    assert.match(hoverAt(src, 3, row, row.indexOf('260104'))!.markdown, /Inode 260104 of `bash`/);
  });

  it('find the columns of lines padded like the kernel, with spaces in names', () => {
    const line = '7f00aa000000-7f00aa001000 rw-s 00001000 00:05 1234                       /dev/shm/my file (deleted)';
    const c = mapsColumns(line)!;
    assert.equal(line.slice(...c.perms), 'rw-s');
    assert.equal(line.slice(...c.dev), '00:05');
    assert.equal(line.slice(...c.path), '/dev/shm/my file (deleted)');
    assert.equal(mapsColumns('Rss: 4 kB'), undefined);
  });
});

const editsOf = (f: ConfigFix) => {
  assert.ok('edits' in f);
  return f.edits;
};

describe('config-file checks', () => {
  it('flag a malloc-lib outside MySQL’s four directories, with a systemd drop-in preloading that exact library', () => {
    const text = '[mysqld_safe]\nmalloc-lib = /usr/lib/aarch64-linux-gnu/libjemalloc.so.2\n';
    const [issue, ...rest] = checkMyCnf(text);
    assert.equal(rest.length, 0);
    assert.equal(issue.code, 'malloc-lib-directory');
    assert.equal(issue.severity, 'warning');
    assert.equal(issue.line, 1);
    assert.equal(text.split('\n')[1].slice(issue.start, issue.end), '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2');
    assert.match(issue.message, /refuses \/usr\/lib\/aarch64-linux-gnu/);
    const fix = issue.fixes[0];
    assert.ok('open' in fix && fix.preferred);
    assert.match(fix.open.text, /^\[Service\]\nEnvironment="LD_PRELOAD=\/usr\/lib\/aarch64-linux-gnu\/libjemalloc\.so\.2"$/m);
    assert.match(fix.open.path, /^\/etc\/systemd\/system\/mysql\.service\.d\//);
  });

  it('accept the four directories, the keywords, and an empty value', () => {
    for (const v of [
      '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/usr/lib64/libjemalloc.so.2',
      '/usr/lib/libtcmalloc_minimal.so.4',
      'tcmalloc',
      'jemalloc',
      '',
    ]) {
      assert.deepEqual(checkMyCnf(`[mysqld_safe]\nmalloc_lib=${v}\n`), [], v);
    }
    assert.deepEqual(checkMyCnf('[client]\nmalloc-lib=/opt/x.so\n'), [], 'only mysqld_safe and the server groups matter');
  });

  it('flag a malloc-lib that is not a shared library, and fix it to the library in the same directory', () => {
    const text = '[mysqld_safe]\nmalloc-lib="/usr/lib64/libjemalloc.a"\n';
    const [issue] = checkMyCnf(text);
    assert.equal(issue.code, 'malloc-lib-not-library');
    assert.equal(issue.severity, 'error');
    assert.equal(applyEdits(text, editsOf(issue.fixes[0])), '[mysqld_safe]\nmalloc-lib=/usr/lib64/libjemalloc.so.2\n');
    const rel = checkMyCnf('[mysqld_safe]\nmalloc-lib=libjemalloc.so.2\n')[0];
    assert.equal(rel.code, 'malloc-lib-not-absolute');
    assert.equal(applyEdits('[mysqld_safe]\nmalloc-lib=libjemalloc.so.2\n', editsOf(rel.fixes[0])), '[mysqld_safe]\nmalloc-lib=jemalloc\n');
  });

  it('flag malloc-lib in the server’s section (mysqld aborts on it) and move it to [mysqld_safe]', () => {
    const text = '[mysqld]\nuser=mysql\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n\n[mysqld_safe]\nnice=0\n';
    const [issue] = checkMyCnf(text);
    assert.equal(issue.code, 'malloc-lib-section');
    assert.equal(issue.severity, 'error');
    assert.equal(
      applyEdits(text, editsOf(issue.fixes[0])),
      '[mysqld]\nuser=mysql\n\n[mysqld_safe]\nnice=0\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n',
    );
    assert.deepEqual(checkMyCnf('[mysqld]\nloose-malloc-lib=/x.so\n'), [], 'loose- is ignored by mysqld');
  });

  it('flag vm.max_map_count below 262144 in sysctl files (any spelling), and a non-number', () => {
    const text = '# tuning\nvm.swappiness = 10\nvm.max_map_count=65530\n-vm/max_map_count = 200000  \nvm.max_map_count = 1048576\n';
    const issues = checkSysctl(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.code]),
      [
        [2, 'max-map-count-low'],
        [3, 'max-map-count-low'],
      ],
    );
    assert.equal(applyEdits(text, editsOf(issues[0].fixes[0])).split('\n')[2], 'vm.max_map_count=262144');
    assert.equal(applyEdits(text, editsOf(issues[1].fixes[1])).split('\n')[3], '-vm/max_map_count = 1048576  ');
    assert.equal(checkSysctl('vm.max_map_count = lots\n')[0].code, 'max-map-count-invalid');
    assert.deepEqual(checkSysctl('vm.max_map_count = 262144\n# vm.max_map_count = 1\n'), []);
  });

  it('know config files by path', () => {
    assert.equal(configFlavourOfPath('/etc/mysql/my.cnf'), 'mycnf');
    assert.equal(configFlavourOfPath('/etc/mysql/mariadb.conf.d/50-server.cnf'), 'mycnf');
    assert.equal(configFlavourOfPath('/etc/sysctl.conf'), 'sysctl');
    assert.equal(configFlavourOfPath('/etc/sysctl.d/99-x.conf'), 'sysctl');
    assert.equal(configFlavourOfPath('/etc/systemd/system/mariadb.service.d/override.conf'), 'systemd');
    assert.equal(configFlavourOfPath('/etc/nginx/nginx.conf'), undefined);
  });
});

describe('merging a fix into an existing config file', () => {
  const cnfFix = () => fixOf('mariadbd-glibc.maps', 'mysqld-safe-malloc-lib');

  it('adds malloc-lib to the existing [mysqld_safe] section rather than a second one', () => {
    const text = '[client]\nport = 3306\n\n[mysqld_safe]\nsocket = /run/mysqld/mysqld.sock\nnice = 0\n\n[mysqld]\nuser = mysql\n';
    const out = applyEdits(text, mergeConfig(text, cnfFix().text, 'mycnf'));
    assert.equal(out.match(/\[mysqld_safe\]/g)?.length, 1);
    assert.equal(
      out,
      '[client]\nport = 3306\n\n[mysqld_safe]\nsocket = /run/mysqld/mysqld.sock\nnice = 0\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n\n[mysqld]\nuser = mysql\n',
    );
  });

  it('replaces an existing malloc-lib (any spelling) in place, and does nothing when it is already there', () => {
    const text = '[mysqld_safe]\n  malloc_lib = /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4\n';
    const out = applyEdits(text, mergeConfig(text, cnfFix().text, 'mycnf'));
    assert.equal(out, '[mysqld_safe]\n  malloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n');
    assert.deepEqual(mergeConfig(out, cnfFix().text, 'mycnf'), []);
  });

  it('appends the section, with the fix’s first comment line, when the file has none', () => {
    const text = '[mysqld]\nuser = mysql';
    const out = applyEdits(text, mergeConfig(text, cnfFix().text, 'mycnf'));
    assert.equal(
      out,
      '[mysqld]\nuser = mysql\n\n# Written by VMA Lens: run mariadbd with jemalloc instead of glibc malloc.\n[mysqld_safe]\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n',
    );
    assert.deepEqual(checkMyCnf(out), []);
  });

  it('sets vm.max_map_count in a sysctl file, replacing a lower value or appending it', () => {
    const fix = fixOf('fragmenter-at-limit.maps', 'sysctl-max-map-count');
    assert.match(fix.text, /^vm\.max_map_count = 262144$/m);
    const text = '# kernel tuning\nvm.swappiness = 10\nvm.max_map_count = 65530\n';
    assert.equal(applyEdits(text, mergeConfig(text, fix.text, 'sysctl')), '# kernel tuning\nvm.swappiness = 10\nvm.max_map_count = 262144\n');
    const other = 'vm.swappiness = 10\n';
    const appended = applyEdits(other, mergeConfig(other, fix.text, 'sysctl'));
    assert.match(appended, /^vm\.swappiness = 10\n\n# Written by VMA Lens: .*\nvm\.max_map_count = 262144\n$/);
    assert.deepEqual(checkSysctl(appended), []);
  });

  it('adds an LD_PRELOAD line to a drop-in’s [Service] without touching its other Environment lines', () => {
    const fix = fixOf('mariadbd-glibc.maps', 'systemd-ld-preload');
    const text = '[Service]\nEnvironment="MALLOC_ARENA_MAX=4"\nLimitNOFILE=65535\n';
    const out = applyEdits(text, mergeConfig(text, fix.text, 'systemd'));
    assert.equal(out, '[Service]\nEnvironment="MALLOC_ARENA_MAX=4"\nLimitNOFILE=65535\nEnvironment="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"\n');
    const old = '[Service]\nEnvironment="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4"\n';
    assert.equal(applyEdits(old, mergeConfig(old, fix.text, 'systemd')), '[Service]\nEnvironment="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"\n');
  });

  it('keeps CRLF line ends', () => {
    const text = '[mysqld_safe]\r\nnice=0\r\n';
    assert.equal(
      applyEdits(text, mergeConfig(text, cnfFix().text, 'mycnf')),
      '[mysqld_safe]\r\nnice=0\r\nmalloc-lib=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\r\n',
    );
  });
});

describe('report HTML', () => {
  const page = {
    nonce: 'N0nce',
    cspSource: 'vscode-resource:',
    cmd: { openFix: 'vmaLens.openFix', copyCommand: 'vmaLens.copyCommand', revealLine: 'vmaLens.revealLine' },
    commandLine: (f: Fix) => f.commands[0],
  };

  it('has a nonce CSP with no external sources, the limit, the allocator, the kind table and every finding with fix buttons', () => {
    const l = load('fragmenter-at-limit.maps');
    const html = analysisHtml(l.analysis, {
      ...page,
      subject: 'fragmenter-at-limit.maps',
      docUri: 'file:///x.maps',
      state: { kind: 'analysis', uri: 'file:///x.maps' },
    });
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src vscode-resource: 'nonce-N0nce';[^"]*script-src 'nonce-N0nce';">/,
    );
    assert.doesNotMatch(html, /https?:\/\//, 'no external resource');
    assert.match(html, /65,530 \/ 65,530 \(100%\)/);
    assert.match(html, /<div class="value">glibc<\/div>/);
    assert.match(html, /<td title="[^"]*">Anonymous<\/td><td class="num">65,509<\/td>/);
    for (const f of l.analysis.findings) assert.ok(html.includes(`id="finding-${f.id}"`), f.id);
    const sysctl = l.analysis.findings.find((f) => f.id === 'vma-limit')!.fixes[0];
    assert.ok(html.includes(commandUri('vmaLens.openFix', [sysctl])));
    assert.ok(html.includes(commandUri('vmaLens.copyCommand', ['sudo sysctl -w vm.max_map_count=262144'])));
    assert.ok(html.includes(commandUri('vmaLens.revealLine', ['file:///x.maps', 6])), 'line links to the max_map_count header line');
    assert.match(html, /<script nonce="N0nce">acquireVsCodeApi\(\)\.setState\(\{"kind":"analysis","uri":"file:\/\/\/x\.maps"\}\);<\/script>/);
  });

  it('escapes what comes from the dump', () => {
    const dump = parseDump('# command: <img src=x onerror=alert(1)>\n00400000-00401000 r-xp 00000000 fe:00 1 /bin/<b>x</b>\n');
    const html = analysisHtml(analyze(dump), { ...page, subject: '<script>' });
    assert.doesNotMatch(html, /<img|<b>x|<script>[^a]/);
    assert.match(html, /&lt;script&gt;/);
  });

  it('shows the RSS column when smaps gave it, and a compare report with deltas by kind', () => {
    const s = load('threads-glibc.smaps');
    assert.match(analysisHtml(s.analysis, { ...page, subject: 's' }), /<th class="num">RSS<\/th>/);
    const a = load('mariadbd-glibc.maps');
    const b = load('mariadbd-jemalloc.maps');
    const html = diffHtml(diffDumps(a.dump, b.dump), {
      nonce: 'n',
      cspSource: 'c',
      subject: 'x',
      nameA: 'glibc',
      nameB: 'jemalloc',
      a: a.analysis,
      b: b.analysis,
    });
    assert.match(html, /<div class="value">glibc → jemalloc<\/div>/);
    assert.match(html, new RegExp(`${a.analysis.vmaCount} → ${b.analysis.vmaCount}`));
    assert.match(html, /<td>glibc arena<\/td>/);
  });
});
