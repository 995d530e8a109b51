/** The command-line twin, run as users run it: a process, its exit code, stdout and stderr. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { KiB, layout, library } from '../helpers/mapsText';
import { runCli as run } from '../helpers/cli';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-cli-'));

function write(name: string, text: string | Buffer): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

const small = (n: number, header = '') =>
  header +
  layout([
    ...library('/usr/sbin/mysqld'),
    ...library('/usr/lib/x86_64-linux-gnu/libc.so.6'),
    ...Array.from({ length: n }, () => ({ size: 4 * KiB, perms: 'rw-p', gap: 4 * KiB })),
  ]);

before(() => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
});

describe('vma-lens analyze', () => {
  it('--json keeps the documented names; exit 0 without an error finding', () => {
    const r = run(['analyze', '--json', write('ok.maps', small(10))]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    for (const k of ['vmaCount', 'maxMapCount', 'maxMapCountSource', 'allocator', 'kinds', 'findings', 'malformed']) assert.ok(k in j, k);
    assert.equal(j.vmaCount, 20);
    assert.equal(j.maxMapCountSource, 'default');
    assert.equal(j.allocator.name, 'glibc');
    assert.ok('library' in j.allocator || j.allocator.confidence === 'default');
    assert.equal(j.kinds.anon.count + (j.kinds.bss?.count ?? 0), 12);
    assert.ok(typeof j.kinds.text.bytes === 'number');
    const f = j.findings.find((x: { id: string }) => x.id === 'allocator');
    assert.deepEqual(
      Object.keys(f)
        .filter((k) => ['id', 'severity', 'message', 'lines', 'fixes'].includes(k))
        .sort(),
      ['fixes', 'id', 'lines', 'message', 'severity'],
    );
    assert.deepEqual(
      Object.keys(f.fixes[0])
        .filter((k) => ['id', 'title', 'path', 'text'].includes(k))
        .sort(),
      ['id', 'path', 'text', 'title'],
    );
  });

  it('exit 1 with an error finding; --max-map-count overrides the header', () => {
    const f = write('limit.maps', small(95, '# max_map_count: 1000\n'));
    assert.equal(run(['analyze', f]).code, 0);
    const r = run(['analyze', '--json', '--max-map-count', '100', f]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.maxMapCount, 100);
    assert.equal(j.maxMapCountSource, 'option');
    assert.equal(j.findings[0].id, 'vma-limit');
    assert.equal(j.findings[0].severity, 'error');
  });

  it('stops quietly when the reader goes away (| head), and writes all of a large report otherwise', () => {
    const file = write('many.maps', small(3000));
    const full = run(['analyze', '--fixes', file]);
    assert.ok(full.out.length > 2000, `${full.out.length} bytes`);
    assert.match(full.out, /vm\.max_map_count/);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" analyze --fixes "${file}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(r.stderr, '');
    assert.match(r.stdout.trim(), /^[01]$/);
  });

  it('reads standard input with -', () => {
    const r = run(['analyze', '--json', '-'], small(3));
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).vmaCount, 13);
  });

  it('the readable report shows the count, the allocator, the kind table and the findings; --fixes prints the files', () => {
    const f = write('report.maps', small(95, '# max_map_count: 100\n# host: db1\n'));
    const r = run(['analyze', '--fixes', f]);
    assert.equal(r.code, 1);
    assert.match(r.out, /VMAs\s+105 \/ 100 \(105%\)/);
    assert.match(r.out, /Allocator\s+glibc/);
    assert.match(r.out, /Kind\s+VMAs\s+Size/);
    assert.match(r.out, /✖ error\s+vma-limit/);
    assert.match(r.out, /vm\.max_map_count = 262144/);
    assert.doesNotMatch(r.out, /\x1b\[/, 'no colour codes when not a terminal');
  });

  it('one bad line is reported with its number and the rest analysed', () => {
    const text = small(5).split('\n');
    text.splice(3, 0, 'zz-not-a-line', 'Size:  12 kB extra junk');
    const r = run(['analyze', '--json', write('bad.maps', text.join('\n'))]);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.equal(j.vmaCount, 15);
    assert.deepEqual(
      j.malformed.map((m: { line: number }) => m.line),
      [4],
    );
    assert.equal(j.malformed[0].reason, 'not a maps, smaps or pmap line');
  });

  for (const [what, args, input, message] of [
    ['a missing file', ['analyze', path.join(tmp, 'nope.maps')], undefined, /cannot read .*nope\.maps: no such file/],
    ['a directory', ['analyze', tmp], undefined, /is a directory/],
    [
      'binary junk',
      ['analyze', '-'],
      '\x00\x01\x02\xff\xfe binary\n\x7fELF\x00\x00',
      /no mappings found in standard input \(2 malformed lines, first: line 1: binary data/,
    ],
    ['an empty file', ['analyze', '-'], '', /no mappings found/],
    ['no command', [], undefined, /Usage: vma-lens/],
    ['an unknown command', ['frobnicate'], undefined, /unknown command "frobnicate"/],
    ['a bad option value', ['analyze', '--max-map-count', 'lots', 'x'], undefined, /--max-map-count takes a whole number from 1 to 2147483647/],
    ['two files to analyze', ['analyze', 'a', 'b'], undefined, /analyze takes one FILE/],
  ] as const) {
    it(`exit 2 and one clear line for ${what}, never a stack trace`, () => {
      const r = run([...args], input);
      assert.equal(r.code, 2);
      assert.match(r.err + r.out, message);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    });
  }
});

describe('big files', () => {
  it('a file over 8 MB (read in chunks) gives the same analysis as the same text on stdin', () => {
    const regions = Array.from({ length: 200000 }, (_, k) =>
      k % 3 === 0
        ? { size: 4 * KiB, perms: 'r--p', name: `/var/lib/mysql/t${k % 500}.ibd`, gap: 4 * KiB }
        : { size: 4 * KiB, perms: k % 3 === 1 ? 'rw-p' : '---p' },
    );
    const lines = layout([...library('/usr/sbin/mariadbd'), ...library('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'), ...regions]).split('\n');
    lines.splice(10, 0, 'bad line in the first half');
    lines.splice(lines.length - 10, 0, 'bad line in the second half');
    const text = '# max_map_count: 262144\n' + lines.join('\n');
    assert.ok(text.length > 8 << 20, `${text.length} bytes`);
    const f = write('big.maps', text);
    const parallel = run(['analyze', '--json', f]);
    const stdin = run(['analyze', '--json', '-'], text);
    assert.equal(parallel.code, stdin.code);
    const a = JSON.parse(parallel.out);
    const b = JSON.parse(stdin.out);
    delete a.file;
    delete b.file;
    assert.deepEqual(a, b);
    const lineOf = (t: string) => text.split('\n').indexOf(t) + 1;
    assert.deepEqual(
      a.malformed.map((m: { line: number }) => m.line),
      [lineOf('bad line in the first half'), lineOf('bad line in the second half')],
    );
    assert.ok(lineOf('bad line in the second half') > lines.length / 2);
    assert.equal(a.allocator.name, 'jemalloc');
  });
});

describe('vma-lens diff and timeline', () => {
  it('diff: counts, kinds and the top-growing range', () => {
    const a = write('a.maps', small(10));
    const b = write('b.maps', small(60));
    const r = run(['diff', '--json', a, b]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.vmaCountA, 20);
    assert.equal(j.vmaCountB, 70);
    assert.equal(j.added, 50);
    assert.equal(j.removed, 0);
    assert.equal(j.topRanges[0].vmaDelta, 50);
    assert.match(run(['diff', a, b]).out, /20 → 70 \(\+50\)/);
  });

  it('timeline: samples ordered by capture time, a forecast, and exit 1 when a sample is at the limit', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tl-'));
    const t0 = Date.parse('2026-11-22T10:00:00Z');
    [30, 50, 70, 90].forEach((n, k) => {
      // Names in reverse order: the header time must win.
      fs.writeFileSync(path.join(dir, `sample-${9 - k}.maps`), small(n, `# time: ${new Date(t0 + k * 60000).toISOString()}\n# max_map_count: 200\n`));
    });
    const r = run(['timeline', '--json', dir]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(
      j.samples.map((s: { vmaCount: number }) => s.vmaCount),
      [40, 60, 80, 100],
    );
    assert.ok(j.forecast.etaMs > 0);
    assert.equal(Math.round(j.forecast.ratePerHour), 1200);
    assert.match(run(['timeline', dir]).out, /limit in about 5 min/);
    fs.writeFileSync(path.join(dir, 'sample-0.maps'), small(200, `# time: ${new Date(t0 + 9 * 60000).toISOString()}\n# max_map_count: 200\n`));
    assert.equal(run(['timeline', dir]).code, 1);
    assert.equal(run(['timeline', path.join(tmp, 'nothing-here')]).code, 2);
  });
});
