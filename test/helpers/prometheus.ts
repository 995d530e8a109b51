/**
 * Real Prometheus and node_exporter for tests (Debian's `prometheus`, `promtool`,
 * `prometheus-node-exporter`), started on 127.0.0.1 free ports and stopped by the caller. There is
 * no systemd here: the binaries run as children of the test, killed with it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from './net';
import { startProcess, type RealProcess } from './realProcess';

/**
 * Runs `fn` while vm.max_map_count holds still: other test processes may change it for a moment
 * (withMaxMapCount), so the value is read before and after, and `fn` is run again if it moved.
 * Returns what `fn` gave and the limit it ran under.
 */
export function underStableLimit<T>(fn: () => T): { value: T; limit: number } {
  const read = () => Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
  for (let attempt = 0; ; attempt++) {
    const before = read();
    const value = fn();
    if (read() === before || attempt === 20) return { value, limit: before };
  }
}

export interface Server {
  url: string;
  port: number;
  proc: RealProcess;
  stop(): Promise<void>;
}

async function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function serve(cmd: string, args: (port: number) => string[], readyPath: string, headers: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess({ cmd, args: args(port), readyLine: null, readyCheck: () => httpOk(url + readyPath, headers), timeoutMs: 60_000 });
  await proc.ready;
  return { url, port, proc, stop: async () => void (await proc.stop()) };
}

/** node_exporter with only the textfile collector, reading `dir`. */
export function startNodeExporter(dir: string): Promise<Server> {
  return serve(
    'prometheus-node-exporter',
    (port) => [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`],
    '/metrics',
  );
}

/** One sample of an OpenMetrics series for backfilling. */
export interface BackfillSeries {
  labels: Record<string, string>;
  /** [epoch seconds, value] pairs, ascending. */
  points: Array<[number, number]>;
}

/** Writes OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`. */
export function openMetrics(families: Record<string, BackfillSeries[]>): string {
  const out: string[] = [];
  for (const [name, series] of Object.entries(families)) {
    out.push(`# TYPE ${name} gauge`);
    for (const s of series) {
      const l = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join(',');
      for (const [t, v] of s.points) out.push(`${name}{${l}} ${v} ${t}`);
    }
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}

/** A user of Prometheus's own basic auth (`--web.config.file`): the password and its bcrypt hash. */
export interface BasicAuthUser {
  user: string;
  password: string;
  bcrypt: string;
}

/** A fixed test user (the hash is of the password, cost 4, made once with crypt(3)). */
export const TEST_USER: BasicAuthUser = { user: 'vmalens', password: 'fleet-test-pw', bcrypt: '$2b$04$abcdefghijklmnopqrstuuA5t2FJlVinRdrxTH8YqM.hSvtVAYGEm' };

/**
 * Prometheus over `dataDir`, after backfilling it with `history` (OpenMetrics text), scraping
 * `scrapeTargets` (host:port) every 5 s as job "node"; with `basicAuth`, only that user may ask.
 */
export async function startPrometheus(dataDir: string, opts: { history?: string; scrapeTargets?: string[]; basicAuth?: BasicAuthUser } = {}): Promise<Server> {
  fs.mkdirSync(dataDir, { recursive: true });
  if (opts.history) {
    const om = path.join(dataDir, '..', `${path.basename(dataDir)}.om`);
    fs.writeFileSync(om, opts.history);
    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, dataDir], { stdio: 'pipe' });
  }
  const config = path.join(dataDir, '..', `${path.basename(dataDir)}.yml`);
  const targets = opts.scrapeTargets ?? [];
  fs.writeFileSync(
    config,
    `global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\nscrape_configs:\n${
      targets.length ? `  - job_name: node\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n` : '  []\n'
    }`,
  );
  const web = path.join(dataDir, '..', `${path.basename(dataDir)}.web.yml`);
  const auth = opts.basicAuth;
  if (auth) fs.writeFileSync(web, `basic_auth_users:\n  ${auth.user}: '${auth.bcrypt}'\n`);
  return serve(
    'prometheus',
    (port) => [
      ...(auth ? [`--web.config.file=${web}`] : []),
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=30d',
    ],
    '/-/ready',
    auth ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } : {},
  );
}

/**
 * A small fleet's history for backfilling: 6 h, a point a minute, up to `endSec`. On db1:9100
 * mysqld (pid 4242, jemalloc) grows by 1,000 VMAs an hour from 20,000 and redis-server (pid 77)
 * stays at 5,000; on db2:9100 another mysqld 4242 is at 58,000 growing by 300 an hour (past 90 %
 * of the 65,530 limit both hosts have).
 */
export function fleetHistory(endSec: number, minutes = 360) {
  const times = Array.from({ length: minutes + 1 }, (_, k) => endSec - (minutes - k) * 60);
  const db1Mysqld = (t: number) => 20000 + Math.round(((t - times[0]) / 3600) * 1000);
  const db2Mysqld = (t: number) => 58000 + Math.round(((t - times[0]) / 3600) * 300);
  const series = (labels: Record<string, string>, f: (t: number) => number): BackfillSeries => ({ labels, points: times.map((t) => [t, f(t)]) });
  const host = (instance: string) => ({ job: 'node', instance });
  const proc = (instance: string, pid: string, comm: string) => ({ ...host(instance), pid, comm, exe: `/usr/sbin/${comm}`, unit: `${comm}.service` });
  const text = openMetrics({
    process_memory_map_areas: [
      series(proc('db1:9100', '4242', 'mysqld'), db1Mysqld),
      series(proc('db1:9100', '77', 'redis-server'), () => 5000),
      series(proc('db2:9100', '4242', 'mysqld'), db2Mysqld),
    ],
    process_memory_map_areas_limit: [series(host('db1:9100'), () => 65530), series(host('db2:9100'), () => 65530)],
    vma_lens_process_allocator_info: [
      series({ ...host('db1:9100'), pid: '4242', comm: 'mysqld', allocator: 'jemalloc', evidence: 'libjemalloc.so.2 is mapped' }, () => 1),
      series({ ...host('db1:9100'), pid: '77', comm: 'redis-server', allocator: 'jemalloc', evidence: 'libjemalloc.so.2 is mapped' }, () => 1),
      series(
        { ...host('db2:9100'), pid: '4242', comm: 'mysqld', allocator: 'glibc', evidence: 'no jemalloc, tcmalloc or mimalloc library is mapped' },
        () => 1,
      ),
    ],
  });
  return { text, times, db1Mysqld, db2Mysqld };
}
