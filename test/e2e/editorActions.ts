/**
 * More workbench actions for the editor-feature tests, on top of harness.ts (which they only
 * use, never change): quick fixes, the Refactor Preview, quick picks, notifications, the active
 * editor's text and tab, the Explorer's context menu.
 */
import type { Locator } from 'playwright-core';

import { poll, type VSCode } from './harness';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const quickInput = (vsc: VSCode) => vsc.page.locator('.quick-input-widget');

/**
 * Go to Line, after closing whatever hover or widget is still up: a Go to Line opened while a
 * focused hover fades can be left inert. Tries three times.
 */
export async function goToSafely(vsc: VSCode, line: number, column = 1): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await vsc.page.keyboard.press('Escape');
    await sleep(200);
    try {
      await withTimeout(vsc.goTo(line, column), 8000);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      await vsc.page.keyboard.press('Escape');
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);
}

/** The rows of the open Quick Fix menu. */
function actionRows(vsc: VSCode): Locator {
  return vsc.page.locator('.action-widget .monaco-list-row.action');
}

/**
 * Opens the Quick Fix menu at a 1-based position and returns the titles it offers; when `pick`
 * is given, runs the first action whose title matches it.
 */
export async function quickFix(vsc: VSCode, line: number, column: number, pick?: RegExp): Promise<string[]> {
  const rows = actionRows(vsc);
  // The menu opens empty-handed (and so not at all) while the file's diagnostics are still on
  // their way, which a busy machine can stretch: ask again.
  for (let attempt = 1; ; attempt++) {
    await goToSafely(vsc, line, column);
    await command(vsc, 'Quick Fix...');
    try {
      await rows.first().waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
  const titles = (await rows.allInnerTexts()).map((t) => t.trim());
  if (!pick) {
    await vsc.page.keyboard.press('Escape');
    return titles;
  }
  const row = rows.filter({ hasText: pick }).first();
  if (!(await row.count())) {
    await vsc.page.keyboard.press('Escape');
    throw new Error(`no quick fix matches ${pick}; offered: ${JSON.stringify(titles)}`);
  }
  await row.click();
  return titles;
}

/**
 * Runs a palette command, retrying when the palette is caught closing (its input is then inert
 * and the click lands on a detached row). With `keepsInput`, for commands that open a quick pick
 * of their own, it does not wait for the quick input to close.
 */
export async function command(vsc: VSCode, title: string, opts: { keepsInput?: boolean } = {}): Promise<void> {
  const box = quickInput(vsc).locator('.quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    try {
      const inert = () => box.evaluate((el) => el.closest('[inert]') !== null, undefined, { timeout: 500 }).catch(() => false);
      await poll(inert, (x) => !x, 5000, 50);
      await vsc.page.keyboard.press('F1');
      await box.waitFor({ timeout: 5000 });
      await box.fill(`>${title}`, { timeout: 5000 });
      const row = quickInput(vsc).locator('.monaco-list-row', {
        has: vsc.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
      });
      await row.first().waitFor({ timeout: 10_000 });
      await sleep(100);
      await row.first().click({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      await vsc.page.keyboard.press('Escape');
      await sleep(500);
    }
  }
  if (!opts.keepsInput)
    await quickInput(vsc)
      .waitFor({ state: 'hidden', timeout: 10_000 })
      .catch(() => undefined);
}

/** A palette command that opens a quick pick of its own. */
export function runPickCommand(vsc: VSCode, title: string): Promise<void> {
  return command(vsc, title, { keepsInput: true });
}

/** Closes every editor, discarding unsaved untitled ones (the "Don't Save" of the dialog). */
export async function closeAllEditors(vsc: VSCode): Promise<void> {
  await command(vsc, 'View: Close All Editors');
  const dontSave = vsc.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Don't Save$/ });
  if (
    await dontSave
      .first()
      .isVisible({ timeout: 2000 })
      .catch(() => false)
  )
    await dontSave.first().click();
  else await sleep(300);
  await poll(
    () => vsc.page.locator('.editor-group-container .tabs-container .tab').count(),
    (n) => n === 0,
    10_000,
  );
}

/** Closes the editor tabs whose label matches `re` (webviews, saved files; not dirty ones). */
export async function closeTabs(vsc: VSCode, re: RegExp): Promise<void> {
  const tabs = vsc.page.locator('.tabs-container .tab').filter({ has: vsc.page.locator('.label-name', { hasText: re }) });
  for (let n = await tabs.count(); n > 0; n--) {
    const tab = tabs.first();
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await sleep(200);
  }
}

/**
 * Waits for the quick input (a quick pick) to show rows that `ok` accepts (default: any row);
 * returns the labels of its rows.
 */
export async function quickPickLabels(vsc: VSCode, ok: (labels: string[]) => boolean = (l) => l.length > 0, timeoutMs = 20_000): Promise<string[]> {
  const labels = () => quickInput(vsc).locator('.monaco-list-row .label-name').allInnerTexts();
  return poll(async () => (await labels()).map((t) => t.trim()), ok, timeoutMs);
}

/**
 * In the open quick pick: types `value` into its box (when given), then accepts the first row
 * matching `row` (or, without `row`, whatever Enter accepts).
 */
export async function quickPick(vsc: VSCode, opts: { type?: string; row?: RegExp; timeoutMs?: number }): Promise<void> {
  const box = quickInput(vsc).locator('.quick-input-box input');
  await box.waitFor({ timeout: opts.timeoutMs ?? 20_000 });
  if (opts.type !== undefined) await box.fill(opts.type);
  if (opts.row) {
    const r = quickInput(vsc).locator('.monaco-list-row', { hasText: opts.row }).first();
    await r.waitFor({ timeout: opts.timeoutMs ?? 20_000 });
    await r.click();
  } else {
    await sleep(300);
    await vsc.page.keyboard.press('Enter');
  }
}

/** Texts of the notification toasts on screen. */
export async function notifications(vsc: VSCode): Promise<string[]> {
  return vsc.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}

/** Waits for a notification whose text matches `re`; returns its text. */
export async function waitForNotification(vsc: VSCode, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const all = await poll(
    () => notifications(vsc),
    (n) => n.some((t) => re.test(t)),
    timeoutMs,
  );
  return all.find((t) => re.test(t))!;
}

/** The name on the active editor tab. */
export async function activeTab(vsc: VSCode): Promise<string> {
  const tab = vsc.page.locator('.editor-group-container.active .tabs-container .tab.active').first();
  await tab.waitFor();
  return (await tab.locator('.label-name').first().innerText()).trim();
}

/** Waits until the active tab's name matches `re`; returns it. */
export function waitForTab(vsc: VSCode, re: RegExp, timeoutMs = 20_000): Promise<string> {
  return poll(
    () => activeTab(vsc),
    (t) => re.test(t),
    timeoutMs,
  );
}

/** The whole text of the active editor (select all, copy, read the clipboard). */
export async function activeEditorText(vsc: VSCode): Promise<string> {
  await goToSafely(vsc, 1, 1);
  await vsc.page.keyboard.press('Control+A');
  await vsc.page.keyboard.press('Control+C');
  await sleep(200);
  const text = await vsc.readClipboard();
  await vsc.page.keyboard.press('Control+Home');
  return text;
}

/** Right-clicks a top-level entry of the Explorer and runs the context-menu item titled `item`. */
/** Runs an item of a file's context menu in the Explorer; returns when the item was clicked (Date.now()). */
export async function explorerContextMenu(vsc: VSCode, name: string, item: string): Promise<number> {
  const row = vsc.page
    .locator('.explorer-folders-view .monaco-list-row', { has: vsc.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) })
    .first();
  await row.waitFor({ timeout: 10_000 });
  await row.click({ button: 'right' });
  const entry = vsc.page.locator('.context-view .action-item .action-label', { hasText: new RegExp(`^${escapeRegExp(item)}$`) }).first();
  await entry.waitFor({ timeout: 10_000 });
  await entry.hover();
  const clicked = Date.now();
  await entry.click();
  // A click that lands while the menu is still animating is lost: the item is focused, so Enter.
  const menu = vsc.page.locator('.context-view .monaco-menu');
  if (await menu.isVisible().catch(() => false)) {
    await sleep(300);
    if (await menu.isVisible().catch(() => false)) await vsc.page.keyboard.press('Enter');
  }
  await menu.waitFor({ state: 'hidden', timeout: 5000 });
  return clicked;
}

/** The problems item of the status bar: [errors, warnings, infos]. */
export async function problemCounts(vsc: VSCode): Promise<[number, number, number]> {
  const item = vsc.page.locator('[id="status.problems"]').first();
  const text = (await item.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
  const n = text
    .split(' ')
    .map(Number)
    .filter((x) => !Number.isNaN(x));
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0];
}
