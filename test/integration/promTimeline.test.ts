/**
 * `vma-lens timeline --prometheus` against a real Prometheus (Debian's 2.42) whose history was
 * backfilled with `promtool tsdb create-blocks-from openmetrics`: the samples are the values
 * written, the limit is the host's, the JSON has the shape of `timeline DIR --json`, and every way
 * the server can fail gives one clear message. The Grafana dashboard's queries run on it too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/net';
import { fleetHistory, startNodeExporter, startPrometheus, TEST_USER, type Server } from '../helpers/prometheus';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-promtl-'));

async function run(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

/** History: the last 6 h, one point a minute, ending a minute ago. */
const END = Math.floor(Date.now() / 60000) * 60 - 60;
const { text: HISTORY, times, db1Mysqld } = fleetHistory(END);

let prom: Server;
let nodeExporter: Server;

before(async () => {
  if (!fs.existsSync(cli)) await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root });
  prom = await startPrometheus(path.join(tmp, 'data'), { history: HISTORY });
  nodeExporter = await startNodeExporter(tmp);
});

after(async () => {
  await Promise.all([prom?.stop(), nodeExporter?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const DB1 = 'process_memory_map_areas{instance="db1:9100",pid="4242"}';

describe('vma-lens timeline --prometheus', () => {
  it('reads the history of one process: the values written, the host limit, the allocator, and the forecast', async () => {
    const r = await run(['timeline', '--prometheus', prom.url, DB1, '--since', '6h', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.series.comm, 'mysqld');
    assert.equal(j.limitSource, 'prometheus');
    assert.ok(j.samples.length >= 300 && j.samples.length <= 362, `${j.samples.length} samples`);
    for (const s of j.samples) {
      const t = s.time / 1000;
      // query_range steps need not fall on the written minutes: the value is the latest point at or before t.
      const written = times.filter((w) => w <= t).at(-1)!;
      assert.equal(s.vmaCount, db1Mysqld(written), `at ${s.label}`);
      assert.equal(s.maxMapCount, 65530);
      assert.equal(s.allocator, 'jemalloc');
    }
    // Within 6 %: the query_range steps sample the once-a-minute writes as a staircase, and the step
    // at "now" repeats the last point written; over the 20 fitted samples that moves the slope by a
    // few percent depending on where "now" falls in the minute (958/h was seen in a loaded run).
    assert.ok(Math.abs(j.forecast.ratePerHour - 1000) < 60, `rate ${j.forecast.ratePerHour}`);
    const last = j.samples.at(-1);
    const etaH = (65530 - last.vmaCount) / 1000;
    assert.ok(Math.abs(j.forecast.etaMs / 3600000 - etaH) / etaH < 0.07, `eta ${j.forecast.etaMs / 3600000} h vs ${etaH} h`);
  });

  it('has the shape of `timeline DIR --json`: samples and forecast with the same keys', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'dumps-'));
    // Three captures of one growing process a minute apart: a folder that forecasts, like the Prometheus series.
    for (let k = 0; k < 3; k++) {
      const lines = Array.from(
        { length: 100 + 50 * k },
        (_, i) =>
          `7f${(0x1000000 + 2 * i).toString(16).padStart(8, '0')}000-7f${(0x1000000 + 2 * i + 1).toString(16).padStart(8, '0')}000 rw-p 00000000 00:00 0 `,
      );
      const time = new Date(Date.UTC(2026, 10, 22, 1, k)).toISOString();
      fs.writeFileSync(
        path.join(dir, `s${k}.maps`),
        `# pid: 4242\n# command: /usr/sbin/mariadbd\n# time: ${time}\n# max_map_count: 65530\n${lines.join('\n')}\n`,
      );
    }
    const folder = JSON.parse((await run(['timeline', '--json', dir])).out);
    const prom1 = JSON.parse((await run(['timeline', '--prometheus', prom.url, DB1, '--since', '1h', '--json'])).out);
    // rss/pss/time only where a dump has them, mtime only for files.
    const keys = (o: object) =>
      Object.keys(o)
        .filter((k) => !['rss', 'pss', 'time', 'mtime'].includes(k))
        .sort();
    assert.deepEqual(keys(prom1.samples[0]), keys(folder.samples[0]));
    assert.ok(prom1.forecast && folder.forecast, 'both forecast');
    assert.deepEqual(
      Object.keys(prom1.forecast)
        .filter((k) => k !== 'etaMs' && k !== 'reachAt')
        .sort(),
      Object.keys(folder.forecast)
        .filter((k) => k !== 'etaMs' && k !== 'reachAt')
        .sort(),
    );
    assert.ok(prom1.samples.every((s: { time: number }) => typeof s.time === 'number'));
  });

  it('exit 1 when a sample is past 90 % of the limit; the table names the source', async () => {
    const r = await run(['timeline', '--prometheus', prom.url, 'process_memory_map_areas{instance="db2:9100"}', '--since', '30m']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /VMA Lens timeline — process_memory_map_areas\{instance="db2:9100"\} at http/);
    assert.match(r.out, /error vma-limit/);
  });

  it('one clear message each: several series, none, a bad query, down, slow, not Prometheus, bad URL', async () => {
    const hung = net.createServer(() => {}); // accepts and never answers: a server too slow to wait for (a real one cannot be made hang on demand)
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    const hungUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    try {
      const cases: Array<[string[], RegExp]> = [
        [
          ['--prometheus', prom.url, 'process_memory_map_areas{pid="4242"}'],
          /matches 2 series \(mysqld pid 4242 on db1:9100; mysqld pid 4242 on db2:9100\): narrow it/,
        ],
        [
          ['--prometheus', prom.url, 'process_memory_map_areas{pid="99999"}'],
          /^vma-lens: no series matches process_memory_map_areas\{pid="99999"\} at http\S+ in the last 6 h\n$/,
        ],
        [['--prometheus', prom.url, 'process_memory_map_areas{'], /rejected the query \(bad_data\): .*parse error/],
        [['--prometheus', downUrl, DB1], /^vma-lens: cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+: connection refused/],
        [['--prometheus', hungUrl, DB1, '--timeout', '1s'], /^vma-lens: Prometheus at http:\/\/127\.0\.0\.1:\d+ did not answer within 1 s\n$/],
        [['--prometheus', nodeExporter.url, DB1], /did not answer like the Prometheus API \(HTTP \d+/],
        [['--prometheus', 'file:///etc/passwd', DB1], /is not an http\(s\) URL/],
        [['--prometheus', prom.url, DB1, '--since', 'yesterday'], /--since takes a duration/],
      ];
      for (const [args, msg] of cases) {
        const r = await run(['timeline', ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
        assert.match(r.err, msg);
        assert.equal(r.err.trim().split('\n').length <= (msg.source.includes('--since') ? 20 : 1), true, r.err);
        assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
      }
    } finally {
      hung.close();
    }
  });

  it('basic auth from the environment against a Prometheus that requires it; a refusal says so', async () => {
    const locked = await startPrometheus(path.join(tmp, 'locked'), { history: HISTORY, basicAuth: TEST_USER });
    try {
      const args = ['timeline', '--prometheus', locked.url, DB1, '--since', '10m', '--json'];
      const none = await run(args);
      assert.equal(none.code, 2);
      assert.match(none.err, /^vma-lens: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/);
      const wrong = await run(args, { VMA_LENS_PROMETHEUS_USER: TEST_USER.user, VMA_LENS_PROMETHEUS_PASSWORD: 'nope' });
      assert.match(wrong.err, /refused the credentials \(HTTP 401\)/);
      const ok = await run(args, { VMA_LENS_PROMETHEUS_USER: TEST_USER.user, VMA_LENS_PROMETHEUS_PASSWORD: TEST_USER.password });
      assert.equal(ok.code, 0, ok.err);
      assert.equal(JSON.parse(ok.out).series.comm, 'mysqld');
      assert.doesNotMatch(ok.out + ok.err, new RegExp(TEST_USER.password));
    } finally {
      await locked.stop();
    }
  });

  it('sends a bearer token from the environment, never from the command line', async () => {
    // Prometheus itself ignores an Authorization header it does not require: the answer is the same.
    const r = await run(['timeline', '--prometheus', prom.url, DB1, '--since', '10m', '--json'], { VMA_LENS_PROMETHEUS_TOKEN: 't0ken' });
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /t0ken/);
  });
});

describe('Grafana dashboard', () => {
  it('is valid JSON whose every query the real Prometheus accepts and answers', async () => {
    const dash = JSON.parse(fs.readFileSync(path.join(root, 'deploy', 'grafana', 'vma-lens-dashboard.json'), 'utf8'));
    const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    assert.ok(exprs.length >= 5);
    for (const e of exprs) {
      const q = e.replace(/\$instance/g, '.*').replace(/\$pid/g, '.*');
      const res = await (await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(END) })}`)).json();
      assert.equal(res.status, 'success', `${q}: ${JSON.stringify(res)}`);
      assert.ok(res.data.result.length > 0, `${q} answers something`);
    }
    assert.ok(exprs.some((e) => e.startsWith('predict_linear(process_memory_map_areas')));
  });
});

describe('the fleet from the latest scrape', () => {
  it('ranks every process by its share of its host limit, with allocator and growth of the last hour', async () => {
    const { fleetRows } = await import('../../src/prometheus/fleet');
    const fleet = await fleetRows(prom.url);
    assert.equal(fleet.total, 3);
    const rows = fleet.rows.map((r) => [r.instance, r.comm, r.pid, r.vmaCount, r.limit, r.allocator]);
    const { db2Mysqld } = fleetHistory(END);
    assert.deepEqual(rows, [
      ['db2:9100', 'mysqld', '4242', db2Mysqld(END), 65530, 'glibc'],
      ['db1:9100', 'mysqld', '4242', db1Mysqld(END), 65530, 'jemalloc'],
      ['db1:9100', 'redis-server', '77', 5000, 65530, 'jemalloc'],
    ]);
    assert.ok(Math.abs(fleet.rows[0].ratePerHour! - 300) < 3, `${fleet.rows[0].ratePerHour}`);
    assert.ok(Math.abs(fleet.rows[1].ratePerHour! - 1000) < 5, `${fleet.rows[1].ratePerHour}`);
    // (65,530 − 26,000) / 1,000 per hour = 39.5 h
    assert.ok(Math.abs(fleet.rows[1].etaHours! - 39.53) < 0.2, `${fleet.rows[1].etaHours}`);
    assert.equal(fleet.rows[1].forecast, 'limit in 1 d 15 h (+1,000/h)');
    assert.equal(fleet.rows[2].forecast, 'not growing');
    // A row's selector reads back exactly its own series.
    const r = await run(['timeline', '--prometheus', prom.url, fleet.rows[2].selector, '--since', '10m', '--json']);
    assert.equal(JSON.parse(r.out).series.comm, 'redis-server');
  });

  it('an empty Prometheus, or a server that is not one, gives one clear message', async () => {
    const { fleetRows } = await import('../../src/prometheus/fleet');
    await assert.rejects(fleetRows(nodeExporter.url), /did not answer like the Prometheus API/);
    const empty = await startPrometheus(path.join(tmp, 'empty'));
    try {
      await assert.rejects(fleetRows(empty.url), /has no process_memory_map_areas .* is vma-lens metrics writing into node_exporter's textfile directory/);
    } finally {
      await empty.stop();
    }
  });

  it('maps an instance to its SSH host: the setting first, else the instance without its port', async () => {
    const { sshHostOf } = await import('../../src/prometheus/fleet');
    assert.equal(sshHostOf('db1:9100', undefined), 'db1');
    assert.equal(sshHostOf('[::1]:9100', {}), '::1');
    assert.equal(sshHostOf('10.0.0.7:9100', { '10.0.0.7:9100': 'db7' }), 'db7');
    assert.equal(sshHostOf('db1', {}), 'db1');
  });
});
