/**
 * The command line with pmap's habits, on real processes: --pid reads a live process as a capture
 * does, --top lists the largest mappings, a smaps_rollup shows what a rollup has, --version, and
 * diff tells different processes apart, keeps shrinking ranges apart from growing ones, and
 * counts [vsyscall] nowhere. The truth is read from /proc (status, maps, smaps_rollup).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { formatBytes, formatCount } from '../../src/core/format';
import { captureMaps, captureSmaps, captureSmapsRollup, countVmas, parseMaps, readMaxMapCount, startProcess, type RealProcess } from '../helpers/realProcess';
import { runCli as run } from '../helpers/cli';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-habits-'));

function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

const statusThreads = (pid: number) => Number(/^Threads:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const hasVsyscall = () => fs.readFileSync('/proc/self/maps', 'utf8').includes('[vsyscall]');

let threads: RealProcess;
let grower: RealProcess;

before(async () => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  threads = startProcess({ program: 'threads', args: ['3'] });
  grower = startProcess({ program: 'fragmenter', args: ['--rate', '300'] });
  await Promise.all([threads.ready, grower.ready]);
});

after(async () => {
  await Promise.all([threads?.stop(), grower?.stop()]);
});

describe('vma-lens analyze --pid, --top, --version, rollup', () => {
  it('--version prints the package version', () => {
    const r = run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.out, `vma-lens ${JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n`);
  });

  it('--pid reads the live process with vm.max_map_count, threads and the capture header', () => {
    const r = run(['analyze', '--json', '--pid', String(threads.pid)]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.header.pid, threads.pid);
    assert.equal(j.header.threads, statusThreads(threads.pid));
    assert.equal(j.maxMapCount, readMaxMapCount());
    assert.equal(j.maxMapCountSource, 'header');
    assert.equal(j.vmaCount, countVmas(fs.readFileSync(`/proc/${threads.pid}/maps`, 'utf8')), 'the process is idle: same count as the kernel now');
    assert.match(j.header.command, /threads 3$/);
    const text = run(['analyze', '--pid', String(threads.pid)]).out;
    assert.match(text, new RegExp(`^Process {4}\\S*/threads pid ${threads.pid} on ${os.hostname()} at `, 'm'));
    const gone = run(['analyze', '--pid', '4194304']);
    assert.equal(gone.code, 2);
    assert.equal(gone.err, 'vma-lens: There is no process 4194304 (it may have exited).\n');
    assert.equal(run(['analyze', '--pid', '12x']).code, 2);
  });

  it('--top N lists the largest mappings by size, RSS or VMA count', () => {
    const maps = captureMaps(grower.pid, { header: false });
    const f = write('grower.maps', maps);
    // The truth: the test's own reader grouping the kernel's lines by path (anonymous apart).
    const entries = parseMaps(maps).filter((e) => e.path !== '[vsyscall]');
    const byPath = new Map<string, { vmas: number; bytes: number }>();
    for (const e of entries.filter((x) => x.path)) {
      const g = byPath.get(e.path) ?? { vmas: 0, bytes: 0 };
      g.vmas++;
      g.bytes += Number(e.end - e.start);
      byPath.set(e.path, g);
    }
    const anonVmas = entries.filter((e) => !e.path).length;
    const r = run(['analyze', '--json', '--top', '3', '--sort', 'vmas', f]);
    const top = JSON.parse(r.out).top as { mapping: string; vmas: number; bytes: number }[];
    assert.equal(top.length, 3);
    assert.match(top[0].mapping, /^\[ anon: /, 'the fragmented anonymous memory costs the most VMAs');
    assert.ok(top[0].vmas > 100 && top[0].vmas <= anonVmas, `${top[0].vmas} of ${anonVmas} anonymous VMAs`);
    assert.ok(top[0].vmas >= top[1].vmas && top[1].vmas >= top[2].vmas);
    const bySize = JSON.parse(run(['analyze', '--json', '--top', '50', '--sort', 'size', f]).out).top as { mapping: string; vmas: number; bytes: number }[];
    for (let k = 1; k < bySize.length; k++) assert.ok(bySize[k - 1].bytes >= bySize[k].bytes);
    for (const m of bySize.filter((x) => x.mapping.startsWith('/'))) assert.deepEqual({ vmas: m.vmas, bytes: m.bytes }, byPath.get(m.mapping), m.mapping);
    const text = run(['analyze', '--top', '2', f]).out;
    assert.match(text, /^Top 2 mappings by size\nMapping +VMAs +Size\n/m);
    const smaps = write('grower.smaps', captureSmaps(grower.pid));
    const byRss = JSON.parse(run(['analyze', '--json', '--top', '5', '--sort', 'rss', smaps]).out).top as { rss: number }[];
    for (let k = 1; k < byRss.length; k++) assert.ok(byRss[k - 1].rss >= byRss[k].rss);
    assert.match(run(['analyze', '--top', '5', '--sort', 'rss', smaps]).out, /^Top 5 mappings by RSS\nMapping +VMAs +Size +RSS\n/m);
    assert.equal(run(['analyze', '--top', '0', f]).code, 2);
    assert.equal(run(['analyze', '--sort', 'colour', f]).code, 2);
  });

  it('a smaps_rollup shows its Rss / Pss / Swap breakdown, not VMAs 0, threads 0 or an allocator', () => {
    const text = captureSmapsRollup(threads.pid, { header: false });
    const rssKb = Number(/^Rss:\s+(\d+) kB/m.exec(text)![1]);
    const pssAnonKb = Number(/^Pss_Anon:\s+(\d+) kB/m.exec(text)![1]);
    const r = run(['analyze', write('threads.smaps_rollup', text)]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Rollup \(the sum over every mapping; smaps_rollup lists no VMAs\)$/m);
    assert.match(r.out, new RegExp(`^ {4}Rss +${formatBytes(rssKb * 1024).replace('.', '\\.')}$`, 'm'));
    assert.match(r.out, new RegExp(`^ {6}Pss_Anon +${formatBytes(pssAnonKb * 1024).replace('.', '\\.')}$`, 'm'));
    assert.match(r.out, /^ {4}Swap +/m);
    assert.doesNotMatch(r.out, /^VMAs |^Threads +0|^Allocator |^Rollup +\d/m);
  });
});

describe('vma-lens diff on real processes', () => {
  it('two captures of one process: no warning; growth with "+", shrinking ranges apart; [vsyscall] in no count', async () => {
    const a = captureMaps(grower.pid, { header: false });
    await sleep(1200);
    const b = captureMaps(grower.pid, { header: false });
    const fa = write('grow-a.maps', a);
    const fb = write('grow-b.maps', b);
    const j = JSON.parse(run(['diff', '--json', fa, fb]).out);
    assert.equal(j.warning, undefined);
    assert.equal(j.vmaCountA, countVmas(a));
    assert.equal(j.vmaCountB, countVmas(b));
    // Every counted VMA of A is unchanged or removed, of B unchanged or added: [vsyscall] nowhere.
    assert.equal(j.unchanged + j.removed, j.vmaCountA);
    assert.equal(j.unchanged + j.added, j.vmaCountB);
    if (hasVsyscall()) assert.ok(a.includes('[vsyscall]'), 'the dump has the line the counts leave out');
    const analysed = run(['analyze', fa]).out;
    assert.match(analysed, new RegExp(`^VMAs {7}${formatCount(countVmas(a))} / `, 'm'));
    assert.match(analysed, new RegExp(`^Total +${formatCount(countVmas(a))} `, 'm'), 'the kind table totals what the header says');
    const grew = run(['diff', fa, fb]).out;
    assert.match(
      grew,
      new RegExp(`^VMAs {7}${formatCount(j.vmaCountA)} → ${formatCount(j.vmaCountB)} \\(\\+${formatCount(j.vmaCountB - j.vmaCountA)}\\)$`, 'm'),
    );
    assert.match(grew, /^Top-growing ranges\n {4}[0-9a-f]+-[0-9a-f]+ {2}\+[\d,]+ VMAs {2}-[\d.]+ [KM]iB/m, 'splits by munmap add VMAs and drop bytes');
    assert.doesNotMatch(grew, /^Warning/m);
    // Backwards, the same range shrinks: listed as such, never as growth.
    const shrank = run(['diff', fb, fa]).out;
    const growing = /^Top-growing ranges\n((?: {4}.*\n)*)/m.exec(shrank)?.[1] ?? '';
    assert.doesNotMatch(growing, / -[\d,]+ VMAs/);
    assert.match(shrank, /^Shrinking ranges\n {4}[0-9a-f]+-[0-9a-f]+ {2}-[\d,]+ VMAs {2}\+[\d.]+ [KM]iB/m);
  });

  it('dumps of two different processes: a warning, with or without a capture header', () => {
    const withHeader = run(['diff', write('threads-h.maps', captureMaps(threads.pid)), write('grower-h.maps', captureMaps(grower.pid))]);
    assert.equal(withHeader.code, 0, withHeader.err);
    assert.match(
      withHeader.out,
      new RegExp(
        `^Warning {4}These dumps are of different processes \\(pid ${threads.pid} vs ${grower.pid}, command \\S+threads vs \\S+fragmenter, executable \\S+threads vs \\S+fragmenter\\)`,
        'm',
      ),
    );
    const plain = JSON.parse(
      run([
        'diff',
        '--json',
        write('threads-p.maps', captureMaps(threads.pid, { header: false })),
        write('grower-p.maps', captureMaps(grower.pid, { header: false })),
      ]).out,
    );
    assert.match(plain.warning, /different processes \(executable \S+threads vs \S+fragmenter\)/);
  });
});
