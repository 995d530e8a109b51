/**
 * `vma-lens metrics` against real processes, a real node_exporter and Debian's promtool: the
 * counts are checked against /proc/PID/maps read by the test, the allocator against what the
 * process really loaded, the text format by promtool, the serving by node_exporter's textfile collector.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startNodeExporter, underStableLimit, type Server } from '../helpers/prometheus';
import { countVmas, startProcess, type RealProcess } from '../helpers/realProcess';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-metrics-'));

/** The bundle where another user can read it (the checkout may sit in root's 0700 home). */
function cliForOthers(): string {
  fs.chmodSync(tmp, 0o755); // removed with the rest in after()
  const dir = fs.mkdtempSync(path.join(tmp, 'cli-'));
  fs.chmodSync(dir, 0o755);
  // The launcher, the bundle it runs and its code cache.
  for (const f of ['cli.js', 'cli-main.js', 'cli-main.js.cache']) fs.copyFileSync(path.join(root, 'dist', f), path.join(dir, f));
  return path.join(dir, 'cli.js');
}

function run(args: string[], opts: { uid?: number } = {}) {
  const cmd =
    opts.uid === undefined
      ? [process.execPath, cli, ...args]
      : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', process.execPath, cliForOthers(), ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: '/', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Value of the first sample of `name` whose labels include all of `want`. */
function sample(text: string, name: string, want: Record<string, string>): { labels: Record<string, string>; value: number } | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) return { labels, value: Number(m[3]) };
  }
  return undefined;
}

const mapsVmas = (pid: number) => countVmas(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));

let frag: RealProcess;
let jem: RealProcess;
/** One node_exporter for the file, started once: it reads `textfileDir`. */
let ne: Server;
const textfileDir = fs.mkdtempSync(path.join(tmp, 'textfile-'));

before(async () => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  frag = startProcess({ program: 'fragmenter', args: ['--target', '3000'] });
  jem = startProcess({ program: 'fragmenter', args: ['--target', '200'], preload: 'jemalloc' });
  [ne] = await Promise.all([startNodeExporter(textfileDir), frag.ready, jem.ready]);
});

after(async () => {
  await Promise.all([frag?.stop(), jem?.stop(), ne?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vma-lens metrics', () => {
  it('counts the VMAs of a live process as its maps lines without [vsyscall], with the limit of this host', () => {
    const truth = mapsVmas(frag.pid);
    assert.equal(Number(frag.result()!.vmas), truth, 'the fixture and /proc agree');
    assert.ok(truth >= 3000);
    const { value: r, limit } = underStableLimit(() => run(['metrics', '--pid', String(frag.pid)]));
    assert.equal(r.code, 0, r.err);
    const s = sample(r.out, 'process_memory_map_areas', { pid: String(frag.pid) });
    assert.equal(s?.value, truth);
    assert.equal(s?.labels.comm, 'fragmenter');
    assert.equal(s?.labels.exe, fs.readlinkSync(`/proc/${frag.pid}/exe`));
    assert.match(r.out, new RegExp(`^process_memory_map_areas_limit ${limit}$`, 'm'));
    assert.match(r.out, /^vma_lens_scrape_duration_seconds \d/m);
  });

  it('names the allocator from what the process mapped: jemalloc preloaded, glibc without, go for a Go binary', async () => {
    const maps = fs.readFileSync(`/proc/${jem.pid}/maps`, 'utf8');
    assert.match(maps, /libjemalloc\.so\.2/, 'jemalloc is really loaded');
    // node_exporter is Go: the truth is the binary's .go.buildinfo section.
    assert.match(execFileSync('readelf', ['-S', fs.readlinkSync(`/proc/${ne.proc.pid}/exe`)], { encoding: 'utf8' }), /\.go\.buildinfo/);
    const r = run(['metrics', '--pid', String(jem.pid), String(frag.pid), String(ne.proc.pid)]);
    assert.equal(r.code, 0, r.err);
    assert.equal(sample(r.out, 'vma_lens_process_allocator_info', { pid: String(jem.pid) })?.labels.allocator, 'jemalloc');
    assert.match(sample(r.out, 'vma_lens_process_allocator_info', { pid: String(jem.pid) })!.labels.evidence, /libjemalloc\.so\.2 is mapped/);
    assert.doesNotMatch(fs.readFileSync(`/proc/${frag.pid}/maps`, 'utf8'), /lib(je|tc|mi)malloc/);
    assert.equal(sample(r.out, 'vma_lens_process_allocator_info', { pid: String(frag.pid) })?.labels.allocator, 'glibc');
    assert.equal(sample(r.out, 'vma_lens_process_allocator_info', { pid: String(ne.proc.pid) })?.labels.allocator, 'go');
  });

  it('scans every process it may read; promtool check metrics accepts the output', () => {
    const r = run(['metrics']);
    assert.equal(r.code, 0, r.err);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: r.out, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.equal(sample(r.out, 'process_memory_map_areas', { pid: String(frag.pid) })?.value, mapsVmas(frag.pid));
    assert.equal(sample(r.out, 'process_memory_map_areas', { pid: String(process.pid) })?.labels.comm, 'node');
  });

  it('--match and --top pick processes; a finding shows for a process past 60 % of the limit', () => {
    const { value: r, limit } = underStableLimit(() => run(['metrics', '--match', '^\\S*fragmenter --target 3000', '--top', '5']));
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').filter((l) => l.startsWith('process_memory_map_areas{'));
    assert.equal(lines.length, 1, r.out);
    assert.equal(sample(r.out, 'process_memory_map_areas', {})?.labels.pid, String(frag.pid));
    const top = run(['metrics', '--top', '1'])
      .out.split('\n')
      .filter((l) => l.startsWith('process_memory_map_areas{'));
    assert.equal(top.length, 1);
    assert.ok(Number(top[0].split(' ').pop()) >= mapsVmas(frag.pid), 'the largest process is first');
    // The vma-limit finding follows the share of this host's limit (warning from 60 %).
    const ratio = mapsVmas(frag.pid) / limit;
    const f = sample(r.out, 'vma_lens_finding', { pid: String(frag.pid), id: 'vma-limit' });
    assert.equal(f !== undefined, ratio >= 0.6);
  });

  it('skips and counts processes that vanished or deny access, never failing', async () => {
    const gone = startProcess({ cmd: 'true' });
    await gone.exited;
    const r = run(['metrics', '--pid', String(gone.pid), String(frag.pid)]);
    assert.equal(r.code, 0, r.err);
    assert.equal(sample(r.out, 'vma_lens_scrape_errors_total', { reason: 'vanished' })?.value, 1);
    assert.equal(sample(r.out, 'process_memory_map_areas', { pid: String(frag.pid) })?.value, mapsVmas(frag.pid));
    // As nobody, a root process's maps are closed (ptrace access check).
    const denied = run(['metrics', '--pid', String(frag.pid)], { uid: 65534 });
    assert.equal(denied.code, 0, denied.err);
    assert.equal(sample(denied.out, 'vma_lens_scrape_errors_total', { reason: 'denied' })?.value, 1);
    assert.equal(sample(denied.out, 'process_memory_map_areas', { pid: String(frag.pid) }), undefined);
  });

  it('--output writes atomically, counts errors up across runs, and a real node_exporter serves the file', async () => {
    const dir = textfileDir;
    const out = path.join(dir, 'vma_lens.prom');
    const gone = startProcess({ cmd: 'true' });
    await gone.exited;
    let runs = 0;
    const write = () => (runs++, run(['metrics', '--pid', String(frag.pid), String(gone.pid), '--output', out]).code);
    assert.equal(write(), 0);
    const { value: code, limit } = underStableLimit(write);
    assert.equal(code, 0);
    assert.deepEqual(fs.readdirSync(dir), ['vma_lens.prom'], 'no temporary file left');
    // Each run counted the vanished PID once more.
    assert.equal(sample(fs.readFileSync(out, 'utf8'), 'vma_lens_scrape_errors_total', { reason: 'vanished' })?.value, runs);
    const text = await (await fetch(`${ne.url}/metrics`)).text();
    assert.match(text, /^node_textfile_scrape_error 0$/m, 'node_exporter read the file without error');
    assert.equal(sample(text, 'process_memory_map_areas', { pid: String(frag.pid) })?.value, mapsVmas(frag.pid));
    assert.match(text, new RegExp(`^process_memory_map_areas_limit ${limit}$`, 'm'));
  });

  it('hostile arguments get one clear message and exit 2, writing nothing', () => {
    const out = path.join(tmp, 'never.prom');
    for (const [args, msg] of [
      [['--pid', 'abc'], /--pid takes process IDs/],
      [['--pid'], /--pid needs at least one PID/],
      [['--match', '('], /--match: not a regular expression/],
      [['--top', '0'], /--top takes a positive whole number/],
      [['--output', path.join(tmp, 'x.txt')], /must name a \*\.prom file/],
      [['--output', path.join(tmp, 'no', 'such', 'dir', 'v.prom')], /does not exist/],
      [['--bogus'], /unknown option --bogus/],
    ] as const) {
      const r = run(['metrics', ...args, ...(args[0] === '--output' ? [] : ['--output', out])]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
      assert.match(r.err, msg);
      assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
    }
    assert.equal(fs.existsSync(out), false);
  });
});

describe('installing it: systemd units and alert rules', () => {
  it('--print-rules is the repository rules file; promtool checks it and its unit tests (incl. the forecast rule) pass', () => {
    const rulesFile = path.join(root, 'deploy', 'prometheus', 'vma-lens-rules.yml');
    assert.equal(run(['metrics', '--print-rules']).out, fs.readFileSync(rulesFile, 'utf8'));
    const check = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /SUCCESS: 2 rules found/);
    const test = spawnSync('promtool', ['test', 'rules', path.join(root, 'deploy', 'prometheus', 'vma-lens-rules.test.yml')], { encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(fs.readFileSync(rulesFile, 'utf8'), /predict_linear\(process_memory_map_areas\[1h\], 4 \* 3600\)/);
  });

  it('--print-systemd prints a service and a minute timer that systemd-analyze verify accepts', () => {
    const out = path.join(tmp, 'tf', 'vma_lens.prom');
    const r = run(['metrics', '--print-systemd', '--output', out, '--top', '50']);
    assert.equal(r.code, 0, r.err);
    const units = fs.mkdtempSync(path.join(tmp, 'units-'));
    const files = r.out.split(/^# \/etc\/systemd\/system\//m).slice(1);
    assert.equal(files.length, 2);
    for (const f of files) {
      const name = f.slice(0, f.indexOf('\n'));
      fs.writeFileSync(path.join(units, name), f.slice(f.indexOf('\n') + 1).replace(/^# Install:[\s\S]*$/m, ''));
    }
    const service = fs.readFileSync(path.join(units, 'vma-lens-metrics.service'), 'utf8');
    for (const line of ['Type=oneshot', 'Nice=19', 'IOSchedulingClass=idle', 'ProtectSystem=strict', `ReadWritePaths=${path.dirname(out)}`]) {
      assert.ok(service.includes(`\n${line}\n`), line);
    }
    assert.match(service, new RegExp(`^ExecStart=${process.execPath} \\S+cli\\.js metrics --output ${out} --top 50$`, 'm'));
    assert.match(fs.readFileSync(path.join(units, 'vma-lens-metrics.timer'), 'utf8'), /^OnUnitActiveSec=1min$/m);
    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', ...['service', 'timer'].map((k) => path.join(units, `vma-lens-metrics.${k}`))], {
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, verify.stderr);
    assert.doesNotMatch(verify.stderr, /vma-lens-metrics\.(service|timer):\d+/, 'no complaint about a line of our units');
  });
});

describe('pure parts of the metrics', () => {
  it('the systemd unit of a cgroup v2 path; none outside a service or scope', async () => {
    const { unitOfCgroup } = await import('../../src/node/procScan');
    assert.equal(unitOfCgroup('0::/system.slice/postgresql@15-main.service\n'), 'postgresql@15-main.service');
    assert.equal(unitOfCgroup('0::/user.slice/user-1000.slice/session-3.scope\n'), 'session-3.scope');
    assert.equal(unitOfCgroup('0::/\n'), '');
    assert.equal(unitOfCgroup('12:pids:/docker/abc\n'), '');
  });

  it('label values are escaped; error totals are read back from an earlier file', async () => {
    const { renderMetrics, previousErrorTotals } = await import('../../src/core/promText');
    const text = renderMetrics({
      processes: [
        {
          pid: 7,
          comm: 'a"b\\c\nd',
          exe: '/x',
          unit: '',
          vmaCount: 3,
          allocator: { name: 'glibc', evidence: 'e' },
          findings: [{ id: 'vma-limit', severity: 'error' }],
        },
      ],
      maxMapCount: 10,
      durationSeconds: 0.5,
      errors: { vanished: 4, denied: 2 },
    });
    assert.match(text, /^process_memory_map_areas\{pid="7",comm="a\\"b\\\\c\\nd",exe="\/x",unit=""\} 3$/m);
    assert.match(text, /^vma_lens_finding\{pid="7",comm="a\\"b\\\\c\\nd",id="vma-limit",severity="error"\} 1$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.deepEqual(previousErrorTotals(text), { vanished: 4, denied: 2 });
    assert.deepEqual(previousErrorTotals('garbage'), { vanished: 0, denied: 0 });
  });
});
