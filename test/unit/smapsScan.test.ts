/**
 * smaps field lines read by the WebAssembly kernel (kernel.c fieldLine): every value and VmFlags
 * set of a real smaps, as a plain line-by-line reader (below) reads it, whatever shapes the
 * kernel leaves to parse.ts in between (indented lines, tabs after the colon, CRLF, a name past
 * the columns, a field under a rejected line); and the columns sized by the VMAs read, not by the
 * file's size.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_FIELD_COLUMNS } from '../../src/core/dump';
import { parseDump } from '../../src/core/parse';
import { readDumpSync } from '../../src/node/dumpFile';

interface RefVma {
  fields: Record<string, number>;
  flags: string;
}

/** The reference: one regular expression per line kind, no state but the VMA above. */
function reference(text: string): RefVma[] {
  const out: RefVma[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] /.test(line)) out.push({ fields: {}, flags: '' });
    else if (/^\s*VmFlags:/.test(line))
      out[out.length - 1].flags = line
        .replace(/^\s*VmFlags:/, '')
        .trim()
        .replace(/\s+/g, ' ');
    else {
      const m = /^\s*(\w+):[ \t]*(\d+)/.exec(line);
      if (m) out[out.length - 1].fields[m[1]] = Number(m[2]);
    }
  }
  return out;
}

function assertSame(text: string, what: string): void {
  const want = reference(text);
  const d = parseDump(text);
  assert.equal(d.malformedCount, 0, `${what}: ${JSON.stringify(d.malformed[0])}`);
  assert.equal(d.count, want.length, what);
  for (let i = 0; i < d.count; i++) {
    const v = d.vma(i);
    assert.deepEqual(v.smaps ?? {}, want[i].fields, `${what}: VMA ${i} on line ${v.line}`);
    assert.equal((v.vmFlags ?? []).join(' '), want[i].flags, `${what}: VmFlags of VMA ${i}`);
  }
}

/** A real smaps of this process, read before anything parses it (parsing maps memory). */
const real = readFileSync('/proc/self/smaps', 'latin1');

describe('smaps field lines in the kernel', () => {
  it('reads every field and VmFlags set of a real smaps as the reference does', () => {
    assert.ok(reference(real).length > 10);
    assertSame(real, 'as read');
  });

  it('gives the same values when the kernel must hand lines to the parser in between', () => {
    const lines = real.split('\n');
    // Every 7th field line indented, every 5th with tabs after the colon: parse.ts reads the
    // first, the kernel the second; the kernel then goes on with the lines after them.
    const mixed = lines.map((l, k) => (/^[A-Z]\w*:/.test(l) ? (k % 7 === 0 ? '  ' + l : k % 5 === 0 ? l.replace(/:\s+/, ':\t\t') : l) : l)).join('\n');
    assertSame(mixed, 'indented and tabbed');
    assertSame(lines.join('\r\n'), 'CRLF');
  });

  it('keeps names past the columns sparse, and fields under a rejected line out of the VMA above', () => {
    const head = '7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n';
    const many = Array.from({ length: MAX_FIELD_COLUMNS + 5 }, (_, k) => `F${k}: ${k} kB`).join('\n');
    const text = `${head}${many}\nRss: 4 kB\n${head}F1: 7 kB\nF${MAX_FIELD_COLUMNS + 2}: 9 kB\n2000-1000 r--p 0 0:0 0\nRss: 99 kB\n`;
    const d = parseDump(text);
    assert.equal(d.count, 2);
    assert.equal(d.fields.size, MAX_FIELD_COLUMNS);
    assert.equal(d.vma(0).smaps!.Rss, 4);
    assert.equal(d.vma(0).smaps![`F${MAX_FIELD_COLUMNS + 4}`], MAX_FIELD_COLUMNS + 4);
    assert.deepEqual(d.vma(1).smaps, { F1: 7, [`F${MAX_FIELD_COLUMNS + 2}`]: 9 });
    assert.equal(d.malformedCount, 1);
    assert.match(d.malformed[0].reason, /and its 1 field line below, ignored/);
  });

  it('sizes the columns by the VMAs read, not by the file size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-smaps-'));
    try {
      // About 100 copies of this process's smaps: over a window, so the estimate is used.
      const file = join(dir, 'big.smaps');
      writeFileSync(file, real.repeat(Math.ceil(2e6 / real.length)));
      const d = readDumpSync(file);
      const rss = d.fields.get('Rss')!;
      assert.ok(d.count > 1000);
      // A maps line is about 50 bytes: sized by the file, the columns held 15 times the VMAs.
      assert.ok(rss.length <= d.count * 1.25, `${rss.length} slots for ${d.count} VMAs`);
      assert.ok(d.startHi.length <= d.count * 1.25, `${d.startHi.length} slots for ${d.count} VMAs`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
