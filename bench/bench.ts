/**
 * `npm run bench`: whole `vma-lens` processes against a peer doing the least work on the same
 * input, in one run, every figure a ratio against its peer:
 * - `analyze --json` on 1,000,000-, 4,000,000- and 65,530-VMA maps vs mawk splitting the file
 *   into fields (and `jc --proc-pid-maps` parsing it), peak RSS (GNU time);
 * - `analyze --json` on a real 100,000-VMA smaps (read from a live fragmenter) vs mawk;
 * - `timeline` over 1,000 and 10,000 small dumps vs a shell `wc -l` loop over the same files;
 * - `diff` of two 1,000,000-VMA dumps vs `analyze` of each.
 * Runs are paired (ours, then the peer's) and the ratio is the median of the pairs' ratios: the
 * machine may be busy, and a pair shares its moment. `npm run bench -- maps` (or smaps, timeline,
 * diff, fleet) runs one part.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withMaxMapCount, withProcess } from '../test/helpers/realProcess';
import { benchFleetScan } from './fleetScan';

const root = resolve(__dirname, '..');
const dataDir = join(root, 'bench', 'data');
const cli = join(root, 'dist', 'cli.js');

/**
 * A dump shaped like the fragmenter's at the limit: this process's real maps with `count`
 * alternating 4 KiB anonymous VMAs (4 KiB holes between) inserted in address order, in kernel
 * format; with `every`, one of every `every` of those VMAs left out (the same process earlier).
 */
function makeDump(count: number, every = 0): string {
  const file = join(dataDir, `fragmented-${count}${every ? `-less-1-in-${every}` : ''}.maps`);
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
    if (!every || i % every !== every - 1) parts.push(`${a}-${b} rw-p 00000000 00:00 0 `);
    addr += 8192;
  }
  for (const l of real.slice(after)) parts.push(l);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, parts.join('\n') + '\n');
  return file;
}

/** /proc/PID/smaps of a live fragmenter at 100,000 VMAs (mprotect on every other page, pages touched). */
async function makeRealSmaps(): Promise<string> {
  const file = join(dataDir, 'real-100k.smaps');
  if (existsSync(file)) return file;
  mkdirSync(dataDir, { recursive: true });
  await withMaxMapCount(131072, () =>
    withProcess({ program: 'fragmenter', args: ['--target', '100000', '--mprotect', '--touch'], timeoutMs: 120_000 }, async (p) => {
      await p.ready;
      writeFileSync(file, readFileSync(`/proc/${p.pid}/smaps`));
    }),
  );
  return file;
}

/** `n` copies of this process's maps, one file each: a timeline folder of small dumps. */
function makeTimelineDir(n: number): string {
  const dir = join(dataDir, `timeline-${n}`);
  if (existsSync(dir) && readdirSync(dir).length === n) return dir;
  mkdirSync(dir, { recursive: true });
  const maps = readFileSync('/proc/self/maps');
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `${String(i).padStart(5, '0')}.maps`), maps);
  return dir;
}

interface Run {
  wall: number;
  rssKb: number;
}

/**
 * The environment of every measured command: this one without NODE_EXTRA_CA_CERTS. Node 20 loads
 * that file's certificates as it starts, before any program code, for TLS only (on the
 * development machine, which sets it to Debian's bundle, about 45 ms of CPU in every Node
 * process); no benchmarked command makes a connection. The start-up lines show both.
 */
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...benchEnv } = process.env;

function measure(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = benchEnv): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env,
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

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Pair {
  ours: Run;
  peer: Run;
  /** Median of the paired ratios ours / peer. */
  ratio: number;
}

/** n pairs (after one warm-up of each): ours then the peer, back to back. */
function paired(n: number, ours: () => Run, peer: () => Run): Pair {
  ours();
  peer();
  const a: Run[] = [];
  const b: Run[] = [];
  for (let k = 0; k < n; k++) {
    a.push(ours());
    b.push(peer());
  }
  const summary = (rs: Run[]) => ({ wall: med(rs.map((r) => r.wall)), rssKb: Math.max(...rs.map((r) => r.rssKb)) });
  return { ours: summary(a), peer: summary(b), ratio: med(a.map((r, k) => r.wall / b[k].wall)) };
}

function need(bin: string, pkg: string): void {
  if (!existsSync(bin)) {
    console.error(`bench: ${bin} is missing: apt-get install ${pkg} (scripts/setup-deps.sh test installs it)`);
    process.exit(2);
  }
}

const pass = (ok: boolean) => (ok ? 'meets' : 'MISSES');
const s3 = (s: number) => `${s.toFixed(3)} s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const results: Record<string, unknown>[] = [];
const ourCli =
  (...args: string[]) =>
  () =>
    measure(process.execPath, [cli, ...args]);
const mawk = (file: string) => () => measure('/usr/bin/mawk', ['{ n += NF } END { print n }', file]);

async function main(): Promise<void> {
  need('/usr/bin/time', 'time');
  need('/usr/bin/mawk', 'mawk');
  need('/usr/bin/jc', 'jc');
  spawnSync('node', [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  const part = process.argv[2];
  const runs = (name: string) => !part || part === name;

  {
    // Node's own start-up, as every run below pays it (and with the certificates, if set here).
    const bare = paired(9, () => measure(process.execPath, ['-e', '0']), mawk('/dev/null'));
    console.log(`\nnode -e 0: ${s3(bare.ours.wall)}, ${bare.ratio.toFixed(1)}x mawk on an empty file`);
    let withCerts: number | undefined;
    if (extraCaCerts) {
      const env = { ...benchEnv, NODE_EXTRA_CA_CERTS: extraCaCerts };
      const ca = paired(
        9,
        () => measure(process.execPath, ['-e', '0'], undefined, env),
        () => measure(process.execPath, ['-e', '0']),
      );
      withCerts = ca.ours.wall;
      console.log(`node -e 0 with NODE_EXTRA_CA_CERTS=${extraCaCerts}: ${s3(ca.ours.wall)}, ${ca.ratio.toFixed(1)}x without (unset for every run below)`);
    }
    results.push({ dump: 'node -e 0', seconds: bare.ours.wall, withExtraCaCertsSeconds: withCerts });
  }

  let perVma1M = 0;
  for (const count of runs('maps') ? [1_000_000, 4_000_000, 65_530] : []) {
    const file = makeDump(count);
    const size = statSync(file).size / 1e6;
    const big = count > 100_000;
    const p = paired(count > 1_000_000 ? 3 : big ? 5 : 9, ourCli('analyze', '--json', file), mawk(file));
    // jc takes seconds a run: against the median of all our runs of this dump, not one pair's.
    const jc = count > 1_000_000 ? undefined : measure('/usr/bin/jc', ['--proc-pid-maps'], file);
    const jcSpeedup = jc ? jc.wall / p.ours.wall : undefined;
    const row = {
      dump: `${count.toLocaleString('en-US')} VMAs maps (${size.toFixed(1)} MB)`,
      vmaLensSeconds: p.ours.wall,
      vmaLensPeakMB: p.ours.rssKb / 1024,
      mawkSeconds: p.peer.wall,
      vsMawk: p.ratio,
      jcSeconds: jc?.wall,
      jcPeakMB: jc ? jc.rssKb / 1024 : undefined,
      jcSpeedup,
    };
    results.push(row);
    console.log(`\n${row.dump}`);
    console.log(`  vma-lens analyze --json  ${s3(p.ours.wall)}   peak ${mb(p.ours.rssKb)}`);
    console.log(`  mawk (split fields)      ${s3(p.peer.wall)}   peak ${mb(p.peer.rssKb)}`);
    if (jc) console.log(`  jc --proc-pid-maps       ${s3(jc.wall)}   peak ${mb(jc.rssKb)}`);
    console.log(`  ratio vs mawk: ${p.ratio.toFixed(2)}x the time${count === 1_000_000 ? ` (target <= 1.25x: ${pass(p.ratio <= 1.25)})` : ''}`);
    if (jcSpeedup) console.log(`  faster than jc: ${jcSpeedup.toFixed(1)}x${big ? ` (target >= 40x: ${pass(jcSpeedup >= 40)})` : ''}`);
    if (count === 1_000_000) {
      perVma1M = p.ours.wall / count;
      console.log(`  peak RSS: ${mb(p.ours.rssKb)} (target <= 80 MB: ${pass(p.ours.rssKb / 1024 <= 80)})`);
    }
    if (count === 4_000_000) {
      // Linear: the time per VMA at 4M against 1M's (start-up makes 1M's a little dearer).
      const growth = p.ours.wall / count / perVma1M;
      console.log(`  time per VMA vs 1,000,000 VMAs: ${growth.toFixed(2)}x (linear: <= 1)`);
    }
  }

  if (runs('smaps')) {
    const file = await makeRealSmaps();
    const size = statSync(file).size / 1e6;
    const p = paired(5, ourCli('analyze', '--json', file), mawk(file));
    results.push({
      dump: `real 100,000-VMA smaps (${size.toFixed(1)} MB)`,
      vmaLensSeconds: p.ours.wall,
      vmaLensPeakMB: p.ours.rssKb / 1024,
      mawkSeconds: p.peer.wall,
      vsMawk: p.ratio,
    });
    console.log(`\nreal 100,000-VMA smaps (${size.toFixed(1)} MB, /proc/PID/smaps of a fragmenter)`);
    console.log(`  vma-lens analyze --json  ${s3(p.ours.wall)}   peak ${mb(p.ours.rssKb)} (target <= 120 MB: ${pass(p.ours.rssKb / 1024 <= 120)})`);
    console.log(`  mawk (split fields)      ${s3(p.peer.wall)}`);
    console.log(`  ratio vs mawk: ${p.ratio.toFixed(2)}x the time (target <= 1.5x: ${pass(p.ratio <= 1.5)})`);
  }

  for (const n of runs('timeline') ? [1000, 10_000] : []) {
    const dir = makeTimelineDir(n);
    const files = readdirSync(dir).map((f) => join(dir, f));
    const p = paired(n > 1000 ? 3 : 5, ourCli('timeline', '--json', dir), () => measure('/bin/bash', ['-c', 'for f; do wc -l < "$f"; done', 'loop', ...files]));
    results.push({
      dump: `timeline of ${n.toLocaleString('en-US')} small dumps`,
      vmaLensSeconds: p.ours.wall,
      vmaLensPeakMB: p.ours.rssKb / 1024,
      wcLoopSeconds: p.peer.wall,
      vsWcLoop: p.ratio,
    });
    console.log(`\ntimeline of ${n.toLocaleString('en-US')} small dumps (${files.length} files)`);
    console.log(`  vma-lens timeline --json ${s3(p.ours.wall)}   peak ${mb(p.ours.rssKb)}`);
    console.log(`  for f; do wc -l < $f     ${s3(p.peer.wall)}`);
    console.log(`  ratio vs the wc loop: ${p.ratio.toFixed(2)}x the time (target <= 0.25x: ${pass(p.ratio <= 0.25)})`);
  }

  if (runs('diff')) {
    const b = makeDump(1_000_000);
    const a = makeDump(1_000_000, 100);
    const p = paired(5, ourCli('diff', '--json', a, b), () => {
      const ra = ourCli('analyze', '--json', a)();
      const rb = ourCli('analyze', '--json', b)();
      return { wall: ra.wall + rb.wall, rssKb: Math.max(ra.rssKb, rb.rssKb) };
    });
    results.push({
      dump: 'diff of two 1,000,000-VMA dumps',
      vmaLensSeconds: p.ours.wall,
      vmaLensPeakMB: p.ours.rssKb / 1024,
      twoAnalyzeSeconds: p.peer.wall,
      vsTwoAnalyze: p.ratio,
    });
    console.log('\ndiff of two 1,000,000-VMA dumps (the second with 1% more VMAs)');
    console.log(`  vma-lens diff --json     ${s3(p.ours.wall)}   peak ${mb(p.ours.rssKb)}`);
    console.log(`  two analyze --json runs  ${s3(p.peer.wall)}`);
    console.log(`  ratio vs two analyses: ${p.ratio.toFixed(2)}x the time (target <= 1.0x: ${pass(p.ratio <= 1)})`);
  }
  if (runs('fleet')) results.push(...(await benchFleetScan(measure, paired)));
  writeFileSync(join(dataDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
