/**
 * `npm run bench`: the whole `vma-lens analyze --json` process against mawk splitting the same
 * file into fields and `jc --proc-pid-maps` parsing it, in one run, on a 1,000,000-VMA dump and a
 * 65,530-VMA one. Reports median wall time, peak RSS (GNU time) and the ratios the issue sets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchFleetScan } from './fleetScan';

const root = resolve(__dirname, '..');
const dataDir = join(root, 'bench', 'data');
const cli = join(root, 'dist', 'cli.js');

/**
 * A dump shaped like the fragmenter's at the limit: this process's real maps with `count`
 * alternating 4 KiB anonymous VMAs (4 KiB holes between) inserted in address order, in kernel format.
 */
function makeDump(count: number): string {
  const file = join(dataDir, `fragmented-${count}.maps`);
  if (existsSync(file)) return file;
  const base = 0x600000000000;
  const real = readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean);
  // Insert where the addresses stay ascending, as the kernel prints them.
  const startOf = (l: string) => BigInt('0x' + l.slice(0, l.indexOf('-')));
  let after = real.findIndex((l) => startOf(l) > BigInt(base));
  if (after < 0) after = real.length;
  const parts: string[] = real.slice(0, after);
  let addr = base;
  for (let i = 0; i < count; i++) {
    const a = addr.toString(16).padStart(12, '0');
    const b = (addr + 4096).toString(16).padStart(12, '0');
    parts.push(`${a}-${b} rw-p 00000000 00:00 0 `);
    addr += 8192;
  }
  for (const l of real.slice(after)) parts.push(l);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, parts.join('\n') + '\n');
  return file;
}

interface Run {
  wall: number;
  rssKb: number;
}

function measure(cmd: string, args: string[], input?: string): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    input: input ? readFileSync(input) : undefined,
    maxBuffer: 1 << 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.stderr.toString().trim().split('\n');
  const rssKb = Number(lines[lines.length - 1]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed (${r.status}): ${lines.join(' ')}`);
  return { wall, rssKb };
}

function median(runs: Run[]): Run {
  const w = runs.map((r) => r.wall).sort((a, b) => a - b);
  return { wall: w[Math.floor(w.length / 2)], rssKb: Math.max(...runs.map((r) => r.rssKb)) };
}

function repeat(n: number, f: () => Run): Run {
  f(); // warm the page cache and the binary
  return median(Array.from({ length: n }, f));
}

function need(bin: string, pkg: string): void {
  if (!existsSync(bin)) {
    console.error(`bench: ${bin} is missing: apt-get install ${pkg} (scripts/setup-deps.sh test installs it)`);
    process.exit(2);
  }
}

need('/usr/bin/time', 'time');
need('/usr/bin/mawk', 'mawk');
need('/usr/bin/jc', 'jc');
spawnSync('node', [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });

const results: Record<string, unknown>[] = [];
for (const count of [1_000_000, 65_530]) {
  const file = makeDump(count);
  const mb = statSync(file).size / 1e6;
  const reps = count > 100_000 ? 5 : 9;
  const ours = repeat(reps, () => measure(process.execPath, [cli, 'analyze', '--json', file]));
  const mawk = repeat(reps, () => measure('/usr/bin/mawk', ['{ n += NF } END { print n }', file]));
  const jc = repeat(count > 100_000 ? 1 : 3, () => measure('/usr/bin/jc', ['--proc-pid-maps'], file));
  const row = {
    dump: `${count.toLocaleString('en-US')} VMAs (${mb.toFixed(1)} MB)`,
    vmaLensSeconds: ours.wall,
    vmaLensPeakMB: ours.rssKb / 1024,
    mawkSeconds: mawk.wall,
    jcSeconds: jc.wall,
    jcPeakMB: jc.rssKb / 1024,
    vsMawk: ours.wall / mawk.wall,
    jcSpeedup: jc.wall / ours.wall,
  };
  results.push(row);
  const pass = (ok: boolean) => (ok ? 'meets' : 'MISSES');
  console.log(`\n${row.dump}`);
  console.log(`  vma-lens analyze --json  ${ours.wall.toFixed(3)} s   peak ${(ours.rssKb / 1024).toFixed(0)} MB`);
  console.log(`  mawk (split fields)      ${mawk.wall.toFixed(3)} s   peak ${(mawk.rssKb / 1024).toFixed(0)} MB`);
  console.log(`  jc --proc-pid-maps       ${jc.wall.toFixed(3)} s   peak ${(jc.rssKb / 1024).toFixed(0)} MB`);
  console.log(`  ratio vs mawk: ${row.vsMawk.toFixed(2)}x the time${count > 100_000 ? ` (target <= 2x: ${pass(row.vsMawk <= 2)})` : ''}`);
  console.log(`  faster than jc: ${row.jcSpeedup.toFixed(1)}x${count > 100_000 ? ` (target >= 20x: ${pass(row.jcSpeedup >= 20)})` : ''}`);
  if (count > 100_000) console.log(`  peak RSS: ${(ours.rssKb / 1024).toFixed(0)} MB (target <= 250 MB: ${pass(ours.rssKb / 1024 <= 250)})`);
}
void benchFleetScan(measure, repeat).then((fleet) => {
  results.push(...fleet);
  writeFileSync(join(dataDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
});
