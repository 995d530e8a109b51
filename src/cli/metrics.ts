/** `vma-lens metrics`: the Prometheus text format of this host's VMA counts, printed or written for the textfile collector. */
import { t } from '../core/l10n';
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { previousErrorTotals, renderMetrics } from '../core/promText';
import { ScanError, scanProcesses, type ScanOptions } from '../node/procScan';
import { ALERT_RULES, DEFAULT_TEXTFILE_DIR, systemdUnits } from './metricsInstall';

export const metricsUsage = () =>
  t(`Usage: vma-lens metrics [--pid PID…] [--match REGEX] [--top N] [--output DIR/vma_lens.prom]
       vma-lens metrics --print-systemd [--output FILE] [--match REGEX] [--top N]
       vma-lens metrics --print-rules

  Prometheus text format of the VMA count (lines of /proc/PID/maps without [vsyscall]) of every
  process this user may read, against vm.max_map_count. Reads maps only, never smaps. Processes
  that exit mid-scan or deny access are skipped and counted in vma_lens_scrape_errors_total.
  --output writes the file atomically (temporary file + rename) for node_exporter's textfile
  collector; the name must end in .prom.
`);

export class CliUsageError extends Error {}
/** Input or environment the command cannot use: a message, no usage text. */
export class CliInputError extends Error {}

interface MetricsArgs {
  scan: ScanOptions;
  output?: string;
  printSystemd: boolean;
  printRules: boolean;
  /** The options as given, for the ExecStart line of --print-systemd. */
  keep: string[];
}

function parseMetricsArgs(argv: string[]): MetricsArgs {
  const args: MetricsArgs = { scan: {}, printSystemd: false, printRules: false, keep: [] };
  const value = (i: number, name: string): string => {
    const v = argv[i];
    if (v === undefined || v === '') throw new CliUsageError(t('{0} needs a value', name));
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--print-systemd') args.printSystemd = true;
    else if (a === '--print-rules') args.printRules = true;
    else if (a === '--pid') {
      const pids: number[] = (args.scan.pids ??= []);
      // --pid takes one or more PIDs: every following argument that is not an option.
      if (argv[i + 1] === undefined || argv[i + 1].startsWith('-')) throw new CliUsageError(t('--pid needs at least one PID'));
      while (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) {
        const p = argv[++i];
        if (!/^[1-9]\d{0,9}$/.test(p)) throw new CliUsageError(t('--pid takes process IDs (positive whole numbers), not "{0}"', p));
        pids.push(Number(p));
      }
    } else if (a === '--match') {
      const v = value(++i, '--match');
      try {
        args.scan.match = new RegExp(v);
      } catch (err) {
        throw new CliUsageError(t('--match: not a regular expression: {0}', (err as Error).message));
      }
      args.keep.push(a, v);
    } else if (a === '--top') {
      const v = value(++i, '--top');
      if (!/^[1-9]\d{0,6}$/.test(v)) throw new CliUsageError(t('--top takes a positive whole number'));
      args.scan.top = Number(v);
      args.keep.push(a, v);
    } else if (a === '--output') {
      const v = value(++i, '--output');
      if (!v.endsWith('.prom')) throw new CliUsageError(t('--output must name a *.prom file: the textfile collector reads only those'));
      args.output = v;
    } else throw new CliUsageError(t('unknown option {0}', a));
  }
  return args;
}

/** Writes `text` to `file` through a temporary file in the same directory and a rename, so a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const dir = file.slice(0, file.lastIndexOf('/') + 1) || './';
  try {
    if (!statSync(dir).isDirectory()) throw new CliInputError(t('cannot write {0}: {1} is not a directory', file, dir));
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    throw new CliInputError(t('cannot write {0}: {1} does not exist', file, dir));
  }
  // Not *.prom, so the collector skips it while it is being written.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // it was never created
    }
    throw new CliInputError(t('cannot write {0}: {1}', file, (err as NodeJS.ErrnoException).code ?? (err as Error).message));
  }
}

/** The command that runs this CLI here, for ExecStart: node and the script, by absolute path. */
function selfCommand(): string[] {
  const script = process.argv[1] ? realpathSync(process.argv[1]) : 'vma-lens';
  return [process.execPath, script];
}

export function runMetrics(argv: string[], write: (text: string) => void): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    write(metricsUsage());
    return 0;
  }
  const args = parseMetricsArgs(argv);
  if (args.printRules) {
    write(ALERT_RULES);
    return 0;
  }
  if (args.printSystemd) {
    const output = args.output ?? `${DEFAULT_TEXTFILE_DIR}/vma_lens.prom`;
    write(systemdUnits(selfCommand(), ['--output', output, ...args.keep], output));
    return 0;
  }
  let scan;
  try {
    scan = scanProcesses(args.scan);
  } catch (err) {
    if (err instanceof ScanError) throw new CliInputError(err.message);
    throw err;
  }
  if (!args.output) {
    write(renderMetrics(scan));
    return 0;
  }
  let before = { vanished: 0, denied: 0 };
  try {
    before = previousErrorTotals(readFileSync(args.output, 'utf8'));
  } catch {
    // no earlier file: the counters start at this scan
  }
  scan.errors = { vanished: before.vanished + scan.errors.vanished, denied: before.denied + scan.errors.denied };
  writeAtomically(args.output, renderMetrics(scan));
  return 0;
}
