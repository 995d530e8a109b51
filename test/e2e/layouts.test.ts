/**
 * Real layouts in a real VS Code (code-server + Chromium): captures of an i386 program with 12
 * threads, a JVM with 64 threads, and jemalloc with retain:false, made here from live processes;
 * the Problems panel, hovers and quick fixes on them: the thread and heap counts the threads and
 * glibc report, the JVM's arena fix, the jemalloc retain fix, the Kubernetes DaemonSet.
 *
 * Run: npm run build && node --import tsx --test --test-concurrency=1 test/e2e/layouts.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { analyzeText } from '../../src/core/analyze';
import { captureLayout, captureWithStacks, liveThreadStacks, startJvm } from '../helpers/realLayouts';
import { I386 } from '../helpers/realPrograms';
import { buildFixture, withProcess } from '../helpers/realProcess';
import { activeEditorText, closeAllEditors, quickFix, waitForTab } from './editorActions';
import { poll, startVSCode, tempFolder, type VSCode } from './harness';

interface Capture {
  text: string;
  /** Truth from the live process. */
  threads: number;
  stacks: number;
  heaps?: number;
}

describe('real layouts in VS Code', { timeout: 600_000 }, () => {
  let vsc: VSCode;
  const caps: Record<string, Capture> = {};

  before(async () => {
    await withProcess({ program: buildFixture('heaps', I386), args: ['12', '--size', '4k', '--count', '2000'] }, (p) => {
      const truth = liveThreadStacks(p.pid);
      caps.i386 = { text: captureLayout(p.pid), threads: truth.threads, stacks: truth.stacks, heaps: Number(p.result()!.heaps) };
    });
    const jvm = startJvm(64);
    try {
      await jvm.ready;
      const { text, truth } = captureWithStacks(jvm.pid);
      caps.jvm = { text, threads: truth.threads, stacks: truth.stacks };
    } finally {
      await jvm.stop();
    }
    await withProcess({ program: 'freehalf', preload: 'jemalloc', env: { MALLOC_CONF: 'retain:false,dirty_decay_ms:0,muzzy_decay_ms:0' } }, (p) => {
      caps.retain = { text: captureLayout(p.pid), threads: 1, stacks: 0 };
    });
    vsc = await startVSCode({
      folder: tempFolder(),
      files: { 'i386.maps': caps.i386.text, 'jvm.maps': caps.jvm.text, 'jemalloc-retain.maps': caps.retain.text },
      settings: { 'workbench.editor.enablePreview': false },
    });
  });

  afterEach(async (t) => {
    await vsc?.screenshot(`layouts-${t.name.replace(/[^\w]+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  after(async () => {
    await vsc?.close();
  });

  // The diagnostics are read in the hover of each finding's main line: a finding's related lines
  // (87 heaps here) fill the Problems panel's visible rows, which is all the page renders.
  it('i386: the diagnostics count the stacks and 1 MiB heaps the process has; hovers call them so', async () => {
    const { text, stacks, heaps } = caps.i386;
    await vsc.openFile('i386.maps');
    await poll(
      async () => (await vsc.problems()).filter((p) => p.file === 'i386.maps'),
      (ps) => ps.some((p) => p.code === 'vma-limit'),
    );
    const a = analyzeText(text);
    const stackLine = a.findings.find((f) => f.id === 'thread-stacks')!.lines[0];
    const heapLine = a.findings.find((f) => f.id === 'glibc-arenas')!.lines[0];
    const checks = [
      [stackLine, /Thread stack/, new RegExp(`${stacks} thread stacks`)],
      [heapLine, /glibc arena/, new RegExp(`${heaps} glibc malloc arena heaps of 1 MiB`)],
    ] as const;
    for (const [line, kind, diagnostic] of checks) {
      const hover = await poll(
        () => vsc.hover(line, 5),
        (t) => kind.test(t) && diagnostic.test(t),
      );
      assert.match(hover, kind);
      assert.match(hover, diagnostic);
      await vsc.page.keyboard.press('Escape');
    }
  });

  it("a JVM: its stacks, and the quick fix caps its arenas in the service's environment", async () => {
    const { text, stacks } = caps.jvm;
    await closeAllEditors(vsc);
    await vsc.openFile('jvm.maps');
    await poll(
      async () => (await vsc.problems()).filter((p) => p.file === 'jvm.maps'),
      (ps) => ps.some((p) => p.code === 'vma-limit'),
    );
    const a = analyzeText(text);
    const stackLine = a.findings.find((f) => f.id === 'thread-stacks')!.lines[0];
    const hover = await poll(
      () => vsc.hover(stackLine, 5),
      (t) => new RegExp(`${stacks} thread stacks`).test(t),
    );
    assert.match(hover, new RegExp(`${stacks} thread stacks`));
    await vsc.page.keyboard.press('Escape');
    const line = a.findings.find((f) => f.id === 'glibc-arenas')!.lines[0];
    await quickFix(vsc, line, 1, /^Cap the JVM's glibc arenas at 2 .*: open as new file$/);
    await waitForTab(vsc, /^vma-lens-jvm-arena-max(\.conf)?$/);
    const fix = await activeEditorText(vsc);
    assert.match(fix, /^Environment="MALLOC_ARENA_MAX=2"$/m);
  });

  it('jemalloc with retain:false: the retain fix and the Kubernetes DaemonSet open as files', async () => {
    await closeAllEditors(vsc);
    await vsc.openFile('jemalloc-retain.maps');
    const problems = await poll(
      async () => (await vsc.problems()).filter((p) => p.file === 'jemalloc-retain.maps'),
      (ps) => ps.some((p) => p.code === 'jemalloc-retain') && ps.some((p) => p.code === 'vma-fragmentation'),
    );
    const retain = problems.find((p) => p.code === 'jemalloc-retain')!;
    assert.equal(retain.severity, 'warning');
    await quickFix(vsc, retain.line!, 1, /^jemalloc keeps freed address space .*: open as new file$/);
    await waitForTab(vsc, /^vma-lens-malloc-conf(\.conf)?$/);
    assert.match(await activeEditorText(vsc), /^Environment="MALLOC_CONF=retain:true"$/m);
    const frag = problems.find((p) => p.code === 'vma-fragmentation')!;
    await closeAllEditors(vsc);
    await vsc.openFile('jemalloc-retain.maps');
    await quickFix(vsc, frag.line!, 1, /^Raise vm\.max_map_count to \d+ on Kubernetes nodes .*: open as new file$/);
    await waitForTab(vsc, /^vma-lens-max-map-count-daemonset(\.yaml)?$/);
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'YAML',
      ),
      'YAML',
    );
    assert.match(await activeEditorText(vsc), /^kind: DaemonSet$/m);
  });
});
