/**
 * `vma-lens analyze --format problems` on dumps of real processes: one line per finding in the
 * shape the `$vma-lens` problem matcher of package.json reads (its own regexp is used here), on
 * the finding's main line of the dump, with the CLI's exit status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALLOCATOR_LIBS, captureMaps, startProcess, type RealProcess } from '../helpers/realProcess';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-problems-'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const pattern = pkg.contributes.problemPatterns.find((p: { name: string }) => p.name === 'vma-lens');
const matcher = new RegExp(pattern.regexp);

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A problems line as the matcher reads it, by the group numbers package.json gives. */
function match(line: string) {
  const m = matcher.exec(line);
  assert.ok(m, `the $vma-lens pattern reads: ${line}`);
  return {
    file: m[pattern.file],
    line: Number(m[pattern.line]),
    column: Number(m[pattern.column]),
    severity: m[pattern.severity],
    message: m[pattern.message],
    code: m[pattern.code],
  };
}

interface JsonFinding {
  id: string;
  severity: string;
  message: string;
  lines: number[];
}

let glibc: RealProcess;
let jemalloc: RealProcess;

before(async () => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  glibc = startProcess({ program: 'threads', args: ['6'] });
  jemalloc = startProcess({ program: 'threads', args: ['6'], preload: 'jemalloc' });
  await Promise.all([glibc.ready, jemalloc.ready]);
  fs.writeFileSync(path.join(tmp, 'glibc.maps'), captureMaps(glibc.pid));
  fs.writeFileSync(path.join(tmp, 'jemalloc.maps'), captureMaps(jemalloc.pid));
});

after(async () => {
  await Promise.all([glibc?.stop(), jemalloc?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vma-lens analyze --format problems', () => {
  it('one matcher-readable line per finding, on its main line, the same finding as --json', () => {
    const r = run(['analyze', '--format', 'problems', 'glibc.maps', 'jemalloc.maps']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const got = r.out.trimEnd().split('\n').map(match);
    const expected = ['glibc.maps', 'jemalloc.maps'].flatMap((file) =>
      (JSON.parse(run(['analyze', '--json', file]).out).findings as JsonFinding[]).map((f) => ({
        file,
        line: f.lines[0],
        column: 1,
        severity: f.severity,
        message: f.message,
        code: f.id,
      })),
    );
    assert.ok(expected.length >= 4, JSON.stringify(expected));
    assert.deepEqual(got, expected);
  });

  it("each line points at the dump's line the finding is about (checked against the live processes)", () => {
    const lines = (file: string) => fs.readFileSync(path.join(tmp, file), 'utf8').split('\n');
    const out = run(['analyze', '--format', 'problems', 'jemalloc.maps', 'glibc.maps']).out.trimEnd().split('\n').map(match);
    // The jemalloc process really has the library mapped (the kernel's maps say so), and the
    // allocator finding sits on a line that names it.
    const soname = ALLOCATOR_LIBS.jemalloc.soname;
    assert.ok(fs.readFileSync(`/proc/${jemalloc.pid}/maps`, 'utf8').includes(soname));
    const je = out.find((p) => p.file === 'jemalloc.maps' && p.code === 'allocator')!;
    assert.match(je.message, /^jemalloc is loaded from /);
    assert.ok(lines('jemalloc.maps')[je.line - 1].includes(soname), lines('jemalloc.maps')[je.line - 1]);
    // The glibc process has 6 threads that malloc'd: their arenas, on an anonymous rw-p mapping.
    const arenas = out.find((p) => p.file === 'glibc.maps' && p.code === 'glibc-arenas');
    assert.ok(arenas, JSON.stringify(out));
    assert.match(lines('glibc.maps')[arenas.line - 1], /^[0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0 *$/);
    const limit = out.find((p) => p.file === 'glibc.maps' && p.code === 'vma-limit')!;
    assert.match(lines('glibc.maps')[limit.line - 1], /^# max_map_count: \d+$/);
  });

  it('exit 1 with an error finding; an unreadable file is named on stderr, the others still read, exit 2', () => {
    const low = run(['analyze', '--format=problems', '--max-map-count', '20', 'glibc.maps']);
    assert.equal(low.code, 1);
    assert.equal(match(low.out.split('\n')[0]).severity, 'error');
    assert.equal(match(low.out.split('\n')[0]).code, 'vma-limit');
    const missing = run(['analyze', '--format', 'problems', 'gone.maps', 'jemalloc.maps']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^vma-lens: cannot read gone\.maps: no such file/);
    assert.ok(
      missing.out
        .split('\n')
        .filter(Boolean)
        .every((l) => match(l).file === 'jemalloc.maps'),
    );
    assert.ok(missing.out.length > 0);
    const none = run(['analyze', '--format', 'problems']);
    assert.equal(none.code, 2);
    assert.match(none.err, /^vma-lens: analyze --format problems takes one or more FILEs/);
    assert.equal(run(['analyze', '--format', 'xml', 'glibc.maps']).code, 2);
    const pid = run(['analyze', '--format', 'problems', '--pid', String(glibc.pid)]);
    assert.equal(pid.code, 2);
    assert.match(pid.err, /^vma-lens: --format problems takes FILEs, not --pid/);
  });

  it('a hostile file name stays on one line; files after -- are files, whatever their names', () => {
    const name = '-odd\nname.maps';
    fs.copyFileSync(path.join(tmp, 'glibc.maps'), path.join(tmp, name));
    const r = run(['analyze', '--format', 'problems', '--', name]);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trimEnd().split('\n').map(match);
    assert.ok(rows.length >= 2);
    for (const row of rows) assert.equal(row.file, '-odd\\012name.maps', 'the newline shown as the kernel escapes it');
  });
});
