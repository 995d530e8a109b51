/**
 * Allocator verdicts in the real VS Code: captures (through the product's capture script) of a
 * static Go binary and of a program linked with libjemalloc_pic.a, opened in code-server: the
 * status bar, the hover of the `# exe_symbols` header line and the Problems entry show the
 * verdict, its confidence and why no LD_PRELOAD fix is offered. The truth for both processes is
 * asserted in test/integration/realVerdicts.test.ts (readelf, nm, ldd).
 *
 * Run: node --import tsx --test test/e2e/allocatorVerdict.test.ts   (after npm run build)
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { captureLocal } from '../../src/capture/capture';
import { buildFixture, startProcess, type RealProcess } from '../helpers/realProcess';
import { JEMALLOC_PIC, ready, startGoStatic } from '../helpers/realPrograms';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';

describe('allocator verdicts in VS Code', { timeout: 600_000 }, () => {
  let vsc: VSCode | undefined;
  let go: RealProcess | undefined;
  let jemallocPic: RealProcess | undefined;
  let goText = '';

  before(async () => {
    go = await startGoStatic(4);
    jemallocPic = await ready(startProcess({ program: buildFixture('threads', JEMALLOC_PIC), args: ['4'] }));
    goText = (await captureLocal(go.pid)).text;
    const picText = (await captureLocal(jemallocPic.pid)).text;
    vsc = await startVSCode({ folder: tempFolder(), files: { 'goheap.maps': goText, 'jemalloc-pic.maps': picText } });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`allocator-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
    await go?.stop();
    await jemallocPic?.stop();
  });

  it('a static Go binary: "go (static)" in the status bar, the evidence on hover and in Problems', async () => {
    const v = vsc!;
    await v.openFromExplorer('goheap.maps');
    const bar = await poll(
      () => v.statusBarText(),
      (s) => s.some((x) => /· go \(static\)$/.test(x.trim())),
    );
    assert.ok(
      bar.some((x) => /· go \(static\)$/.test(x.trim())),
      JSON.stringify(bar),
    );

    const line = goText.split('\n').findIndex((l) => l.startsWith('# exe_symbols:')) + 1;
    const hover = await v.hover(line, 4);
    assert.match(hover, /exe_symbols/);
    assert.match(hover, /runtime\.mallocgc/);
    assert.match(hover, /Allocator: go, linked statically/);
    assert.match(hover, /LD_PRELOAD cannot switch it: goheap is statically linked/);

    const problems = await poll(
      () => v.problems(),
      (ps) => ps.some((p) => p.file === 'goheap.maps' && p.code === 'allocator'),
    );
    const allocator = problems.find((p) => p.file === 'goheap.maps' && p.code === 'allocator')!;
    assert.match(allocator.message, /^go, linked statically: goheap defines runtime\.mallocgc/);
    assert.match(allocator.message, /No LD_PRELOAD fix is offered: goheap is statically linked/);
  });

  it('a program linked with libjemalloc_pic.a: "jemalloc (static)" and why a preload cannot switch it', async () => {
    const v = vsc!;
    await v.openFromExplorer('jemalloc-pic.maps');
    const bar = await poll(
      () => v.statusBarText(),
      (s) => s.some((x) => /· jemalloc \(static\)$/.test(x.trim())),
    );
    assert.ok(
      bar.some((x) => /· jemalloc \(static\)$/.test(x.trim())),
      JSON.stringify(bar),
    );
    const problems = await poll(
      () => v.problems(),
      (ps) => ps.some((p) => p.file === 'jemalloc-pic.maps' && p.code === 'allocator'),
    );
    const allocator = problems.find((p) => p.file === 'jemalloc-pic.maps' && p.code === 'allocator')!;
    assert.match(allocator.message, /^jemalloc, linked statically: threads-jemalloc-pic defines mallctl, malloc \(jemalloc linked in\)/);
    assert.match(allocator.message, /No LD_PRELOAD fix is offered: threads-jemalloc-pic defines malloc itself/);
  });
});
