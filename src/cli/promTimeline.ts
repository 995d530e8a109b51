/** `vma-lens timeline --prometheus URL SELECTOR`: the timeline of one process from Prometheus history. */
import { t } from '../core/l10n';
import { isatty } from 'node:tty';
import { forecast } from '../core/timeline';
import { parseDuration, PrometheusError, type PrometheusAuth } from '../prometheus/client';
import { prometheusTimeline } from '../prometheus/timeline';
import { CliInputError, CliUsageError } from './metrics';
import { renderTimeline, style } from './report';

export const promTimelineUsage = () =>
  t(`Usage: vma-lens timeline --prometheus URL SELECTOR [--since 6h] [--step 60s] [--timeout 10s] [--json]

  The VMA count of one process from Prometheus (query_range over process_memory_map_areas, as
  written by vma-lens metrics) against its host's process_memory_map_areas_limit, and a forecast.
  SELECTOR picks one series, e.g. 'process_memory_map_areas{instance="db1:9100",pid="4242"}'.
  Credentials come from the environment, never the command line: VMA_LENS_PROMETHEUS_TOKEN (bearer),
  or VMA_LENS_PROMETHEUS_USER and VMA_LENS_PROMETHEUS_PASSWORD (basic auth).
`);

interface Args {
  url: string;
  selector: string;
  sinceMs: number;
  stepSec?: number;
  timeoutMs?: number;
  json: boolean;
}

function duration(v: string | undefined, name: string): number {
  const ms = v === undefined ? undefined : parseDuration(v);
  if (ms === undefined) throw new CliUsageError(t('{0} takes a duration such as 90s, 30m, 6h or 2d', name));
  return ms;
}

function parse(argv: string[]): Args {
  const rest: string[] = [];
  const args: Partial<Args> & { json: boolean } = { json: false, sinceMs: 6 * 3600_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--prometheus') {
      if (argv[i + 1] === undefined) throw new CliUsageError(t('--prometheus needs a URL'));
      args.url = argv[++i];
    } else if (a === '--since') args.sinceMs = duration(argv[++i], '--since');
    else if (a === '--step') args.stepSec = Math.max(1, Math.round(duration(argv[++i], '--step') / 1000));
    else if (a === '--timeout') args.timeoutMs = duration(argv[++i], '--timeout');
    else if (a.startsWith('-')) throw new CliUsageError(t('unknown option {0}', a));
    else rest.push(a);
  }
  if (rest.length !== 1) throw new CliUsageError(t('timeline --prometheus takes one SELECTOR'));
  return { ...args, url: args.url!, selector: rest[0], sinceMs: args.sinceMs! };
}

function authFromEnv(): PrometheusAuth | undefined {
  const env = process.env;
  if (env.VMA_LENS_PROMETHEUS_TOKEN) return { bearerToken: env.VMA_LENS_PROMETHEUS_TOKEN };
  if (env.VMA_LENS_PROMETHEUS_USER) return { username: env.VMA_LENS_PROMETHEUS_USER, password: env.VMA_LENS_PROMETHEUS_PASSWORD ?? '' };
  return undefined;
}

export async function runPrometheusTimeline(argv: string[], write: (text: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    write(promTimelineUsage());
    return 0;
  }
  const args = parse(argv);
  const auth = authFromEnv();
  let result;
  try {
    result = await prometheusTimeline({
      url: args.url,
      selector: args.selector,
      sinceMs: args.sinceMs,
      ...(args.stepSec ? { stepSec: args.stepSec } : {}),
      ...(args.timeoutMs ? { timeoutMs: args.timeoutMs } : {}),
      ...(auth ? { auth } : {}),
    });
  } catch (err) {
    if (err instanceof PrometheusError) throw new CliInputError(err.message);
    throw err;
  }
  const { samples, series, limitSource } = result;
  const fc = forecast(samples, { timesFrom: 'Prometheus' });
  if (args.json) {
    write(JSON.stringify({ prometheus: args.url, selector: args.selector, series, limitSource, samples, forecast: fc ?? null }) + '\n');
  } else {
    const st = style(isatty(1) && !process.env.NO_COLOR);
    write(renderTimeline(samples, fc, `${args.selector} at ${args.url}`, st));
  }
  return samples.some((s) => s.findings.some((f) => f.severity === 'error')) ? 1 : 0;
}
