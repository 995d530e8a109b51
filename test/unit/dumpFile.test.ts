/**
 * readDumpSync (src/node/dumpFile.ts) reads every byte straight into the parser's window whatever
 * the file's size, stops early only on a file that gave its stated size, and reads /proc files
 * (size 0, a page per read) to their end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readDumpSync } from '../../src/node/dumpFile';

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
