/**
 * The fleet scan in `npm run bench`: `vma-lens metrics` over every process of the machine
 * against the shell loop an operator would write (`wc -l` of every maps file), in the same run:
 * first the machine as it is, then with 500 processes of which one holds 1,000,000 VMAs (the
 * fragmenter, under a raised vm.max_map_count that is put back afterwards).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProcess, withMaxMapCount, type RealProcess } from '../test/helpers/realProcess';

interface Run {
  wall: number;
  rssKb: number;
}
type Measure = (cmd: string, args: string[]) => Run;
/** n pairs, ours then the peer's, back to back; the ratio is the median of the pairs' (bench.ts). */
type Paired = (n: number, ours: () => Run, peer: () => Run) => { ours: Run; peer: Run; ratio: number };

const cli = join(resolve(__dirname, '..'), 'dist', 'cli.js');
const LOOP = 'for p in /proc/[0-9]*; do wc -l < $p/maps; done >/dev/null 2>&1';
const OUT = '/tmp/vma-lens-bench.prom';
const processCount = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;

function compare(label: string, measure: Measure, paired: Paired): Record<string, unknown> {
  const procs = processCount();
  const p = paired(
    5,
    () => measure(process.execPath, [cli, 'metrics', '--output', OUT]),
    () => measure('/bin/bash', ['-c', LOOP]),
  );
  const { ours, peer: loop } = p;
  // The scan alone, as the last run measured it (the rest of the wall time is Node starting).
  const scan = Number(/^vma_lens_scrape_duration_seconds (\S+)$/m.exec(readFileSync(OUT, 'utf8'))?.[1]);
  console.log(`\n${label} (${procs} processes)`);
  console.log(`  vma-lens metrics           ${ours.wall.toFixed(3)} s   peak ${(ours.rssKb / 1024).toFixed(0)} MB`);
  console.log(`    of which the /proc scan  ${scan.toFixed(3)} s (vma_lens_scrape_duration_seconds)`);
  console.log(`  for p in /proc/*: wc -l    ${loop.wall.toFixed(3)} s   peak ${(loop.rssKb / 1024).toFixed(0)} MB (of one wc)`);
  console.log(`  ratio: ${p.ratio.toFixed(2)}x the time of the shell loop (median of paired runs)`);
  return {
    scan: label,
    processes: procs,
    metricsSeconds: ours.wall,
    metricsPeakMB: ours.rssKb / 1024,
    scanSeconds: scan,
    wcLoopSeconds: loop.wall,
    vsWcLoop: p.ratio,
  };
}

export async function benchFleetScan(measure: Measure, paired: Paired): Promise<Record<string, unknown>[]> {
  const rows = [compare('metrics scan, this machine as it is', measure, paired)];
  if (process.getuid?.() !== 0) {
    console.log('\n(500 processes with one at 1,000,000 VMAs: needs root to raise vm.max_map_count; skipped)');
    return rows;
  }
  await withMaxMapCount(1_100_000, async () => {
    const started: RealProcess[] = [];
    try {
      const big = startProcess({ program: 'fragmenter', args: ['--target', '1000000'], timeoutMs: 300_000 });
      started.push(big);
      await big.ready;
      // Up to 500 (other processes come and go meanwhile: count again).
      for (let round = 0; round < 5 && processCount() < 500; round++) {
        const more = 500 - processCount();
        for (let k = 0; k < more; k++) started.push(startProcess({ cmd: 'sleep', args: ['3600'] }));
        await Promise.all(started.map((p) => p.ready));
      }
      console.log(`\n(fragmenter pid ${big.pid}: ${big.result()?.vmas} VMAs)`);
      rows.push(compare('metrics scan, 500 processes, one at 1,000,000 VMAs', measure, paired));
    } finally {
      await Promise.all(started.map((p) => p.stop('SIGKILL', 1000)));
    }
  });
  return rows;
}
