/**
 * `vma-lens parse`: records for other tools, compared field by field with `jc --proc-pid-maps` and
 * `jc --proc-pid-smaps` on the maps and smaps of live processes (a plain one, and one mapping
 * shared memory, a memfd and a SysV segment, whose names end in " (deleted)").
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProcess, type RealProcess } from '../helpers/realProcess';

const CLI = resolve(__dirname, '../../dist/cli.js');

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 30 });
}

/** Agreement per field name: [agreeing values, compared values]. */
type Agreement = Record<string, [number, number]>;

function compare(ours: Record<string, unknown>[], theirs: Record<string, unknown>[], tally: Agreement): void {
  assert.equal(ours.length, theirs.length, 'one record per VMA, as jc');
  theirs.forEach((t, i) => {
    for (const [key, value] of Object.entries(t)) {
      assert.ok(key in ours[i], `jc field ${key} is in our record ${i}`);
      const same = JSON.stringify(ours[i][key]) === JSON.stringify(value);
      const [ok, n] = tally[key] ?? [0, 0];
      tally[key] = [ok + (same ? 1 : 0), n + 1];
    }
  });
}

describe('vma-lens parse', () => {
  const procs: RealProcess[] = [];
  before(async () => {
    const sleeper = startProcess({ cmd: 'sleep', args: ['300'], readyCheck: () => readFileSync(`/proc/${sleeper.pid}/maps`, 'utf8').includes('libc.so') });
    procs.push(sleeper, startProcess({ program: 'shmkinds' }));
    await Promise.all(procs.map((p) => p.ready));
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('gives every field jc gives, with the same values (VmFlags_pretty in its own words)', () => {
    const tally: Agreement = {};
    for (const p of procs) {
      for (const [file, parser] of [
        ['maps', '--proc-pid-maps'],
        ['smaps', '--proc-pid-smaps'],
      ] as const) {
        const text = readFileSync(`/proc/${p.pid}/${file}`, 'utf8');
        const theirs = JSON.parse(execFileSync('jc', [parser], { input: text, encoding: 'utf8' }));
        const res = cli(['parse', '--json', '-'], text);
        assert.equal(res.status, 0, res.stderr);
        compare(JSON.parse(res.stdout), theirs, tally);
      }
    }
    const disagree = Object.entries(tally).filter(([k, [ok, n]]) => ok !== n && k !== 'VmFlags_pretty');
    assert.deepEqual(disagree, [], 'every value agrees with jc but the wording of VmFlags_pretty');
    // Both parsers saw the " (deleted)" names of the kernel objects alike.
    assert.ok(tally.pathname[1] > 40);
    process.stdout.write(
      `# jc agreement: ${Object.entries(tally)
        .map(([k, [ok, n]]) => `${k} ${ok}/${n}`)
        .join(', ')}\n`,
    );
  });

  it('writes JSON Lines and CSV with the same records', () => {
    const text = readFileSync(`/proc/${procs[1].pid}/smaps`, 'utf8');
    const json = JSON.parse(cli(['parse', '-'], text).stdout) as Record<string, unknown>[];
    const lines = cli(['parse', '--jsonl', '-'], text)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines, json);
    const csv = cli(['parse', '--csv', '-'], text).stdout.trim().split('\r\n');
    const head = csv[0].split(',');
    assert.equal(csv.length, json.length + 1);
    const rss = head.indexOf('Rss');
    const path = head.indexOf('pathname');
    assert.ok(rss > 0 && path > 0);
    json.forEach((r, i) => {
      const cells = csv[i + 1].split(',');
      assert.equal(Number(cells[rss]), r.Rss);
      assert.equal(cells[path], r.pathname);
    });
  });

  it('gives null, not 0, for what a format does not print (pmap -x: offset, device, inode; numa_maps: end, permissions)', () => {
    const pid = procs[1].pid;
    const pm = cli(['parse', '--jsonl', '-'], execFileSync('pmap', ['-x', String(pid)], { encoding: 'utf8' }))
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const maps = JSON.parse(cli(['parse', `/proc/${pid}/maps`]).stdout) as Record<string, unknown>[];
    assert.equal(pm.length, maps.length);
    pm.forEach((r, i) => {
      assert.deepEqual([r.offset, r.dev, r.inode], [null, null, null]);
      assert.deepEqual([r.start, r.end, r.permissions], [maps[i].start, maps[i].end, maps[i].permissions]);
    });
    const numa = cli(['parse', '--jsonl', `/proc/${pid}/numa_maps`])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of numa) assert.deepEqual([r.end, r.size, r.perms, r.offset], [null, null, null, null]);
  });

  it('refuses what is no dump and bad options with one line, exit 2', () => {
    const none = cli(['parse', '-'], 'hello\n');
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^vma-lens: 1 malformed line skipped \(first: line 1: not a maps, smaps or pmap line\)\n$/);
    const both = cli(['parse', '--csv', '--jsonl', '-'], '');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /parse takes one of --json, --jsonl, --csv/);
  });

  it('streams: a 1,000,000-line dump is written without a million objects in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-parse-'));
    try {
      const lines: string[] = [];
      for (let i = 0; i < 1_000_000; i++) {
        const s = 0x7f0000000000 + i * 8192;
        lines.push(`${s.toString(16)}-${(s + 4096).toString(16)} rw-p 00000000 00:00 0 `);
      }
      const file = join(dir, 'big.maps');
      writeFileSync(file, lines.join('\n') + '\n');
      // Through `tail`, so that the test holds only the last record.
      const res = spawnSync('sh', ['-c', '/usr/bin/time -v "$0" "$1" parse --jsonl "$2" | tail -n 1', process.execPath, CLI, file], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).line, 1_000_000);
      const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr)![1]);
      // The records alone, held at once, would take over 500 MB.
      assert.ok(peakKb < 250 * 1024, `peak RSS ${peakKb} kB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
