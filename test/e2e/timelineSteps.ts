/** Steps the timeline's end-to-end tests and its screenshot script share. */
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { poll, type VSCode } from './harness';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a palette command, retrying while the palette does not offer it yet: right after start-up
 * the commands gated on workspace trust appear only once trust is resolved, and an open palette
 * does not refresh its list. `picker`: the command opens a quick pick of its own (startCommand).
 */
export async function runCommandWhenReady(vsc: VSCode, title: string, picker = false, timeoutMs = 60_000): Promise<void> {
  const attempt = async (): Promise<boolean> => {
    // Keys typed while a webview has the focus stay in its iframe: give the focus back first.
    await vsc.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    try {
      await (picker ? vsc.startCommand(title) : vsc.runCommand(title));
      return true;
    } catch {
      await vsc.page.keyboard.press('Escape');
      return false;
    }
  };
  await poll(attempt, (ok) => ok, timeoutMs, 500);
}

/** "Open Timeline for Folder…" from the palette, through the simple file dialog; returns when it was accepted. */
export async function openFolderTimeline(vsc: VSCode, folder: string): Promise<number> {
  await runCommandWhenReady(vsc, 'VMA Lens: Open Timeline for Folder…', true);
  const input = vsc.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  const want = `${folder}/`;
  const title = `VMA timeline: ${path.basename(folder)}`;
  const tabs = vsc.page.locator('.tabs-container .tab');
  const tab = tabs.filter({ hasText: title }).first();
  const seen: string[] = [];
  let t0 = 0;
  // The dialog moves into the typed folder as it reads it; Enter before that accepts the folder
  // it was showing or opens its highlighted entry, and a busy machine stretches the wait. So:
  // (re)type the folder and press Enter until this folder's timeline tab is there.
  for (let attempt = 1; ; attempt++) {
    if ((await input.inputValue().catch(() => '')) !== want) await input.fill(want).catch(() => undefined);
    await poll(
      () => input.inputValue().catch(() => ''),
      (v) => v === want,
      5000,
    ).catch(() => undefined);
    await sleep(500 * attempt);
    t0 = Date.now();
    await vsc.page.keyboard.press('Enter');
    try {
      await tab.waitFor({ timeout: 15_000 });
      // A panel that opened behind another editor is brought forward, as a user would click it.
      if (!(await tab.evaluate((e) => e.classList.contains('active')))) await tab.click();
      return t0;
    } catch {
      const open = await input.isVisible().catch(() => false);
      const names = await tabs.allInnerTexts().catch(() => []);
      seen.push(`Enter ${attempt}: dialog ${open ? `open at "${await input.inputValue().catch(() => '?')}"` : 'closed'}, tabs [${names.join(' | ')}]`);
      if (attempt === 3) {
        const shot = await vsc.screenshot(`open-folder-timeline-failed-${Date.now()}`).catch(() => 'none');
        throw new Error(`Open Timeline for Folder: no "${title}" tab (${seen.join('; ')}); screenshot: ${shot}`);
      }
      if (!open) {
        // The dialog took the folder it was showing before the typed one: close the timeline it
        // opened (a middle click, as on any tab) and ask again.
        for (let k = names.length - 1; k >= 0; k--)
          if (names[k].includes('VMA timeline:') && !names[k].includes(title))
            await tabs
              .nth(k)
              .click({ button: 'middle' })
              .catch(() => undefined);
        await runCommandWhenReady(vsc, 'VMA Lens: Open Timeline for Folder…', true);
        await input.waitFor();
      }
    }
  }
}

/**
 * Right-clicks an explorer row and picks a menu item, until `done` says it worked: the menu fills
 * in once the extension host has scanned the extension, and an item that appears while the menu is
 * open can move the one under the pointer.
 */
export async function explorerMenu(vsc: VSCode, row: string, item: string, done: () => Promise<boolean>): Promise<void> {
  const page = vsc.page;
  await poll(
    async () => {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: row }).first().click({ button: 'right' });
      const entry = page.locator('.monaco-menu .action-label', { hasText: item });
      try {
        await entry.waitFor({ timeout: 1000 });
        await sleep(200);
        await entry.click();
      } catch {
        await page.keyboard.press('Escape');
        return false;
      }
      return done();
    },
    (ok) => ok,
    60_000,
    500,
  );
}

/** "Watch Process…" on a process of this machine or of an SSH host (from the ssh config). */
export async function watchProcess(vsc: VSCode, pid: number, host?: string): Promise<void> {
  await runCommandWhenReady(vsc, 'VMA Lens: Watch Process…', true);
  const qi = vsc.page.locator('.quick-input-widget');
  await qi.locator('.monaco-list-row', { hasText: host ? 'SSH host' : 'This machine' }).click();
  if (host) await qi.locator('.monaco-list-row', { hasText: host }).first().click();
  // The process list comes after a listing (over ssh: a round trip): wait for its picker.
  await qi.locator('.quick-input-title', { hasText: 'Watch Process: pick a process' }).waitFor({ timeout: 30_000 });
  await qi.locator('.quick-input-box input').fill(String(pid));
  await qi
    .locator('.monaco-list-row', { hasText: `pid ${pid} ·` })
    .first()
    .waitFor({ timeout: 30_000 });
  await vsc.page.keyboard.press('Enter');
}

/** Samples the panel's accessible summary counts. */
export async function sampleCount(f: FrameLocator, timeout?: number): Promise<number> {
  return Number(await f.locator('#summary').getAttribute('data-sample-count', timeout ? { timeout } : {}));
}

/** Waits until the accessible summary counts at least `n` samples; returns the count. */
export async function waitSamples(f: FrameLocator, n: number, timeoutMs = 30_000): Promise<number> {
  let lastError = '';
  try {
    return await poll(
      () =>
        sampleCount(f, 2000).catch((e: Error) => {
          lastError = e.message.split('\n')[0]!;
          return 0;
        }),
      (c) => c >= n,
      timeoutMs,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}${lastError ? ` (last error: ${lastError})` : ''}`);
  }
}
