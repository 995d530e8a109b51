/**
 * readDumpSync (src/node/dumpFile.ts) reads every byte straight into the parser's window whatever
 * the file's size, stops early only on a file that gave its stated size, and reads /proc files
 * (size 0, a page per read) to their end; readDump (the extension host's) reads the same files
 * to the same Dump, giving the event loop its turn every 16 MiB; a string (an open document) encoded window by window into the
 * kernel gives the Dump its UTF-8 bytes give, whatever characters straddle the windows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Dump } from '../../src/core/dump';
import { parseDump } from '../../src/core/parse';
import { readDump, readDumpSync } from '../../src/node/dumpFile';

const LINE = '7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n';

describe('readDumpSync', () => {
  it('reads files just under, at and over the read buffer whole, one after another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-read-'));
    try {
      const mib = 1 << 20;
      for (const bytes of [LINE.length, mib - 7, mib, mib + 1, 3 * mib + 5]) {
        const lines = Math.ceil(bytes / LINE.length);
        // The last line cut short to hit the size: a malformed line, or a whole one.
        const text = LINE.repeat(lines).slice(0, bytes);
        const file = join(dir, `${bytes}.maps`);
        writeFileSync(file, text);
        const d = readDumpSync(file);
        const whole = text.split('\n').filter((l) => l.length === LINE.length - 1).length;
        assert.equal(d.count, whole, `${bytes} bytes`);
        assert.equal(d.lineCount, lines, `${bytes} bytes: lines`);
        d.release();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads straight into the parser across a line longer than several reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-read-'));
    try {
      const file = join(dir, 'long.maps');
      writeFileSync(file, LINE.repeat(30000) + 'x'.repeat(3 << 20) + '\n' + LINE.repeat(30000));
      const d = readDumpSync(file);
      assert.equal(d.count, 60000);
      assert.equal(d.malformedCount, 1);
      assert.equal(d.malformed[0].line, 30001);
      assert.match(d.malformed[0].reason, /longer than 64 KiB/);
      assert.equal(d.line[59999], 60001);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a /proc file (stated size 0, short reads) to its end', () => {
    const d = readDumpSync('/proc/self/maps');
    const lines = readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length;
    // Parsing maps memory: this process's maps may differ by a few lines between the two reads.
    assert.ok(Math.abs(d.count - lines) < 10, `${d.count} VMAs read, ${lines} lines`);
    assert.ok(d.count > 10);
  });
});

/** What a test can compare of two Dumps: counts, lines, names, and every VMA's row. */
function summary(d: Dump): unknown {
  const rows = [];
  for (let i = 0; i < d.count; i++) rows.push(d.vma(i));
  return { count: d.count, lineCount: d.lineCount, format: d.format, names: d.names, malformed: d.malformed, rows };
}

describe('readDump', () => {
  it('reads a file to the Dump readDumpSync makes, pausing every 16 MiB for the event loop, and a /proc file to its end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-read-'));
    try {
      for (const bytes of [LINE.length, (1 << 20) + 1, 3 * (1 << 20) + 5]) {
        const file = join(dir, `${bytes}.maps`);
        writeFileSync(file, LINE.repeat(Math.ceil(bytes / LINE.length)).slice(0, bytes));
        const progress: number[] = [];
        const d = await readDump(file, { onProgress: (p) => progress.push(p.bytes) });
        assert.deepEqual(summary(d), summary(readDumpSync(file)), `${bytes} bytes`);
        assert.deepEqual(progress, [bytes], `${bytes} bytes: read without a pause, reported once`);
      }
      // A large file: the event loop gets its turn every 16 MiB (progress shown, cancellation heard).
      const big = join(dir, 'big.maps');
      writeFileSync(big, LINE.repeat(Math.ceil((40 << 20) / LINE.length)));
      const progress: number[] = [];
      let turns = 0;
      const timer = setInterval(() => turns++, 0);
      const d = await readDump(big, { onProgress: (p) => progress.push(p.bytes) });
      clearInterval(timer);
      assert.equal(d.count, Math.ceil((40 << 20) / LINE.length));
      assert.equal(progress.length, 3, `progress at ${progress.join(', ')}`);
      assert.ok(turns >= 1, 'other tasks ran while the file was read');
      const abort = new AbortController();
      const cancelled = readDump(big, { signal: abort.signal, onProgress: () => abort.abort() });
      await assert.rejects(cancelled, /cancelled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const d = await readDump('/proc/self/maps');
    const lines = readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length;
    assert.ok(d.count > 10 && Math.abs(d.count - lines) < 10, `${d.count} VMAs read, ${lines} lines`);
  });
});

describe('parseDump of a string', () => {
  it('gives the Dump of its UTF-8 bytes, with multi-byte names and surrogate pairs across every window edge', () => {
    const named = (k: number, name: string) =>
      `${(0x7f0000000000 + k * 8192).toString(16)}-${(0x7f0000001000 + k * 8192).toString(16)} r--p 00000000 08:01 ${k} /opt/${name}\n`;
    const names = ['plain.so', 'caf\u00e9.so', '\u6570\u636e.so', '\u{1f600}\u{1f4be}.so', 'x\u{10ffff}\u00e9\u{1f600}'];
    // Enough lines for several windows; the offsets shift by one unit so that, over the runs,
    // a window edge falls inside and around every kind of character.
    for (let shift = 0; shift < 4; shift++) {
      const lines = ['#'.repeat(shift + 1)];
      for (let k = 0; k < 60000; k++) lines.push(named(k, names[k % names.length]).trimEnd());
      const text = lines.join('\n') + '\n';
      const fromString = parseDump(text);
      const fromBytes = parseDump(Buffer.from(text, 'utf8'));
      assert.equal(fromString.count, 60000);
      assert.deepEqual(summary(fromString), summary(fromBytes), `shift ${shift}`);
      assert.deepEqual([...fromString.names].sort(), names.map((n) => `/opt/${n}`).sort());
      fromString.release();
      fromBytes.release();
    }
  });
});
