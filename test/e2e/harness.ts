/**
 * End-to-end harness: the extension, packaged as a .vsix, installed into a real VS Code
 * (code-server from npm, provisioned and cached by scripts/provision-code-server.mjs) and driven
 * in Debian's Chromium through playwright-core. Reusable by every e2e test:
 *
 *   const vsc = await startVSCode({ folder, files: { 'a.maps': text }, settings: {...} });
 *   try { await vsc.openFile('a.maps'); ... } finally { await vsc.close(); }
 *
 * Each startVSCode() gets a fresh user-data folder (settings, logs, state) and a free port; the
 * build, the .vsix and its install are done once per test process (and the .vsix is only
 * re-packaged when what goes into it changed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

import { codeServerArgs, installVsix, packageExtension, provisionCodeServer, repoRoot } from '../../scripts/provision-code-server.mjs';
import { EXTENSION_ID } from '../../src/constants';
import { freePort } from '../helpers/net';

export const CHROMIUM = process.env.VMA_LENS_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-output', 'screenshots');

/** Settings that keep the workbench quiet and deterministic: no welcome page, chat, or trust prompt. */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.editor.languageDetection': false,
  'window.commandCenter': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
  'update.mode': 'none',
  'editor.minimap.enabled': false,
  'editor.hover.delay': 100,
  'files.autoSave': 'off',
};

/**
 * Which build of the extension a VS Code runs: `node`, the .vsix as released (its `main` runs in
 * code-server's Node extension host), or `web`, the same .vsix with `main` removed from its
 * package.json, so that only its `browser` entry can run: in the browser's web worker host, as in
 * vscode.dev.
 */
export type Build = 'node' | 'web';
/** The builds the parameterised e2e tests run against: VMA_LENS_E2E_BUILDS=node,web (the default). */
export const E2E_BUILDS: readonly Build[] = (process.env.VMA_LENS_E2E_BUILDS ?? 'node,web')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is Build => b === 'node' || b === 'web');

export interface StartOptions {
  /** The build to install (default `node`). */
  build?: Build;
  /** Folder to open; created when missing. */
  folder: string;
  /** Written over DEFAULT_SETTINGS into User/settings.json. */
  settings?: Record<string, unknown>;
  /** Files to write into the folder before starting: relative path → content. */
  files?: Record<string, string>;
  viewport?: { width: number; height: number };
  /**
   * Workspace trust on, as in a default VS Code, with the folder not trusted (Restricted Mode)
   * and no start-up prompt; the test grants or withdraws trust through the workbench.
   */
  untrusted?: boolean;
}

/** Settings for a window with workspace trust on and no prompt: the folder opens in Restricted Mode. */
const UNTRUSTED_SETTINGS: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
};

/** One entry of the Problems panel, as the panel shows it. */
export interface Problem {
  severity: 'error' | 'warning' | 'info' | 'unknown';
  message: string;
  /** Diagnostic source, e.g. "vma-lens". */
  source: string;
  /** Diagnostic code ('' when none). */
  code: string;
  line: number | undefined;
  column: number | undefined;
  /** File name of the resource row the entry belongs to. */
  file: string;
  /** The panel offers a quick fix (lightbulb) for it. */
  hasFix: boolean;
}

/** What startVSCode() made: the page, where things are, and how to stop it. */
interface Parts {
  build: Build;
  /** Lines of the browser's console (see consoleLog()). */
  consoleLines: string[];
  page: Page;
  context: BrowserContext;
  url: string;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  /** Stops Chromium and code-server (and everything code-server started). Safe to call twice. */
  close: () => Promise<void>;
}

export interface VSCode extends Readonly<Omit<Parts, 'consoleLines'>> {
  /** Opens a file of the folder through Quick Open (Ctrl+P) and waits for its editor. */
  openFile(relPath: string): Promise<void>;
  /** Opens a file by clicking through the Explorer tree (folders are expanded on the way). */
  openFromExplorer(relPath: string): Promise<void>;
  /** Runs a command by its palette title (F1), e.g. "VMA Lens: Analyze Dump". */
  runCommand(title: string): Promise<void>;
  /**
   * Runs a command that opens a quick pick or input of its own (runCommand would wait for the
   * quick input to close): returns as soon as the palette has given way to it.
   */
  startCommand(title: string): Promise<void>;
  /** Opens a new untitled editor; types or pastes `text` into it when given. */
  newUntitled(text?: string, how?: 'paste' | 'type'): Promise<void>;
  /** Moves the cursor with Go to Line (Ctrl+G); 1-based. */
  goTo(line: number, column?: number): Promise<void>;
  /** Texts of all status bar items, left to right. */
  statusBarText(): Promise<string[]>;
  /** The language name shown in the status bar ("Proc Maps"). */
  languageName(): Promise<string>;
  /** Distinct foreground colours of the tokens of a rendered line (1-based) of the active editor. */
  editorTokens(line: number): Promise<string[]>;
  /** Text of the rendered line (1-based) of the active editor, with the tokens it is made of. */
  editorLine(line: number): Promise<{ text: string; tokens: { text: string; color: string }[] }>;
  /** Shows the hover at a 1-based position (by keyboard) and returns its text ('' if none). */
  hover(line: number, column: number): Promise<string>;
  /** Entries of the Problems panel (opens it). */
  problems(): Promise<Problem[]>;
  /** The DOM of the active webview's content. */
  webviewFrame(): FrameLocator;
  /** Saves a PNG into test-output/screenshots/ (or `file` when absolute); returns the path. */
  screenshot(name: string): Promise<string>;
  /** All extension host log text of this session. */
  extensionLog(): string;
  /** Error entries (with their stack lines) of the extension host log that concern our extension. */
  extensionErrors(): string[];
  /** Waits until the extension host log says our extension was activated; returns that line. */
  waitForActivation(timeoutMs?: number): Promise<string>;
  /** Activation time of our extension in ms as "Developer: Show Running Extensions" shows it. */
  activationTime(): Promise<number | undefined>;
  /** Our extension's row of "Developer: Show Running Extensions" (names its host: "web worker" for the browser's). */
  runningExtension(): Promise<string>;
  /** Messages of the browser's console (the web worker extension host reports there), `type: text`. */
  consoleLog(): string[];
  writeClipboard(text: string): Promise<void>;
  readClipboard(): Promise<string>;
}

// --- once per test process -------------------------------------------------------------------

const prepared = new Map<Build, Promise<{ codeServerBin: string; extensionsDir: string }>>();

/** Provisions code-server, packages the extension and installs it, once per process and build. */
function prepare(build: Build): Promise<{ codeServerBin: string; extensionsDir: string }> {
  let p = prepared.get(build);
  if (!p) {
    p = (async () => {
      const { codeServerBin } = await provisionCodeServer();
      const { vsix } = await packageExtension({ quiet: true });
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `vma-lens-e2e-ext-${build}-`));
      const extensionsDir = path.join(root, 'extensions');
      await installVsix({ vsix, userDataDir: path.join(root, 'install-user-data'), extensionsDir });
      process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
      if (build === 'web') webOnly(extensionsDir);
      return { codeServerBin, extensionsDir };
    })();
    prepared.set(build, p);
  }
  return p;
}

/** The installed extension made browser-only: its package.json without `main`. */
function webOnly(extensionsDir: string): void {
  const dir = fs.readdirSync(extensionsDir).find((d) => d.startsWith(`${EXTENSION_ID}-`));
  if (!dir) throw new Error(`${EXTENSION_ID} is not installed in ${extensionsDir}`);
  const manifest = path.join(extensionsDir, dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { main?: string; browser?: string; extensionKind?: string[] };
  if (!pkg.browser || !fs.existsSync(path.join(extensionsDir, dir, pkg.browser))) throw new Error(`the .vsix has no browser entry (${pkg.browser})`);
  delete pkg.main;
  // "workspace" first would place it in code-server's Node host (which vscode.dev does not have);
  // without the key, a browser-only extension is of kind "web".
  delete pkg.extensionKind;
  fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2));
}

async function waitHealthy(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`code-server did not answer on port ${port}:\n${output()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `get` until `ok` accepts its value (the workbench updates asynchronously: language
 * mode, diagnostics, logs); returns that value, or throws with the last one seen.
 */
export async function poll<T>(get: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(intervalMs);
  }
}

/** Kills a whole process group; code-server's children (extension host, pty host) go with it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Children still running when the test process exits (a test threw before close()). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});

// --- one VS Code -----------------------------------------------------------------------------

export async function startVSCode(opts: StartOptions): Promise<VSCode> {
  const build = opts.build ?? 'node';
  const { codeServerBin, extensionsDir } = await prepare(build);
  const folder = path.resolve(opts.folder);
  fs.mkdirSync(folder, { recursive: true });
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    const file = path.join(folder, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-e2e-user-'));
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.untrusted ? UNTRUSTED_SETTINGS : {}), ...opts.settings }, null, 2),
  );

  const port = await freePort();
  let output = '';
  const server = spawn(
    codeServerBin,
    codeServerArgs({ port, userDataDir, extensionsDir, folder, workspaceTrust: opts.untrusted === true }),
    // Own process group so close() can end everything it started with one signal.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(server);
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);

  let browser: Browser | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await browser?.close().catch(() => undefined);
    killGroup(server, 'SIGTERM');
    const exited = new Promise<void>((r) => {
      if (server.exitCode !== null || server.signalCode !== null) r();
      else server.once('exit', () => r());
    });
    await Promise.race([exited, sleep(5000)]);
    killGroup(server, 'SIGKILL'); // stragglers of the group
    live.delete(server);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };

  try {
    await waitHealthy(port, server, () => output);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const url = `http://127.0.0.1:${port}/?folder=${folder}`;
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => void consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('worker', (w) => w.on('console', (m) => void consoleLines.push(`${m.type()}: ${m.text()}`)));
    await page.goto(url);
    // The workbench is usable once the explorer has rendered the folder.
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view').waitFor({ timeout: 60_000 });
    return new VSCodeSession({ build, consoleLines, page, context, url, folder, userDataDir, extensionsDir, close });
  } catch (e) {
    await close();
    throw e;
  }
}

// The parts a session is made of are its own readonly fields (declaration merging: no second list).
interface VSCodeSession extends Readonly<Parts> {}

/** One running VS Code: code-server and the Chromium page that drives it. */
class VSCodeSession implements VSCode {
  private readonly quickInput: Locator;
  private readonly quickInputBox: Locator;
  private readonly activeEditor: Locator;

  constructor(p: Parts) {
    Object.assign(this, p);
    this.quickInput = this.page.locator('.quick-input-widget');
    this.quickInputBox = this.quickInput.locator('.quick-input-box input');
    this.activeEditor = this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /**
   * Focuses the active editor so editor keybindings apply to it. A click, because its input
   * element (a textarea or an EditContext div) depends on the VS Code version and settings.
   */
  private async focusEditor() {
    const lines = this.activeEditor.locator('.view-lines').first();
    await lines.waitFor();
    const box = await lines.boundingBox();
    // Middle, below the first line: clear of the untitled hint's links and of the overview ruler.
    if (box) await this.page.mouse.click(box.x + box.width / 2, box.y + Math.min(box.height - 5, 60));
  }

  async startCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    await this.quickInputBox.waitFor();
    await this.quickInputBox.fill(`>${title}`);
    // Pick the entry whose label is exactly the title, not just the first fuzzy match.
    const row = this.quickInput.locator('.monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
    });
    try {
      await row.first().waitFor({ timeout: 10_000 });
    } catch {
      const seen = await this.quickInput.locator('.monaco-list-row .label-name').allInnerTexts();
      await this.page.keyboard.press('Escape');
      throw new Error(`no command titled "${title}" in the palette; it offers: ${JSON.stringify(seen)}`);
    }
    // A busy workbench can keep re-rendering the list, so that a click never finds the row
    // stable: when the wanted row is the focused one, Enter runs it just as well.
    const focused = await this.quickInput
      .locator('.monaco-list-row.focused .label-name')
      .first()
      .innerText({ timeout: 1000 })
      .catch(() => '');
    if (focused.trim() === title) await this.page.keyboard.press('Enter');
    else await row.first().click();
    // Done when the palette (its input starts with ">") is gone: hidden, or replaced by the command's own picker.
    await poll(
      async () => !(await this.quickInput.isVisible()) || !(await this.quickInputBox.inputValue().catch(() => '')).startsWith('>'),
      (gone) => gone,
      10_000,
      50,
    ).catch(() => undefined);
  }

  async runCommand(title: string): Promise<void> {
    await this.startCommand(title);
    await this.quickInput.waitFor({ state: 'hidden' }).catch(() => undefined);
  }

  private async lineInfo(line: number) {
    await this.activeEditor.locator('.view-lines').first().waitFor();
    return this.activeEditor.evaluate((root, wanted) => {
      // View lines are positioned by `top`; the line-number gutter tells which line sits there.
      const tops = new Map<string, number>();
      for (const el of root.querySelectorAll<HTMLElement>('.margin-view-overlays > div')) {
        const n = Number(el.querySelector('.line-numbers')?.textContent?.trim());
        if (n) tops.set(el.style.top, n);
      }
      for (const el of root.querySelectorAll<HTMLElement>('.view-lines > .view-line')) {
        if (tops.get(el.style.top) !== wanted) continue;
        const tokens = [...el.querySelectorAll<HTMLElement>(':scope > span > span')].map((s) => ({
          text: s.textContent ?? '',
          color: getComputedStyle(s).color,
        }));
        return { text: el.textContent ?? '', tokens };
      }
      return undefined;
    }, line);
  }

  async goTo(line: number, column = 1): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+G');
    await this.quickInputBox.waitFor();
    await this.quickInputBox.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' }).catch(() => undefined);
  }

  async openFile(relPath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.quickInputBox.waitFor();
    await this.quickInputBox.fill(relPath);
    const base = path.basename(relPath);
    // Wait until the file search has found it, then open the first (best) match.
    await this.quickInput
      .locator('.monaco-list-row .label-name', { hasText: new RegExp(`^${escapeRegExp(base)}$`) })
      .first()
      .waitFor({ timeout: 20_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tabs-container .tab.active[data-resource-name="${base}"]`).waitFor();
    await this.activeEditor.locator('.view-lines .view-line').first().waitFor();
  }

  async openFromExplorer(relPath: string): Promise<void> {
    const tree = this.page.locator('.explorer-folders-view');
    const parts = relPath.split('/');
    for (const [i, name] of parts.entries()) {
      const row = tree
        .locator('.monaco-list-row', {
          has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }),
        })
        .first();
      await row.waitFor({ timeout: 10_000 });
      const isFolder = i < parts.length - 1;
      // A collapsed folder expands on click; an expanded one would collapse, so leave it.
      if (isFolder && (await row.getAttribute('aria-expanded')) === 'true') continue;
      await row.click();
    }
    await this.page.locator(`.tabs-container .tab.active[data-resource-name="${parts.at(-1)}"]`).waitFor();
    await this.activeEditor.locator('.view-lines .view-line').first().waitFor();
  }

  async newUntitled(text?: string, how: 'paste' | 'type' = 'paste'): Promise<void> {
    await this.runCommand('File: New Untitled Text File');
    await this.page.locator('.tabs-container .tab.active', { hasText: /Untitled-\d+/ }).waitFor();
    await this.focusEditor();
    if (text === undefined) return;
    if (how === 'type') {
      await this.page.keyboard.insertText(text);
    } else {
      await this.writeClipboard(text);
      await this.page.keyboard.press('Control+V');
    }
    const firstLine = text.split('\n')[0]!.slice(0, 20);
    await this.activeEditor.locator('.view-line', { hasText: firstLine }).first().waitFor();
  }

  async statusBarText(): Promise<string[]> {
    return this.page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  }

  async languageName(): Promise<string> {
    const item = this.page.locator('[id="status.editor.mode"]');
    await item.waitFor();
    return (await item.innerText()).trim();
  }

  async editorTokens(line: number): Promise<string[]> {
    const info = await this.lineInfo(line);
    if (!info) throw new Error(`line ${line} is not rendered in the active editor`);
    return [...new Set(info.tokens.filter((t) => t.text.trim() !== '').map((t) => t.color))];
  }

  async editorLine(line: number): Promise<{ text: string; tokens: { text: string; color: string }[] }> {
    const info = await this.lineInfo(line);
    if (!info) throw new Error(`line ${line} is not rendered in the active editor`);
    return info;
  }

  async hover(line: number, column: number): Promise<string> {
    await this.goTo(line, column);
    await this.runCommand('Show or Focus Hover'); // editor.action.showHover, at the cursor
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
    try {
      await hover.first().waitFor({ timeout: 5000 });
    } catch {
      return '';
    }
    return (await hover.allInnerTexts()).join('\n').trim();
  }

  async problems(): Promise<Problem[]> {
    await this.runCommand('Problems: Focus on Problems View');
    const panel = this.page.locator('.markers-panel');
    await panel.waitFor();
    // Rows render lazily; give the view a moment after the diagnostics arrive.
    await sleep(300);
    // No named helper functions inside evaluate(): tsx would wrap them in a `__name()` call
    // that does not exist in the this.page.
    return panel.evaluate((root) => {
      const out: Problem[] = [];
      let file = '';
      for (const row of root.querySelectorAll<HTMLElement>('.monaco-list-row')) {
        // A resource row (the file) heads the marker rows below it.
        if (row.querySelector('.resource-label-container')) {
          file = row.querySelector('.label-name')?.textContent?.trim() ?? '';
          continue;
        }
        const icon = row.querySelector('.marker-icon')?.className ?? '';
        const where = /Ln (\d+), Col (\d+)/.exec(row.querySelector('.marker-line')?.textContent ?? '');
        out.push({
          severity: /\berror\b/.test(icon) ? 'error' : /\bwarning\b/.test(icon) ? 'warning' : /\binfo\b/.test(icon) ? 'info' : 'unknown',
          message: row.querySelector('.marker-message')?.textContent?.trim() ?? '',
          source: row.querySelector('.marker-source')?.textContent?.trim() ?? '',
          code: row.querySelector('.marker-code')?.textContent?.trim() ?? '',
          line: where ? Number(where[1]) : undefined,
          column: where ? Number(where[2]) : undefined,
          file,
          hasFix: row.querySelector('.marker-icon.quickFix, .markers-panel-action-quickfix') !== null,
        });
      }
      return out;
    });
  }

  webviewFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  async screenshot(name: string): Promise<string> {
    const file = path.isAbsolute(name) ? name : path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }

  extensionLog(): string {
    return readLogs(path.join(this.userDataDir, 'logs'), (f) => /exthost/i.test(f));
  }

  extensionErrors(): string[] {
    // An entry starts with a timestamp; stack lines of an error follow it without one.
    const entries: string[] = [];
    for (const line of this.extensionLog().split('\n')) {
      if (/^\d{4}-\d\d-\d\d /.test(line) || line.startsWith('--- ')) entries.push(line);
      else if (entries.length) entries[entries.length - 1] += `\n${line}`;
    }
    return entries.filter((e) => /^\S+ \S+ \[error\]/.test(e) && e.includes(EXTENSION_ID));
  }

  async waitForActivation(timeoutMs = 20_000): Promise<string> {
    const activated = new RegExp(`_doActivateExtension ${escapeRegExp(EXTENSION_ID)}\\b.*`);
    return poll(
      () => activated.exec(this.extensionLog())?.[0],
      (line) => line !== undefined,
      timeoutMs,
    )
      .then((line) => line as string)
      .catch(() => {
        throw new Error(`${EXTENSION_ID} was not activated within ${timeoutMs} ms; log:\n${this.extensionLog()}`);
      });
  }

  async activationTime(): Promise<number | undefined> {
    const m = /Activation:\s*(\d+)\s*ms/i.exec(await this.runningExtension());
    return m ? Number(m[1]) : undefined;
  }

  consoleLog(): string[] {
    return [...this.consoleLines];
  }

  async runningExtension(): Promise<string> {
    await this.runCommand('Developer: Show Running Extensions');
    const editor = this.page.locator('.runtime-extensions-editor');
    await editor.waitFor();
    // The list is virtualised and sorted slowest first: scroll until our row is rendered.
    const row = editor.locator('.monaco-list-row', { hasText: 'VMA Lens' }).first();
    let text: string | undefined;
    for (let i = 0; i < 30 && text === undefined; i++) {
      if (await row.count()) text = await row.innerText();
      else {
        await editor.locator('.monaco-list').first().hover();
        await this.page.mouse.wheel(0, 300);
        await sleep(100);
      }
    }
    // It opens as a modal editor, which takes the keyboard until Escape closes it.
    await this.page.keyboard.press('Escape');
    await editor.waitFor({ state: 'hidden' }).catch(() => undefined);
    return text ?? '';
  }

  async writeClipboard(text: string): Promise<void> {
    await this.page.evaluate((t) => navigator.clipboard.writeText(t), text);
  }

  async readClipboard(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }
}

/** Concatenates the log files under `dir` whose path matches `pick`, oldest session first. */
function readLogs(dir: string, pick: (relPath: string) => boolean): string {
  if (!fs.existsSync(dir)) return '';
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((rel) => rel.endsWith('.log') && pick(rel)).sort();
  return files.map((rel) => `--- ${rel}\n${fs.readFileSync(path.join(dir, rel), 'utf8')}`).join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A temp folder for a test's dumps, removed at process exit. */
export function tempFolder(prefix = 'vma-lens-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** This process's own maps: a real dump made on the spot, not a hard-coded one. */
export function ownMaps(): string {
  return fs.readFileSync('/proc/self/maps', 'utf8');
}
