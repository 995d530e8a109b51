/**
 * Every dump as it is really printed (issue 10): smaps quirks, every pmap mode, pmap's basenames of
 * kernel objects, several processes in one file, and a bound on distinct field names. Truth comes
 * from live processes (/proc/PID/maps, the fixture's own report of what it mapped); hand-written
 * lines only where this machine cannot print them, marked so.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { parseDump } from '../../src/core/parse';
import { hoverAt } from '../../src/editor/hoverText';
import { analysisHtml } from '../../src/report/reportHtml';
import { parseMaps, startProcess, type RealProcess } from '../helpers/realProcess';

const CLI = resolve(__dirname, '../../dist/cli.js');

function readMaps(pid: number): string {
  return readFileSync(`/proc/${pid}/maps`, 'utf8');
}

describe('smaps as kernels print it', () => {
  let proc: RealProcess;
  let smaps = '';
  before(async () => {
    proc = startProcess({ cmd: 'sleep', args: ['300'], readyCheck: () => readMaps(proc.pid).includes('libc.so') });
    await proc.ready;
    smaps = readFileSync(`/proc/${proc.pid}/smaps`, 'utf8');
  });
  after(() => proc.stop());

  it('reads values after tabs (THPeligible:\\t\\t0, as kernels printed it until 2020) like values after blanks', () => {
    // This kernel prints blanks; the tabs are put back where those kernels had them.
    const tabbed = smaps.replace(/^THPeligible:\s+/gm, 'THPeligible:\t\t').replace(/^(Rss|Pss):\s+/gm, '$1:\t');
    assert.match(tabbed, /THPeligible:\t\t\d/);
    const a = parseDump(smaps);
    const b = parseDump(tabbed);
    assert.equal(b.malformedCount, 0, JSON.stringify(b.malformed));
    assert.equal(b.count, a.count);
    for (let i = 0; i < a.count; i++) assert.deepEqual(b.vma(i), a.vma(i));
  });

  it('attributes the field lines under a rejected mapping line to nothing, and reports them with it', () => {
    const lines = smaps.split('\n');
    const headers = lines.flatMap((l, n) => (/^[0-9a-f]+-[0-9a-f]+ /.test(l) ? [n] : []));
    const k = headers[2];
    // End below start: the kernel never prints it; a corrupted or edited dump does.
    const [range, ...rest] = lines[k].split(' ');
    const [s, e] = range.split('-');
    lines[k] = [`${e}-${s}`, ...rest].join(' ');
    const fieldsBelow = headers[3] - k - 1;
    const good = parseDump(smaps);
    const bad = parseDump(lines.join('\n'));
    assert.equal(bad.count, good.count - 1);
    // The VMA above keeps its own Rss (it would have taken the rejected one's).
    assert.deepEqual(bad.vma(1).smaps, good.vma(1).smaps);
    assert.equal(bad.malformedCount, 1);
    assert.equal(bad.malformed[0].line, k + 1);
    assert.match(bad.malformed[0].reason, new RegExp(`end address is below the start address \\(and its ${fieldsBelow} field lines below, ignored\\)`));
  });

  it('keeps unknown fields by name (Android Writeback:, future kernels) and reads 2.6-era smaps with ?? in VmFlags', () => {
    // Hand-written (no such kernel here): a 2.6.32 smaps block, no LazyFree, `??` flags, and an
    // Android `Writeback:` line; an anonymous VMA printed with its address as the offset.
    const old = [
      '00400000-0040b000 r-xp 00000000 08:01 393228                             /bin/cat',
      'Size:                 44 kB',
      'Rss:                  28 kB',
      'Pss:                  28 kB',
      'Writeback:             0 kB',
      'VmFlags: rd ex mr mw me dw ?? ',
      '7f1e2c000000-7f1e2c021000 rw-p 7f1e2c000000 00:00 0',
      'Size:                132 kB',
    ].join('\n');
    const d = parseDump(old);
    assert.equal(d.malformedCount, 0, JSON.stringify(d.malformed));
    assert.equal(d.count, 2);
    assert.equal(d.vma(0).smaps?.Writeback, 0);
    assert.deepEqual(d.vma(0).vmFlags, ['rd', 'ex', 'mr', 'mw', 'me', 'dw', '??']);
    assert.equal(d.vma(1).offset, 0x7f1e2c000000);
    assert.equal(d.vma(1).name, '');
  });

  it('reads WSL1 emulated smaps (only Pss, devices 00:00 with inodes) and ARM 32-bit lines', () => {
    // Hand-written after WSL1's and an armv7 kernel's output (neither runs here).
    const wsl = ['00400000-00401000 r-xp 00000000 00:00 1125899907121838 /usr/bin/true', 'Pss: 4 kB', 'VmFlags: rd ex'].join('\n');
    const d = parseDump(wsl);
    assert.equal(d.malformedCount, 0);
    assert.equal(d.vma(0).inode, 1125899907121838);
    assert.equal(d.vma(0).smaps?.Pss, 4);
    const arm = [
      '00010000-00011000 r-xp 00000000 b3:02 12345      /bin/busybox',
      'b6f00000-b6f21000 rw-p 00000000 00:00 0',
      'bec8f000-becb0000 rw-p 00000000 00:00 0          [stack]',
      'ffff0000-ffff1000 r-xp 00000000 00:00 0          [vectors]',
    ].join('\n');
    const a = analyze(parseDump(arm));
    assert.equal(a.vmaCount, 4);
    assert.equal(a.addressBits, 32);
    assert.equal(a.malformedCount, 0);
  });

  it('notes ranges out of order or overlapping, at their line', () => {
    const lines = readMaps(proc.pid).trim().split('\n');
    const swapped = [lines[1], lines[0], ...lines.slice(2)].join('\n');
    const a = analyze(parseDump(swapped));
    const notes = a.findings.find((f) => f.id === 'input-notes');
    assert.ok(notes, 'an input-notes finding');
    assert.equal(notes.lines[0], 2);
    assert.match(notes.message, /not in address order/);
    const overlapping = [lines[0], lines[0], ...lines.slice(1)].join('\n');
    const b = analyze(parseDump(overlapping));
    assert.match(b.findings.find((f) => f.id === 'input-notes')?.message ?? '', /Line 2: a mapping starts inside the one before it/);
    assert.equal(
      analyze(parseDump(lines.join('\n'))).findings.find((f) => f.id === 'input-notes'),
      undefined,
    );
  });
});

const PMAP_MODES = [
  [],
  ['-x'],
  ['-X'],
  ['-XX'],
  ['-d'],
  ['-q'],
  ['-x', '-q'],
  ['-d', '-q'],
  ['-X', '-q'],
  ['-XX', '-q'],
  ['-p'],
  ['-x', '-p'],
  ['-X', '-p'],
  ['-XX', '-p'],
  ['-d', '-p'],
  ['-x', '-p', '-q'],
];

describe('every pmap mode, and the kernel objects pmap names by their basenames', () => {
  let proc: RealProcess;
  let made: Record<string, string>;
  let hugePagesBefore = '';
  before(async () => {
    // A real MAP_HUGETLB mapping needs pages in the pool: reserve two 2 MiB pages, put it back after.
    hugePagesBefore = readFileSync('/proc/sys/vm/nr_hugepages', 'utf8').trim();
    writeFileSync('/proc/sys/vm/nr_hugepages', String(Number(hugePagesBefore) + 2));
    proc = startProcess({ program: 'shmkinds', args: ['--hugetlb'] });
    await proc.ready;
    made = proc.result()!;
  });
  after(async () => {
    await proc?.stop();
    writeFileSync('/proc/sys/vm/nr_hugepages', hugePagesBefore);
  });

  it('made the kernel objects it says, as the kernel names them in maps', () => {
    const maps = parseMaps(readMaps(proc.pid));
    const byStart = (hex: string) => maps.find((m) => m.start === BigInt(`0x${hex}`))?.path;
    assert.equal(byStart(made.zero), '/dev/zero (deleted)');
    assert.equal(byStart(made.memfd), '/memfd:vma-lens-memfd (deleted)');
    assert.match(byStart(made.sysv) ?? '', /^\/SYSV[0-9a-f]{8} \(deleted\)$/);
    assert.equal(byStart(made.huge), '/anon_hugepage (deleted)');
  });

  it('gives, in every mode, the VMAs of the process maps, with shared memory and huge pages for what they are', () => {
    const maps = readMaps(proc.pid);
    const truth = analyze(parseDump(maps));
    const truthDump = parseDump(maps);
    const byStart = new Map(Array.from({ length: truthDump.count }, (_, i) => [BigInt(`0x${truthDump.vma(i).startHex}`), truthDump.vma(i)]));
    assert.equal(truth.kinds.hugetlb?.count, 1);
    assert.equal(
      truth.findings.find((f) => f.id === 'deleted-mapping'),
      undefined,
      'nothing here is a deleted file',
    );
    for (const mode of PMAP_MODES) {
      const out = execFileSync('pmap', [...mode, String(proc.pid)], { encoding: 'utf8' });
      const what = `pmap ${mode.join(' ')}`;
      const d = parseDump(out);
      assert.equal(d.malformedCount, 0, `${what}: ${JSON.stringify(d.malformed)}`);
      assert.equal(d.count, truthDump.count, what);
      const a = analyze(d);
      assert.equal(a.vmaCount, truth.vmaCount, what);
      assert.equal(a.kinds.hugetlb?.count, 1, `${what}: the MAP_HUGETLB mapping is huge-page memory`);
      assert.equal(a.kinds.shm?.count, truth.kinds.shm?.count, `${what}: shared memory`);
      assert.equal(
        a.findings.find((f) => f.id === 'deleted-mapping'),
        undefined,
        `${what}: no deleted file`,
      );
      for (let i = 0; i < d.count; i++) {
        const v = d.vma(i);
        const t = byStart.get(BigInt(`0x${v.startHex}`));
        assert.ok(t, `${what}: ${v.startHex} is a VMA of the maps`);
        assert.equal(BigInt(`0x${v.endHex}`), BigInt(`0x${t.endHex}`), `${what}: end of ${v.startHex}`);
        assert.equal(v.perms, t.perms, `${what}: perms of ${v.startHex}`);
        // Without -p, pmap prints basenames: the kernel objects get their full names back.
        if (t.name.startsWith('/dev/zero') || t.name.startsWith('/memfd:') || t.name === '/anon_hugepage') {
          assert.equal(v.name, t.name, `${what}: name of ${v.startHex}`);
          assert.equal(v.deleted, true);
        }
        if (t.name.startsWith('/SYSV')) assert.match(v.name, /^(?:\/SYSV[0-9a-f]{8}|\[ shmid=0x[0-9a-f]+ \])$/, what);
      }
    }
  });

  it('gives the VMAs of the maps in every mode for processes under each allocator (glibc arenas, jemalloc, mimalloc)', async () => {
    const others = [
      startProcess({ program: 'threads', args: ['8'] }),
      startProcess({ program: 'threads', args: ['8'], preload: 'jemalloc' }),
      startProcess({ program: 'threads', args: ['8'], preload: 'mimalloc' }),
    ];
    try {
      await Promise.all(others.map((p) => p.ready));
      for (const p of others) {
        const truth = parseDump(readMaps(p.pid));
        const t = analyze(truth);
        for (const mode of PMAP_MODES) {
          const what = `pmap ${mode.join(' ')} of ${p.pid}`;
          const d = parseDump(execFileSync('pmap', [...mode, String(p.pid)], { encoding: 'utf8' }));
          assert.equal(d.malformedCount, 0, what);
          assert.equal(d.count, truth.count, what);
          for (let i = 0; i < d.count; i++) {
            assert.equal(BigInt(`0x${d.vma(i).startHex}`), BigInt(`0x${truth.vma(i).startHex}`), what);
            assert.equal(d.size(i), truth.size(i), what);
            assert.equal(d.vma(i).perms, truth.vma(i).perms, what);
          }
          const a = analyze(d);
          assert.equal(a.vmaCount, t.vmaCount, what);
          assert.equal(a.allocator.name, t.allocator.name, what);
          assert.equal(a.arenas, t.arenas, what);
        }
      }
    } finally {
      await Promise.all(others.map((p) => p.stop()));
    }
  });

  it('reads rows pasted from the middle of pmap output, with no title or header, and a redacted title', () => {
    for (const mode of [[], ['-x'], ['-d'], ['-X'], ['-XX']]) {
      const out = execFileSync('pmap', [...mode, String(proc.pid)], { encoding: 'utf8' }).split('\n');
      const rows = out.filter((l) => /^\s*[0-9a-f]{8,16}\s/.test(l));
      const middle = rows.slice(3, 9);
      const d = parseDump(middle.join('\n'));
      assert.equal(d.count, 6, `pmap ${mode.join(' ')} fragment: ${JSON.stringify(d.malformed)}`);
      assert.equal(d.malformedCount, 0);
      const redacted = ['PROCESS:   dashd', ...out.slice(1)].join('\n');
      const r = parseDump(redacted);
      assert.equal(r.malformedCount, 0, `pmap ${mode.join(' ')} redacted: ${JSON.stringify(r.malformed)}`);
      assert.equal(r.count, rows.length);
      assert.equal(r.header.command, 'dashd');
      assert.equal(r.header.pid, undefined);
    }
  });
});

describe('several processes in one file', () => {
  let a: RealProcess;
  let b: RealProcess;
  before(async () => {
    a = startProcess({ cmd: 'sleep', args: ['300'], readyCheck: () => readMaps(a.pid).includes('libc.so') });
    b = startProcess({ program: 'shmkinds', preload: 'jemalloc' });
    await Promise.all([a.ready, b.ready]);
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  const counts = () => [a, b].map((p) => analyze(parseDump(readMaps(p.pid))).vmaCount);

  it('splits `head` of several maps files at its ==> f <== lines and analyses each', () => {
    const text = execFileSync('head', ['-n', '1000', `/proc/${a.pid}/maps`, `/proc/${b.pid}/maps`], { encoding: 'utf8' });
    const d = parseDump(text);
    assert.equal(d.sections.length, 2);
    assert.deepEqual(
      d.sections.map((s) => s.label),
      [`/proc/${a.pid}/maps`, `/proc/${b.pid}/maps`],
    );
    const an = analyze(d);
    assert.deepEqual(
      an.processes?.map((p) => p.vmaCount),
      counts(),
    );
    // The top level is the first process, never the sum.
    assert.equal(an.vmaCount, counts()[0]);
    assert.match(an.findings.find((f) => f.id === 'input-notes')?.message ?? '', /holds 2 processes/);
    assert.deepEqual(
      an.processes?.map((p) => p.allocator.name),
      ['glibc', 'jemalloc'],
    );
    // Hovers speak of the process the line belongs to: jemalloc's memory in the second.
    const lines = text.split('\n');
    const second = d.sections[1].line;
    const row = lines.findIndex((l, n) => n >= second && / rw-p 00000000 00:00 0\s*$/.test(l));
    const md = hoverAt({ dump: d, analysis: an }, row + 1, lines[row], 2)?.markdown ?? '';
    assert.match(md, /jemalloc/);
    assert.doesNotMatch(md, /glibc malloc/);
  });

  it('splits smaps_rollup files joined by ---, and pmap -x of two pids', () => {
    const rollups = execFileSync('sh', ['-c', `for p in ${a.pid} ${b.pid}; do cat /proc/$p/smaps_rollup; echo ---; done`], { encoding: 'utf8' });
    const r = analyze(parseDump(rollups));
    assert.equal(r.processes?.length, 2);
    const rss = [a, b].map((p) => Number(/^Rss:\s+(\d+)/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'))![1]) * 1024);
    // Rss moves a little between reads; each process keeps its own total, never the sum.
    r.processes!.forEach((p, k) => assert.ok(Math.abs((p.totals.rss ?? 0) - rss[k]) < 256 * 1024, `rollup ${k}: ${p.totals.rss} vs ${rss[k]}`));
    const pm = analyze(parseDump(execFileSync('pmap', ['-x', String(a.pid), String(b.pid)], { encoding: 'utf8' })));
    assert.deepEqual(
      pm.processes?.map((p) => p.vmaCount),
      counts(),
    );
    assert.deepEqual(
      pm.processes?.map((p) => p.header.pid),
      [a.pid, b.pid],
    );
  });

  it('lists the processes in the CLI JSON, with no top-level counts to misread', () => {
    const text = execFileSync('head', ['-n', '1000', `/proc/${a.pid}/maps`, `/proc/${b.pid}/maps`], { encoding: 'utf8' });
    const res = spawnSync(process.execPath, [CLI, 'analyze', '--json', '-'], { input: text, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const j = JSON.parse(res.stdout);
    assert.equal(j.vmaCount, undefined);
    assert.deepEqual(
      j.processes.map((p: { label: string }) => p.label),
      [`/proc/${a.pid}/maps`, `/proc/${b.pid}/maps`],
    );
    assert.deepEqual(
      j.processes.map((p: { vmaCount: number }) => p.vmaCount),
      counts(),
    );
    const txt = spawnSync(process.execPath, [CLI, 'analyze', '-'], { input: text, encoding: 'utf8' });
    assert.match(txt.stdout, /holds 2 processes/);
    // diff would sum them: it refuses, in one line.
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-two-'));
    try {
      writeFileSync(join(dir, 'two.maps'), text);
      writeFileSync(join(dir, 'one.maps'), readMaps(a.pid));
      const diff = spawnSync(process.execPath, [CLI, 'diff', join(dir, 'two.maps'), join(dir, 'one.maps')], { encoding: 'utf8' });
      assert.equal(diff.status, 2);
      assert.match(diff.stderr, /^vma-lens: \S+two\.maps holds 2 processes; diff compares one process with another/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(txt.stdout.match(/^VMA Lens — /gm)?.length, 2);
    // The editor's report lists them too.
    const page = { nonce: 'n', cspSource: 'c', cmd: { openFix: 'a', copyCommand: 'b', revealLine: 'c' }, commandLine: () => undefined, subject: 'x' };
    const html = analysisHtml(analyze(parseDump(text)), page);
    const rows = [...html.matchAll(/<tr><td>([^<]*)<\/td><td class="num">(\d+)<\/td><td class="num">([\d,]+)<\/td>/g)].filter((m) => m[1].startsWith('/proc/'));
    assert.deepEqual(
      rows.map((m) => [m[1], Number(m[3].replace(/,/g, ''))]),
      [
        [`/proc/${a.pid}/maps`, counts()[0]],
        [`/proc/${b.pid}/maps`, counts()[1]],
      ],
    );
  });

  it('analyses at most 64 processes of a crafted file of 20,000 one-line ones, and says how many there are', () => {
    const lines: string[] = [];
    for (let k = 0; k < 20_000; k++)
      lines.push(
        `==> /proc/${k}/maps <==`,
        `7f${(k * 2).toString(16).padStart(10, '0')}000-7f${(k * 2 + 1).toString(16).padStart(10, '0')}000 rw-p 00000000 00:00 0`,
      );
    const text = lines.join('\n') + '\n';
    const res = spawnSync(process.execPath, [CLI, 'analyze', '--json', '-'], { input: text, encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(res.status, 0, res.stderr);
    // Output in proportion to what is analysed, not 200 times the input.
    assert.ok(res.stdout.length < text.length, `${res.stdout.length} bytes of JSON`);
    const j = JSON.parse(res.stdout);
    assert.equal(j.processCount, 20_000);
    assert.equal(j.processes.length, 64);
    assert.ok(j.processes.every((p: { vmaCount: number }) => p.vmaCount === 1));
    const txt = spawnSync(process.execPath, [CLI, 'analyze', '-'], { input: text, encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.match(txt.stdout.split('\n')[0], /holds 20,000 processes.*the first 64 are analysed/);
  });

  it('splits head of several smaps files (as sp-endurance captures them), fields staying with their process', () => {
    const text = execFileSync('head', ['-n', '100000', `/proc/${a.pid}/smaps`, `/proc/${b.pid}/smaps`], { encoding: 'utf8' });
    const an = analyze(parseDump(text));
    assert.deepEqual(
      an.processes?.map((p) => p.vmaCount),
      counts(),
    );
    an.processes!.forEach((p) => assert.ok((p.totals.rss ?? 0) > 0));
    assert.equal(
      an.processes!.every((p) => p.malformedCount === 0),
      true,
    );
  });
});

describe('distinct smaps field names', () => {
  it('keeps memory proportional to the input for 10,000 distinct names (crafted 0.7 MB smaps)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-fields-'));
    try {
      const lines: string[] = [];
      for (let v = 0; lines.length < 10_000 + 100; v++) {
        lines.push(`7f${(v * 16).toString(16).padStart(10, '0')}000-7f${(v * 16 + 1).toString(16).padStart(10, '0')}000 rw-p 00000000 00:00 0`);
        for (let k = 0; k < 100; k++) lines.push(`Crafted_field_name_number_${lines.length}_padding_to_make_it_long: 4 kB`);
      }
      const text = lines.join('\n') + '\n';
      assert.ok(text.length > 600_000 && text.length < 800_000, `${text.length} bytes`);
      const file = join(dir, 'crafted.smaps');
      writeFileSync(file, text);
      const res = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, 'analyze', '--json', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(res.status, 0, res.stderr);
      const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr)![1]);
      assert.ok(peakKb < 200 * 1024, `peak RSS ${peakKb} kB`);
      const j = JSON.parse(res.stdout);
      const note = j.findings.find((f: { id: string }) => f.id === 'input-notes');
      assert.match(note.message, /distinct field names/);
      // Every value is still there, by name.
      const d = parseDump(text);
      assert.equal(d.vma(d.count - 1).smaps?.[lines[lines.length - 1].split(':')[0]], 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("other tools' dumps", () => {
  let proc: RealProcess;
  before(async () => {
    proc = startProcess({ program: 'shmkinds' });
    await proc.ready;
  });
  after(() => proc.stop());

  it("reads gdb's info proc mappings of a live process like its maps (and an older gdb's, without Perms)", () => {
    const out = execFileSync('gdb', ['-p', String(proc.pid), '-batch', '-ex', 'info proc mappings'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    // From `process N` on: what gdb prints before it is the attach chatter, not the command's output.
    const text = out.slice(out.search(/^process \d+$/m));
    const maps = parseDump(readMaps(proc.pid));
    const d = parseDump(text);
    assert.equal(d.format, 'gdb');
    assert.equal(d.malformedCount, 0, JSON.stringify(d.malformed));
    assert.equal(d.header.pid, proc.pid);
    assert.equal(d.count, maps.count);
    for (let i = 0; i < d.count; i++) {
      const [g, m] = [d.vma(i), maps.vma(i)];
      assert.deepEqual([g.startHex, g.endHex, g.perms, g.offset, g.name, g.deleted], [m.startHex, m.endHex, m.perms, m.offset, m.name, m.deleted]);
    }
    const a = analyze(d);
    const t = analyze(maps);
    assert.equal(a.vmaCount, t.vmaCount);
    assert.deepEqual(a.kinds, t.kinds);
    // Hovers: each gdb column explained from the row's own VMA.
    const lines = text.split('\n');
    const row = lines.findIndex((l) => /\sr-xp\s/.test(l));
    const at = (needle: string) => hoverAt({ dump: d, analysis: a }, row + 1, lines[row], lines[row].indexOf(needle) + 1)?.markdown ?? '';
    assert.match(at('r-xp'), /\*\*Permissions `r-xp`\*\*/);
    assert.match(at('0x'), /Code/);
    assert.match(at(lines[row].trim().split(/\s+/)[2]), /\*\*Size `0x[0-9a-f]+`\*\* \(gdb\)/);
    // gdb before 12 printed no Perms column (no such gdb here: the column is cut from the real output).
    const old = text.replace(/^(\s*Start Addr.*Offset)\s+Perms/m, '$1').replace(/^(\s*(?:0x[0-9a-f]+\s+){4})[r-][w-][x-][ps]\s/gm, '$1');
    assert.doesNotMatch(old, /\s[r-][w-][x-]p\s/);
    const o = analyze(parseDump(old));
    assert.equal(o.vmaCount, t.vmaCount);
    assert.equal(o.malformedCount, 0);
    assert.match(o.findings.find((f) => f.id === 'input-notes')?.message ?? '', /no Perms column/);
    assert.equal(
      o.findings.find((f) => f.id === 'thread-stacks' || f.id === 'glibc-arenas' || f.id === 'vma-fragmentation'),
      undefined,
    );
  });

  it('reads numa_maps of a live process: its VMAs, names and resident pages per VMA and per node', () => {
    const text = readFileSync(`/proc/${proc.pid}/numa_maps`, 'utf8');
    const smaps = parseDump(readFileSync(`/proc/${proc.pid}/smaps`, 'utf8'));
    const d = parseDump(text);
    assert.equal(d.format, 'numa_maps');
    assert.equal(d.malformedCount, 0, JSON.stringify(d.malformed));
    const byStart = new Map(Array.from({ length: smaps.count }, (_, i) => [smaps.vma(i).startHex, smaps.vma(i)]));
    let resident = 0;
    for (let i = 0; i < d.count; i++) {
      const v = d.vma(i);
      const t = byStart.get(v.startHex);
      assert.ok(t, `${v.startHex} is a VMA of smaps`);
      if (t.name !== '[vdso]' && t.name !== '[vvar]' && t.name !== '[vvar_vclock]') {
        // numa_maps leaves the kernel's special mappings out of its page counts and names.
        assert.equal(v.name, t.name);
        assert.equal(v.smaps?.Rss, t.smaps?.Rss, `resident kB of ${v.startHex} ${v.name}`);
      }
      resident += (v.smaps?.Rss ?? 0) * 1024;
    }
    const a = analyze(d);
    // vsyscall is no VMA of the process, and numa_maps does not list it.
    assert.equal(a.vmaCount, analyze(smaps).vmaCount);
    const nodes = a.numaNodes!;
    assert.deepEqual(Object.keys(nodes), [...new Set(text.match(/\bN\d+(?==)/g))].sort());
    assert.equal(
      Object.values(nodes).reduce((x, y) => x + y, 0),
      resident,
    );
    assert.equal(a.kinds.shm?.count, 3);
    assert.match(a.findings.find((f) => f.id === 'input-notes')?.message ?? '', /numa_maps gives no sizes/);
    // Hover on N0= of a file-backed row: its pages on node 0 in bytes.
    const lines = text.split('\n');
    const row = lines.findIndex((l) => /file=\/usr\/lib\S*libc\.so.* N0=(\d+)/.test(l));
    const pages = Number(/ N0=(\d+)/.exec(lines[row])![1]);
    const md = hoverAt({ dump: d, analysis: a }, row + 1, lines[row], lines[row].indexOf(' N0=') + 2)?.markdown ?? '';
    assert.match(md, new RegExp(`\\*\\*NUMA node 0\\*\\*: ${pages} pages? of 4 KiB`));
    const cli = spawnSync(process.execPath, [CLI, 'analyze', '-'], { input: text, encoding: 'utf8' });
    assert.match(cli.stdout, /^NUMA {7}N0 .* resident$/m);
    assert.doesNotMatch(cli.stdout, /\b0 B\b/);
  });

  it('reads the Dynamic libraries: section of a real JVM crash log (hs_err_pid*.log)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vma-lens-hserr-'));
    try {
      writeFileSync(
        join(dir, 'Oom.java'),
        'public class Oom { public static void main(String[] a) { var l = new java.util.ArrayList<long[]>(); for (;;) l.add(new long[1 << 20]); } }\n',
      );
      const run = spawnSync('java', ['-Xmx32m', '-XX:+CrashOnOutOfMemoryError', `-XX:ErrorFile=${dir}/hs_err_pid%p.log`, '-Xshare:off', 'Oom.java'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const file = /(\S*hs_err_pid(\d+)\.log)/.exec(run.stdout + run.stderr);
      assert.ok(file, `the JVM wrote a crash log:\n${run.stdout}${run.stderr}`);
      const text = readFileSync(file[1], 'utf8');
      const section = text
        .slice(text.indexOf('Dynamic libraries:\n') + 19)
        .split('\n\n')[0]
        .split('\n');
      const d = parseDump(text);
      assert.equal(d.format, 'hs_err');
      assert.equal(d.malformedCount, 0, JSON.stringify(d.malformed));
      assert.equal(d.count, section.length);
      assert.equal(d.header.pid, Number(file[2]));
      assert.match(d.header.command ?? '', /^java .*Oom\.java$/);
      const a = analyze(d);
      assert.equal(a.vmaCount, section.filter((l) => !l.endsWith('[vsyscall]')).length);
      assert.ok(a.threads > 5, `a JVM runs many threads: ${a.threads}`);
      // Hovers explain its maps lines, not the text around them.
      const lines = text.split('\n');
      const src = { dump: d, analysis: a };
      const host = lines.findIndex((l) => l.startsWith('Host:'));
      assert.equal(hoverAt(src, host + 1, lines[host], 1), undefined);
      const lib = lines.findIndex((l) => /r-xp .*libjvm\.so$/.test(l));
      assert.match(hoverAt(src, lib + 1, lines[lib], 2)?.markdown ?? '', /Code/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mutated dumps of every new format', () => {
  it('parse and analyse 2,000 mutations without an exception, a negative size or a line out of range', () => {
    const pid = String(process.pid);
    const maps = readMaps(process.pid);
    const seeds = [
      execFileSync('pmap', ['-d', pid], { encoding: 'utf8' }),
      execFileSync('pmap', ['-X', '-q', pid], { encoding: 'utf8' }),
      execFileSync('pmap', ['-x', '-q', pid], { encoding: 'utf8' }),
      readFileSync(`/proc/${pid}/numa_maps`, 'utf8'),
      readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n').slice(0, 200).join('\n'),
      `==> a <==\n${maps}\n==> b <==\n${maps}`,
      // The shape of a JVM crash log around its maps (the real one is tested above).
      `#\n# A fatal error has been detected by the Java Runtime Environment:\n#  SIGSEGV (0xb), pid=42, tid=43\nCommand Line: Main\n\nDynamic libraries:\n${maps}\nVM Arguments:\n`,
      `process 42\nMapped address spaces:\n\n          Start Addr           End Addr       Size     Offset  Perms  objfile\n${maps
        .trim()
        .split('\n')
        .map((l) => {
          const [range, perms, off] = l.split(/\s+/);
          const [s, e] = range.split('-');
          return `      0x${s}     0x${e}     0x${(parseInt(e, 16) - parseInt(s, 16)).toString(16)}     0x${parseInt(off, 16).toString(16)}  ${perms}   ${l.split(/\s+/).slice(5).join(' ')}`;
        })
        .join('\n')}`,
    ];
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['\t', ' ', '=', '==> x <==\n', '---\n', '0x', ':', '\n', '\0', '-', 'N0=', 'ffffffffffffffff', '(deleted)', 'Perms', '12:'];
    for (let k = 0; k < 2000; k++) {
      let t = seeds[k % seeds.length];
      for (let m = 0, n = 1 + rnd(4); m < n; m++) {
        const at = rnd(t.length + 1);
        const op = rnd(4);
        if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + rnd(20));
        else if (op === 1) t = t.slice(0, at) + pieces[rnd(pieces.length)] + t.slice(at);
        else if (op === 2) t = t.slice(0, at);
        else {
          const lines = t.split('\n');
          const i = rnd(lines.length);
          lines.splice(rnd(lines.length), 0, lines[i]);
          t = lines.join('\n');
        }
      }
      const d = parseDump(t);
      const a = analyze(d);
      for (let i = 0; i < d.count; i++) assert.ok(d.size(i) >= 0, `input ${k}: VMA ${i} has a negative size`);
      for (const bad of d.malformed) assert.ok(bad.line >= 1 && bad.line <= d.lineCount, `input ${k}: malformed line ${bad.line} of ${d.lineCount}`);
      assert.ok((a.processes?.length ?? 1) <= 64);
      d.release();
    }
  });
});
