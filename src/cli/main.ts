import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { captureLocalSync, CaptureError } from '../capture';
import { analyze, classifyKinds } from '../core/analyze';
import { showEscaped } from '../core/escape';
import type { Dump } from '../core/dump';
import { topMappings, type MappingSort } from '../core/mappings';
import { parseDump, reasonText } from '../core/parse';
import { diffDumps } from '../core/diff';
import { differentProcessWarning, processDifferences, processIdentity } from '../core/identity';
import { forecast, orderSamples, sampleOf } from '../core/timeline';
import type { AnalyzeOptions } from '../core/types';
import { DumpReadError, listDumpFiles, readDumpSync } from '../node/dumpFile';
import { renderProblems } from './problems';
import { writeRecords } from './records';
import { CliInputError, CliUsageError, metricsUsage, runMetrics } from './metrics';
import { promTimelineUsage, runPrometheusTimeline } from './promTimeline';
import { renderAnalysis, renderDiff, renderTimeline, style } from './report';
import { t } from '../core/l10n';
import { cliLanguage, loadCliBundle } from './locale';

const usage = () =>
  t(`Usage: vma-lens <command> [options]

Commands:
  analyze [--json] [--fixes] [--max-map-count N] FILE|-   report on a maps, smaps, smaps_rollup or pmap dump
  analyze [options] --pid N                              the same on a live process of this machine: its
                                                         /proc/N/maps with vm.max_map_count, threads and
                                                         the rest of a capture's header
          --top N [--sort size|rss|vmas]                 also list the N largest mappings (like pmap -x | sort)
  analyze --format problems FILE…                        one line per finding, file:line:col: severity: message [id]
                                                         (what the $vma-lens problem matcher of VS Code tasks reads)
  diff [--json] A B                                      what changed between two dumps of a process
  timeline [--json] [--max-map-count N] [--interval S] DIR
                                                         one line per dump in a folder, and a forecast;
                                                         times from "# time:" headers, else the files'
                                                         modification times, else one sample every S seconds
  parse [--json|--jsonl|--csv] FILE|-                    one record per VMA for other tools (jc's field names and more)
  timeline --prometheus URL SELECTOR [--since 6h] [--json]   the same from Prometheus history
  metrics [--pid PID…] [--match RE] [--top N] [--output F.prom]   Prometheus text format of this host's VMA counts

Options: --version prints the version; --lang L picks the messages' language (else LC_ALL, LC_MESSAGES, LANG).
Exit status: 0 analysed with no error finding, 1 an error-severity finding, 2 unusable input or usage.
`);

class UsageError extends Error {}

const MAX_MAP_COUNT_MAX = 2147483647;

/** A message to stderr, one line per line, control characters shown escaped (file names, reasons). */
function warn(text: string): void {
  process.stderr.write(text.split('\n').map(showEscaped).join('\n'));
}

interface Args {
  command: string;
  files: string[];
  json: boolean;
  fixes: boolean;
  jsonl: boolean;
  csv: boolean;
  maxMapCount?: number;
  intervalMs?: number;
  pid?: string;
  top?: number;
  sort: MappingSort;
  /** `--format problems`: compiler-style lines (`--format json` and `text` are --json and the default). */
  problems: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', files: [], json: false, fixes: false, jsonl: false, csv: false, sort: 'size', problems: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      // The rest are files, whatever their names (a task passes the dumps it found after it).
      args.files.push(...argv.slice(i + 1));
      break;
    }
    /** The value of `--name V` (moving past V) or `--name=V`. */
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--json') args.json = true;
    else if (a === '--fixes') args.fixes = true;
    else if (a === '--jsonl') args.jsonl = true;
    else if (a === '--csv') args.csv = true;
    else if (a === '--max-map-count' || a.startsWith('--max-map-count=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      // The sysctl is a C int: anything above INT_MAX is no setting the kernel could have.
      if (!v || !/^\d+$/.test(v) || Number(v) === 0 || Number(v) > MAX_MAP_COUNT_MAX) {
        throw new UsageError(t('--max-map-count takes a whole number from 1 to {0}', MAX_MAP_COUNT_MAX));
      }
      args.maxMapCount = Number(v);
    } else if (a === '--interval' || a.startsWith('--interval=')) {
      const v = value();
      if (!v || !/^\d+(\.\d+)?$/.test(v) || !(Number(v) > 0)) throw new UsageError(t('--interval takes the seconds between samples, a positive number'));
      args.intervalMs = Number(v) * 1000;
    } else if (a === '--pid' || a.startsWith('--pid=')) {
      const v = value();
      if (!v || !/^\d+$/.test(v)) throw new UsageError(t('--pid takes a process ID'));
      args.pid = v;
    } else if (a === '--top' || a.startsWith('--top=')) {
      const v = value();
      if (!v || !/^\d+$/.test(v) || Number(v) === 0) throw new UsageError(t('--top takes a positive whole number'));
      args.top = Number(v);
    } else if (a === '--sort' || a.startsWith('--sort=')) {
      const v = value();
      if (v !== 'size' && v !== 'rss' && v !== 'vmas') throw new UsageError(t('--sort takes size, rss or vmas'));
      args.sort = v;
    } else if (a === '--format' || a.startsWith('--format=')) {
      const v = value();
      if (v !== 'problems' && v !== 'json' && v !== 'text') throw new UsageError(t('--format takes problems, json or text'));
      args.problems = v === 'problems';
      args.json = v === 'json';
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(t('unknown option {0}', a));
    else args.files.push(a);
  }
  return args;
}

function need(args: Args, n: number, what: string): void {
  if (args.files.length !== n) throw new UsageError(t('{0} takes {1}', args.command, what));
}

/**
 * Straight to descriptor 1, synchronously: process.stdout would load Node's stream machinery (ms
 * of start-up), and a synchronous write cannot be cut short by the process exiting.
 */
function write(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length;) {
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

/** The package's version: dist/cli.js sits one level below package.json, installed or not. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The message for an error that ends a command, and its exit status (2). */
function fail(err: unknown, usage: string): number {
  if (err instanceof UsageError || err instanceof CliUsageError) {
    warn(`vma-lens: ${(err as Error).message}\n${usage}`);
  } else if (err instanceof DumpReadError || err instanceof CaptureError || err instanceof CliInputError) {
    warn(`vma-lens: ${(err as Error).message}\n`);
  } else {
    // Anything else is our bug: one line for the user, the stack only when asked.
    warn(`vma-lens: ${t('internal error: {0} (set VMA_LENS_DEBUG=1 for details)', (err as Error).message)}\n`);
    if (process.env.VMA_LENS_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  }
  return 2;
}

export function main(argvIn: string[]): number {
  const { lang, argv } = cliLanguage(argvIn, process.env);
  loadCliBundle(lang);
  // Subcommands with options of their own parse them themselves.
  if (argv[0] === 'metrics') {
    try {
      return runMetrics(argv.slice(1), write);
    } catch (err) {
      return fail(err, metricsUsage());
    }
  }
  if (argv[0] === 'timeline' && argv.includes('--prometheus')) {
    // Asynchronous (HTTP): the exit status is set when the answer is in.
    runPrometheusTimeline(argv.slice(1), write).then(
      (code) => void (process.exitCode = code),
      (err: unknown) => void (process.exitCode = fail(err, promTimelineUsage())),
    );
    return 0;
  }
  let args: Args;
  try {
    if (argv[0] === '--version' || argv[0] === '-V') {
      write(`vma-lens ${version()}\n`);
      return 0;
    }
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      write(usage());
      return argv.length === 0 ? 2 : 0;
    }
    args = parseArgs(argv);
  } catch (err) {
    warn(`vma-lens: ${(err as Error).message}\n${usage()}`);
    return 2;
  }
  const color = !args.json && isatty(1) && !process.env.NO_COLOR;
  const st = style(color);
  const options: AnalyzeOptions = args.maxMapCount ? { maxMapCount: args.maxMapCount } : {};
  try {
    switch (args.command) {
      case 'analyze': {
        // Problems point at a file's lines: a live process has none.
        if (args.problems && args.pid !== undefined) throw new UsageError(t('--format problems takes FILEs, not --pid (capture the process to a file first)'));
        if (args.problems) return analyzeProblems(args.files, options);
        if (args.pid !== undefined) need(args, 0, t('either --pid N or a FILE, not both'));
        else need(args, 1, t('one FILE (or - for standard input), or --pid N'));
        const file = args.pid !== undefined ? `pid ${args.pid}` : args.files[0];
        // A live process: the capture script's header and maps, as the extension captures it.
        const dump: Dump = args.pid !== undefined ? parseDump(captureLocalSync(args.pid).text) : readDumpSync(file);
        if (dump.count === 0) {
          const bad = dump.malformedCount
            ? t(
                dump.malformedCount === 1 ? ' ({0} malformed line, first: line {1}: {2})' : ' ({0} malformed lines, first: line {1}: {2})',
                dump.malformedCount,
                dump.malformed[0].line,
                reasonText(dump.malformed[0].reason),
              )
            : '';
          throw new DumpReadError(t('no mappings found in {0}', file === '-' ? t('standard input') : file) + bad);
        }
        const a = analyze(dump, options);
        const name = file === '-' ? t('standard input') : file;
        if (a.processes) {
          // Several processes: one analysis each, never a sum (no top-level counts to misread).
          const notes = a.findings.find((f) => f.id === 'input-notes');
          write(
            args.json
              ? JSON.stringify({ file, processCount: a.processCount, processes: a.processes }) + '\n'
              : `${notes?.message ?? ''}\n\n` +
                  a.processes.map((p) => renderAnalysis(p, t('{0}, line {1}', name, p.line) + (p.label ? ` (${p.label})` : ''), st, args.fixes)).join('\n'),
          );
          return a.processes.some((p) => p.findings.some((f) => f.severity === 'error')) ? 1 : 0;
        }
        const top = args.top ? topMappings(dump, args.sort, args.top) : undefined;
        const rollup = dump.format === 'smaps_rollup' ? dump.vma(0).smaps : undefined;
        write(
          args.json
            ? JSON.stringify({ file, ...a, ...(top ? { top } : {}) }) + '\n'
            : renderAnalysis(a, name, st, args.fixes, { top, sort: args.sort, rollup }),
        );
        return a.findings.some((f) => f.severity === 'error') ? 1 : 0;
      }
      case 'diff': {
        need(args, 2, t('two files, A and B'));
        const [fa, fb] = args.files;
        const da = readDumpSync(fa);
        const db = readDumpSync(fb);
        for (const [d, f] of [
          [da, fa],
          [db, fb],
        ] as const) {
          if (d.count === 0) throw new DumpReadError(t('no mappings found in {0}', f));
          // A diff of two files of several processes would sum them: say so instead.
          if (d.sections.length > 1)
            throw new DumpReadError(t('{0} holds {1} processes; diff compares one process with another (split the file first)', f, d.sections.length));
          classifyKinds(d); // the diff groups VMAs by kind; it needs no findings
        }
        const d = diffDumps(da, db);
        const warning = differentProcessWarning(processDifferences(processIdentity(da), processIdentity(db)));
        write(args.json ? JSON.stringify({ a: fa, b: fb, ...(warning ? { warning } : {}), ...d }) + '\n' : renderDiff(d, fa, fb, st, warning));
        return 0;
      }
      case 'timeline': {
        need(args, 1, t('one folder of dumps'));
        const dir = args.files[0];
        const files = listDumpFiles(dir);
        if (files.length === 0) throw new DumpReadError(t('no dump files (maps, smaps, *.maps, *.pmap…) in {0}', dir));
        const skipped: { file: string; reason: string }[] = [];
        const samples = orderSamples(
          files.flatMap((f) => {
            let dump;
            let mtime = 0;
            try {
              dump = readDumpSync(f, (st) => (mtime = st.mtimeMs));
            } catch (err) {
              // One unreadable file does not hide the others (the panel does the same).
              if (!(err instanceof DumpReadError)) throw err;
              skipped.push({ file: f, reason: err.message });
              return [];
            }
            const sample = dump.count ? [sampleOf(f, analyze(dump, options), { mtime, process: processIdentity(dump) })] : [];
            if (!dump.count) skipped.push({ file: f, reason: t('no mappings found') });
            dump.release(); // the next file reuses its memory
            return sample;
          }),
        );
        for (const s of skipped) warn(`vma-lens: ${t('skipped {0}: {1}', s.file, s.reason)}\n`);
        if (samples.length === 0) throw new DumpReadError(t('no readable dump in {0} ({1} skipped)', dir, skipped.length));
        const fc = forecast(samples, { intervalMs: args.intervalMs, intervalFrom: '--interval' });
        write(args.json ? JSON.stringify({ dir, samples, forecast: fc, skipped }) + '\n' : renderTimeline(samples, fc, dir, st));
        return samples.some((s) => s.findings.some((f) => f.severity === 'error')) ? 1 : 0;
      }
      case 'parse': {
        need(args, 1, t('one FILE (or - for standard input)'));
        if (Number(args.json) + Number(args.jsonl) + Number(args.csv) > 1) throw new UsageError(t('parse takes one of --json, --jsonl, --csv'));
        const dump = readDumpSync(args.files[0]);
        if (dump.count > 0) analyze(dump, options); // the kind of each VMA
        writeRecords(dump, args.csv ? 'csv' : args.jsonl ? 'jsonl' : 'json', write);
        if (dump.malformedCount) {
          const m = dump.malformed[0];
          process.stderr.write(
            `vma-lens: ${t(dump.malformedCount === 1 ? '{0} malformed line skipped (first: line {1}: {2})' : '{0} malformed lines skipped (first: line {1}: {2})', dump.malformedCount, m.line, reasonText(m.reason))}\n`,
          );
        }
        return dump.count === 0 ? 2 : 0;
      }
      default:
        throw new UsageError(t('unknown command "{0}"', args.command));
    }
  } catch (err) {
    return fail(err, usage());
  }
}

/**
 * `analyze --format problems FILE…`: every file's findings, one line each, for a task's problem
 * matcher or CI. An unusable file is named on stderr and the others are still read; the exit
 * status is the worst of them (2 unusable input, 1 an error finding, else 0).
 */
function analyzeProblems(files: string[], options: AnalyzeOptions): number {
  if (files.length === 0) throw new UsageError(t('analyze --format problems takes one or more FILEs (or - for standard input)'));
  let status = 0;
  for (const file of files) {
    try {
      const dump = readDumpSync(file);
      if (dump.count === 0) throw new DumpReadError(t('no mappings found in {0}', file === '-' ? t('standard input') : file));
      const a = analyze(dump, options);
      // The file field is for the problem matcher: not translated.
      write(renderProblems(file === '-' ? 'standard input' : file, a));
      dump.release();
      if (a.findings.some((f) => f.severity === 'error') || a.processes?.some((p) => p.findings.some((f) => f.severity === 'error')))
        status = Math.max(status, 1);
    } catch (err) {
      if (!(err instanceof DumpReadError)) throw err;
      warn(`vma-lens: ${err.message}\n`);
      status = 2;
    }
  }
  return status;
}

process.exitCode = main(process.argv.slice(2));
