import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { analyze } from '../core/analyze';
import { diffDumps } from '../core/diff';
import { forecast, orderSamples, sampleOf } from '../core/timeline';
import type { AnalyzeOptions } from '../core/types';
import { DumpReadError, listDumpFiles, readDumpSync } from '../node/dumpFile';
import { CliInputError, CliUsageError, METRICS_USAGE, runMetrics } from './metrics';
import { PROM_TIMELINE_USAGE, runPrometheusTimeline } from './promTimeline';
import { renderAnalysis, renderDiff, renderTimeline, style } from './report';

const USAGE = `Usage: vma-lens <command> [options]

Commands:
  analyze [--json] [--fixes] [--max-map-count N] FILE|-   report on a maps, smaps, smaps_rollup or pmap dump
  diff [--json] A B                                      what changed between two dumps of a process
  timeline [--json] [--max-map-count N] DIR              one line per dump in a folder, and a forecast
  timeline --prometheus URL SELECTOR [--since 6h] [--json]   the same from Prometheus history
  metrics [--pid PID…] [--match RE] [--top N] [--output F.prom]   Prometheus text format of this host's VMA counts

Exit status: 0 analysed with no error finding, 1 an error-severity finding, 2 unusable input or usage.
`;

class UsageError extends Error {}

interface Args {
  command: string;
  files: string[];
  json: boolean;
  fixes: boolean;
  maxMapCount?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', files: [], json: false, fixes: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--fixes') args.fixes = true;
    else if (a === '--max-map-count' || a.startsWith('--max-map-count=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) === 0) throw new UsageError('--max-map-count takes a positive whole number');
      args.maxMapCount = Number(v);
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else args.files.push(a);
  }
  return args;
}

function need(args: Args, n: number, what: string): void {
  if (args.files.length !== n) throw new UsageError(`${args.command} takes ${what}`);
}

/**
 * Straight to descriptor 1, synchronously: process.stdout would load Node's stream machinery (ms
 * of start-up), and a synchronous write cannot be cut short by the process exiting.
 */
function write(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(1, bytes, at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return; // the reader has gone (| head): nothing more to say
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a non-blocking pipe is full
    }
  }
}

/** The message for an error that ends a command, and its exit status (2). */
function fail(err: unknown, usage: string): number {
  if (err instanceof UsageError || err instanceof CliUsageError) {
    process.stderr.write(`vma-lens: ${(err as Error).message}\n${usage}`);
  } else if (err instanceof DumpReadError || err instanceof CliInputError) {
    process.stderr.write(`vma-lens: ${(err as Error).message}\n`);
  } else {
    // Anything else is our bug: one line for the user, the stack only when asked.
    process.stderr.write(`vma-lens: internal error: ${(err as Error).message} (set VMA_LENS_DEBUG=1 for details)\n`);
    if (process.env.VMA_LENS_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  }
  return 2;
}

export function main(argv: string[]): number {
  // Subcommands with options of their own parse them themselves.
  if (argv[0] === 'metrics') {
    try {
      return runMetrics(argv.slice(1), write);
    } catch (err) {
      return fail(err, METRICS_USAGE);
    }
  }
  if (argv[0] === 'timeline' && argv.includes('--prometheus')) {
    // Asynchronous (HTTP): the exit status is set when the answer is in.
    runPrometheusTimeline(argv.slice(1), write).then(
      (code) => void (process.exitCode = code),
      (err: unknown) => void (process.exitCode = fail(err, PROM_TIMELINE_USAGE)),
    );
    return 0;
  }
  let args: Args;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      write(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`vma-lens: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const color = !args.json && isatty(1) && !process.env.NO_COLOR;
  const st = style(color);
  const options: AnalyzeOptions = args.maxMapCount ? { maxMapCount: args.maxMapCount } : {};
  try {
    switch (args.command) {
      case 'analyze': {
        need(args, 1, 'one FILE (or - for standard input)');
        const file = args.files[0];
        const dump = readDumpSync(file);
        if (dump.count === 0) {
          const bad = dump.malformedCount ? ` (${dump.malformedCount} malformed line${dump.malformedCount === 1 ? '' : 's'}, first: line ${dump.malformed[0].line}: ${dump.malformed[0].reason})` : '';
          throw new DumpReadError(`no mappings found in ${file === '-' ? 'standard input' : file}${bad}`);
        }
        const a = analyze(dump, options);
        write(args.json ? JSON.stringify({ file, ...a }) + '\n' : renderAnalysis(a, file === '-' ? 'standard input' : file, st, args.fixes));
        return a.findings.some((f) => f.severity === 'error') ? 1 : 0;
      }
      case 'diff': {
        need(args, 2, 'two files, A and B');
        const [fa, fb] = args.files;
        const da = readDumpSync(fa);
        const db = readDumpSync(fb);
        for (const [d, f] of [[da, fa], [db, fb]] as const) {
          if (d.count === 0) throw new DumpReadError(`no mappings found in ${f}`);
          analyze(d, options); // classifies the VMAs the diff groups by kind
        }
        const d = diffDumps(da, db);
        write(args.json ? JSON.stringify({ a: fa, b: fb, ...d }) + '\n' : renderDiff(d, fa, fb, st));
        return 0;
      }
      case 'timeline': {
        need(args, 1, 'one folder of dumps');
        const dir = args.files[0];
        const files = listDumpFiles(dir);
        if (files.length === 0) throw new DumpReadError(`no dump files (maps, smaps, *.maps, *.pmap…) in ${dir}`);
        const samples = orderSamples(
          files.flatMap((f) => {
            const dump = readDumpSync(f);
            const sample = dump.count ? [sampleOf(f, analyze(dump, options))] : [];
            dump.release(); // the next file reuses its memory
            return sample;
          }),
        );
        const fc = forecast(samples);
        write(args.json ? JSON.stringify({ dir, samples, forecast: fc ?? null }) + '\n' : renderTimeline(samples, fc, dir, st));
        return samples.some((s) => s.findings.some((f) => f.severity === 'error')) ? 1 : 0;
      }
      default:
        throw new UsageError(`unknown command "${args.command}"`);
    }
  } catch (err) {
    return fail(err, USAGE);
  }
}

process.exitCode = main(process.argv.slice(2));
