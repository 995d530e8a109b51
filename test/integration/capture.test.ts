/**
 * The capture module against real processes: the POSIX-sh script run locally and through a
 * private sshd on 127.0.0.1, its header compared with what the test helper (and so the samples)
 * write, its output parsed by the product's parser, the process list, and the error messages.
 *
 * Run: node --import tsx --test test/integration/capture.test.ts   (as root: the sshd logs in as root)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CAPTURE_SCRIPT,
  captureLocal,
  captureRemote,
  CaptureError,
  listLocalProcesses,
  listRemoteProcesses,
  sshHostsFromConfig,
  validatePid,
} from '../../src/capture';
import { explainFailure } from '../../src/capture/capture';
import { analyze } from '../../src/core/analyze';
import { parseDump } from '../../src/core/parse';
import { captureHeaderFields, captureMaps, countVmas, formatCaptureHeader, parseCaptureHeader, startMariadb, withProcess } from '../helpers/realProcess';
import { startSshd, type TestSshd } from '../helpers/sshd';

const isRoot = process.getuid?.() === 0;

/** Header keys in the order they appear. */
const headerKeys = (text: string) => Object.keys(parseCaptureHeader(text));

describe('capture script, locally', () => {
  it('writes the same header keys, in the same order and with the same values, as the test helper', async () => {
    await withProcess({ program: 'threads', args: ['4'], preload: 'jemalloc' }, async (p) => {
      const ours = await captureLocal(p.pid);
      const theirs = formatCaptureHeader(captureHeaderFields(p.pid));
      const helperKeys = headerKeys(theirs);
      const ourKeys = headerKeys(ours.text);
      // Every key the helper writes, in its order; ours adds cpus, rss and pss after them.
      assert.deepEqual(ourKeys.slice(0, helperKeys.length), helperKeys);
      assert.deepEqual(ourKeys.slice(helperKeys.length), ['cpus', 'rss', 'pss']);
      const a = parseCaptureHeader(ours.text);
      const b = parseCaptureHeader(theirs);
      for (const k of helperKeys.filter((k) => k !== 'time')) assert.equal(a[k], b[k], `header ${k}`);
      assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(a.time) - Date.parse(b.time)) < 5000);
    });
  });

  it('gives a dump the product parses: the header fields, the VMAs the kernel counts, the allocator', async () => {
    await withProcess({ program: 'threads', args: ['4'], preload: 'jemalloc' }, async (p) => {
      const c = await captureLocal(p.pid);
      const dump = parseDump(c.text);
      const a = analyze(dump);
      assert.equal(dump.format, 'maps');
      assert.equal(dump.malformedCount, 0);
      assert.equal(dump.header.pid, p.pid);
      assert.equal(dump.header.host, os.hostname());
      assert.equal(dump.header.maxMapCount, Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8')));
      assert.equal(dump.header.hugePageSize, 2 * 1048576);
      assert.equal(dump.header.threads, 5);
      assert.equal(dump.header.cpus, os.availableParallelism());
      assert.ok(dump.header.rss! > 0 && dump.header.pss! > 0, 'rss and pss from smaps_rollup');
      assert.equal(a.vmaCount, countVmas(captureMaps(p.pid)));
      assert.equal(a.allocator.name, 'jemalloc');
      assert.equal(c.pid, p.pid);
      assert.equal(c.host, 'local');
      assert.match(c.fileName, new RegExp(`^threads-${p.pid}-\\d{8}T\\d{6}Z\\.maps$`));
      assert.match(c.command, /threads 4$/);
    });
  });

  it('captures smaps too', async () => {
    await withProcess({ program: 'threads', args: ['2'] }, async (p) => {
      const c = await captureLocal(p.pid, { file: 'smaps' });
      const dump = parseDump(c.text);
      assert.equal(dump.format, 'smaps');
      assert.ok(dump.fields.get('Rss'));
      assert.match(c.fileName, /\.smaps$/);
    });
  });

  it('says when the process does not exist, and refuses a PID that is not a number before running anything', async () => {
    await assert.rejects(captureLocal(4194304), (e: CaptureError) => e.kind === 'no-process' && /no process 4194304/.test(e.message));
    for (const bad of ['12a', '-1', '0', '1; rm -rf /', '$(id)', '', '99999999']) {
      assert.throws(
        () => validatePid(bad),
        (e: CaptureError) => e.kind === 'invalid',
        bad,
      );
      await assert.rejects(captureLocal(bad), (e: CaptureError) => e.kind === 'invalid');
    }
    assert.equal(validatePid(' 42 '), 42);
  });

  it('reports permission denied (exit 4) when another user runs it on a process it cannot read', { skip: !isRoot }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-s', '--', 'capture', '1'], { input: CAPTURE_SCRIPT, encoding: 'utf8' });
    assert.equal(r.status, 4, r.stderr);
    assert.equal(r.stdout, '', 'nothing printed before the check');
    const err = explainFailure({ stdout: '', stderr: r.stderr, code: r.status }, 1, undefined);
    assert.equal(err.kind, 'permission');
    assert.match(err.message, /Permission denied reading the memory map of process 1/);
    assert.match(err.message, /sudo cat \/proc\/1\/maps/);
    const remote = explainFailure({ stdout: '', stderr: r.stderr, code: r.status }, 1, { host: 'db1', sudo: false });
    assert.match(remote.message, /on db1.*Use Sudo/);
  });

  it('lists processes with their VMA counts, a real mariadbd first', async () => {
    const db = await startMariadb();
    try {
      const list = await listLocalProcesses();
      assert.equal(list[0].database, true);
      const me = list.find((p) => p.pid === db.pid);
      assert.ok(me, 'mariadbd listed');
      assert.ok(list.indexOf(me) < list.findIndex((p) => !p.database));
      assert.equal(me.comm, 'mariadbd');
      const actual = countVmas(captureMaps(db.pid, { header: false }));
      assert.ok(Math.abs(me.vmas! - actual) <= 4, `${me.vmas} vs ${actual}`);
      assert.ok(
        list.every((p) => p.cmdline !== 'sh -s -- list'),
        'the script itself is not listed',
      );
      assert.ok(list.some((p) => p.pid === process.pid && p.vmas! > 10));
    } finally {
      await db.stop();
    }
  });
});

describe('capture over SSH (a private sshd on 127.0.0.1)', { skip: !isRoot }, () => {
  let sshd: TestSshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  it('captures a real process with one ssh run; the dump parses with its header', async () => {
    await withProcess({ program: 'threads', args: ['3'], preload: 'tcmalloc' }, async (p) => {
      const c = await captureRemote(sshd.host, p.pid, { configFile: sshd.configFile, connectTimeoutSeconds: 5 });
      const dump = parseDump(c.text);
      const a = analyze(dump);
      assert.equal(dump.header.pid, p.pid);
      assert.equal(dump.header.host, os.hostname());
      assert.equal(a.allocator.name, 'tcmalloc');
      assert.equal(a.vmaCount, countVmas(captureMaps(p.pid)));
      assert.equal(c.host, sshd.host);
    });
  });

  it('runs the script under sudo -n when asked', async () => {
    const c = await captureRemote(sshd.host, process.pid, { configFile: sshd.configFile, sudo: true });
    assert.equal(parseDump(c.text).header.pid, process.pid);
  });

  it('lists the remote processes', async () => {
    const list = await listRemoteProcesses(sshd.host, { configFile: sshd.configFile });
    const me = list.find((p) => p.pid === process.pid);
    assert.ok(me && me.vmas! > 10);
  });

  it("shows ssh's own error when the connection fails", async () => {
    const cfg = path.join(sshd.dir, 'bad_config');
    fs.writeFileSync(cfg, fs.readFileSync(sshd.configFile, 'utf8').replace(/Port \d+/, 'Port 1'));
    await assert.rejects(
      captureRemote(sshd.host, process.pid, { configFile: cfg, connectTimeoutSeconds: 3 }),
      (e: CaptureError) => e.kind === 'ssh' && /^ssh to vmalens-test failed: .*Connection refused/.test(e.message),
    );
    const noKey = path.join(sshd.dir, 'nokey_config');
    fs.writeFileSync(noKey, fs.readFileSync(sshd.configFile, 'utf8').replace(/IdentityFile .*/, `IdentityFile ${sshd.dir}/missing`));
    await assert.rejects(
      captureRemote(sshd.host, process.pid, { configFile: noKey, connectTimeoutSeconds: 3 }),
      (e: CaptureError) => e.kind === 'ssh' && /Permission denied \(publickey\)/.test(e.message),
    );
  });

  it('times out on a server that never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    const cfg = path.join(sshd.dir, 'silent_config');
    fs.writeFileSync(cfg, fs.readFileSync(sshd.configFile, 'utf8').replace(/Port \d+/, `Port ${port}`));
    try {
      const t0 = Date.now();
      await assert.rejects(
        captureRemote(sshd.host, process.pid, { configFile: cfg, connectTimeoutSeconds: 30, timeoutMs: 800 }),
        (e: CaptureError) => e.kind === 'timeout' && /did not finish within 1 s/.test(e.message),
      );
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      silent.close();
    }
  });

  it('reads host aliases from an ssh_config, following Include, skipping patterns', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-sshcfg-'));
    try {
      fs.mkdirSync(path.join(dir, 'conf.d'));
      fs.writeFileSync(path.join(dir, 'conf.d', 'a.conf'), 'Host db2 db3\n  HostName 10.0.0.3\nHost *.internal\n');
      fs.writeFileSync(
        path.join(dir, 'config'),
        `Host db1\n  User root # comment\nHost *\n  ServerAliveInterval 30\nInclude ${dir}/conf.d/*.conf\nHost !bastion db1 "web 1"\n`,
      );
      assert.deepEqual(sshHostsFromConfig(path.join(dir, 'config')), ['db1', 'db2', 'db3', 'web 1']);
      assert.deepEqual(sshHostsFromConfig(sshd.configFile), ['vmalens-test']);
      assert.deepEqual(sshHostsFromConfig(path.join(dir, 'missing')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
