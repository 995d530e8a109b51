import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CaptureError } from '../../src/capture';
import { listDumpFiles } from '../../src/node/dumpFile';
import { CaptureStore, readWatchIndex, watchFolderName } from '../../src/timeline/captureStore';
import { backoffDelay, classifyFailure, WatchSession, type Clock, type WatchStatus } from '../../src/timeline/watch';
import { isWebviewMessage, MessageType } from '../../src/protocol';

/** A clock the test moves by hand. */
class FakeClock implements Clock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.id, { at: this.t + ms, fn });
    return this.id;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function session(clock: FakeClock, sample: (signal: AbortSignal) => Promise<void>) {
  const statuses: WatchStatus[] = [];
  const s = new WatchSession({ intervalMs: 10_000, sample, onStatus: (st) => statuses.push(st), what: 'process 42', clock });
  return { s, statuses };
}

const tmp = mkdtempSync(join(tmpdir(), 'vma-lens-watch-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('live watch session', () => {
  it('samples at once and then every interval, from the start of one capture to the next', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const { s } = session(clock, async () => {
      times.push(clock.now());
      clock.t += 3000; // the capture takes 3 s
    });
    s.start();
    await clock.advance(35_000);
    assert.deepEqual(
      times.map((t) => t - 1_000_000),
      [0, 10_000, 20_000, 30_000],
    );
    assert.equal(s.sampleCount, 4);
    assert.equal(s.state, 'running');
  });

  it('pauses and resumes, and stops with nothing left pending', async () => {
    const clock = new FakeClock();
    let n = 0;
    const { s, statuses } = session(clock, async () => void n++);
    s.start();
    await clock.advance(1000);
    s.pause();
    assert.equal(s.state, 'paused');
    assert.equal(clock.pending, 0);
    await clock.advance(60_000);
    assert.equal(n, 1, 'no sample while paused');
    s.resume();
    await clock.advance(1000);
    assert.equal(n, 2, 'resume samples at once');
    s.stop();
    assert.equal(s.state, 'stopped');
    assert.equal(s.hasPendingWork, false);
    await clock.advance(60_000);
    assert.equal(n, 2);
    assert.deepEqual([...new Set(statuses.map((x) => x.state))], ['running', 'paused', 'stopped']);
    assert.equal(await s.ended, 'stopped');
  });

  it('stops with a message and keeps what it has when the process exits', async () => {
    const clock = new FakeClock();
    let n = 0;
    const { s, statuses } = session(clock, async () => {
      if (++n === 3) throw new CaptureError('no-process', 'There is no process 42 (it may have exited).');
    });
    s.start();
    await clock.advance(30_000);
    assert.equal(s.state, 'exited');
    assert.equal(s.sampleCount, 2);
    assert.equal(clock.pending, 0);
    const last = statuses[statuses.length - 1];
    assert.match(last.message, /^Process 42 exited; the watch stopped after 2 samples\./);
    assert.equal(last.canRestart, true);
  });

  it('retries a dropped SSH connection with exponential backoff, visibly, and recovers', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    let fail = 0;
    const { s, statuses } = session(clock, async () => {
      at.push(clock.now() - 1_000_000);
      if (at.length >= 2 && fail < 4) {
        fail++;
        throw new CaptureError('ssh', 'ssh to db1 failed: Connection refused.');
      }
    });
    s.start();
    await clock.advance(60_000);
    // 0 ok, 10 s fail, then +2 s, +4 s, +8 s fail, +16 s ok, then every 10 s again.
    assert.deepEqual(at.slice(0, 7), [0, 10_000, 12_000, 16_000, 24_000, 40_000, 50_000]);
    const retrying = statuses.filter((x) => x.state === 'retrying');
    assert.deepEqual(
      retrying.map((x) => x.attempt),
      [1, 2, 3, 4],
    );
    assert.match(retrying[0].message, /Connection refused\. Retrying in 2 s \(attempt 1\)\./);
    assert.equal(retrying[2].nextAt! - 1_000_000, 24_000);
    assert.equal(s.state, 'running');
    assert.ok(statuses.some((x) => /^Reconnected/.test(x.message)));
    assert.equal(backoffDelay(10), 60_000, 'backoff is capped');
  });

  it('gives up at once on a failure that waiting will not fix', async () => {
    const clock = new FakeClock();
    const { s, statuses } = session(clock, async () => {
      throw new CaptureError('permission', 'Permission denied reading the memory map of process 42.');
    });
    s.start();
    await clock.advance(1000);
    assert.equal(s.state, 'failed');
    assert.equal(statuses[statuses.length - 1].canRestart, false);
    assert.equal(clock.pending, 0);
    assert.equal(classifyFailure(new CaptureError('timeout', 'x')), 'retry');
    assert.equal(classifyFailure(new CaptureError('sudo', 'x')), 'fatal');
    assert.equal(classifyFailure(new Error('EIO')), 'retry');
  });

  it('closing the panel (dispose) clears the timer and cancels the capture in flight', async () => {
    const clock = new FakeClock();
    let aborted = false;
    let calls = 0;
    const { s, statuses } = session(
      clock,
      (signal) =>
        new Promise((resolve) => {
          calls++;
          if (calls === 1) return resolve();
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    );
    s.start();
    await clock.advance(10_000); // first sample done, second one in flight
    assert.equal(calls, 2);
    assert.equal(s.hasPendingWork, true);
    const before = statuses.length;
    s.dispose();
    await settle();
    assert.equal(aborted, true);
    assert.equal(s.hasPendingWork, false);
    assert.equal(clock.pending, 0);
    await clock.advance(120_000);
    assert.equal(calls, 2, 'nothing runs after dispose');
    assert.equal(statuses.length, before + 1, 'one last "stopped" status, then silence');
    assert.equal(statuses[statuses.length - 1].state, 'stopped');
  });
});

describe('capture folder of a watch', () => {
  it('saves every sample with an index that reopens it, in name order', async () => {
    const store = CaptureStore.create(tmp, { pid: 42, command: '/usr/sbin/mariadbd --user=mysql' }, 10, new Date('2026-11-22T10:00:00Z'));
    assert.match(store.folder, /local-42-mariadbd-20261122T100000Z$/);
    const p1 = await store.save('# time: 2026-11-22T10:00:00Z\n', 'mariadbd-42-20261122T100000Z.maps', { time: '2026-11-22T10:00:00Z', vmaCount: 10 });
    const p2 = await store.save('# time: 2026-11-22T10:00:10Z\n', 'mariadbd-42-20261122T100010Z.maps', { time: '2026-11-22T10:00:10Z', vmaCount: 12 });
    assert.match(p1, /00001-mariadbd-42-20261122T100000Z\.maps$/);
    assert.match(p2, /00002-/);
    await store.end('exited: gone');
    const idx = readWatchIndex(store.folder)!;
    assert.equal(idx.target.pid, 42);
    assert.equal(idx.samples.length, 2);
    assert.equal(idx.samples[1].vmaCount, 12);
    assert.equal(idx.endReason, 'exited: gone');
    assert.deepEqual(listDumpFiles(store.folder).sort(), [p1, p2], 'the samples are dump files of the folder; the index is not');
    assert.ok(!existsSync(join(store.folder, 'index.json.tmp')));
    // Continue the same watch later.
    const again = CaptureStore.reopen(store.folder, 5)!;
    assert.equal(again.count, 2);
    const p3 = await again.save('x', 'x.maps', { vmaCount: 1 });
    assert.match(p3, /00003-x\.maps$/);
    assert.equal(readWatchIndex(store.folder)!.ended, undefined);
    assert.equal(watchFolderName({ host: 'db1.example.com', pid: 7 }, new Date('2026-01-02T03:04:05.678Z')), 'db1.example.com-7-20260102T030405Z');
    writeFileSync(join(tmp, 'index.json'), '{"format":"other"}');
    assert.equal(readWatchIndex(tmp), undefined);
  });
});

describe('live watch interval, changed from the panel', () => {
  it('takes the next sample the new interval after the last one started, and says so', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const { s, statuses } = session(clock, async () => {
      times.push(clock.now());
    });
    s.start();
    await clock.advance(10_000);
    assert.deepEqual(
      times.map((t) => t - 1_000_000),
      [0, 10_000],
    );
    await clock.advance(1000);
    s.setInterval(2000); // 1 s after the last start: the next is 1 s away
    assert.equal(statuses[statuses.length - 1].intervalMs, 2000);
    assert.equal(statuses[statuses.length - 1].message, 'Watching process 42 every 2 s.');
    await clock.advance(5000);
    assert.deepEqual(
      times.map((t) => t - 1_000_000),
      [0, 10_000, 12_000, 14_000, 16_000],
    );
    s.setInterval(60_000);
    await clock.advance(59_000);
    assert.equal(times.length, 5, 'nothing before a minute after the last start');
    await clock.advance(2000);
    assert.equal(times.length, 6);
    s.dispose();
    assert.equal(clock.pending, 0);
  });

  it('the webview may ask for 0.2 s to a day, nothing else', () => {
    assert.equal(isWebviewMessage({ type: MessageType.WatchInterval, seconds: 5 }), true);
    for (const seconds of [0.1, 0, -1, 86_401, NaN, '5']) assert.equal(isWebviewMessage({ type: MessageType.WatchInterval, seconds }), false, String(seconds));
  });
});

describe('where a watch saves', () => {
  it("the workspace's .vma-lens/ folder ignores itself: git status stays clean", () => {
    const ws = mkdtempSync(join(tmpdir(), 'vma-lens-ws-'));
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', ws, ...args], { encoding: 'utf8' });
      git('init', '-q');
      writeFileSync(join(ws, 'notes.txt'), 'project file\n');
      git('add', 'notes.txt');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start');
      const base = CaptureStore.workspaceBase(ws);
      assert.equal(base, join(ws, '.vma-lens', 'captures'));
      const store = CaptureStore.create(base, { pid: 42, command: '/usr/sbin/mariadbd' }, 10);
      writeFileSync(join(store.folder, 'sample.maps'), '55d0c0000000-55d0c0001000 r--p 00000000 fd:00 1 /usr/sbin/mariadbd\n');
      assert.equal(git('status', '--porcelain', '--untracked-files=all'), '');
      assert.equal(CaptureStore.workspaceBase(ws), base, 'a second watch reuses it');
      assert.match(readFileSync(join(ws, '.vma-lens', '.gitignore'), 'utf8'), /^\*$/m);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
