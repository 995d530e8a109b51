/**
 * The extension in a real VS Code (code-server + Chromium): dumps are recognised and coloured,
 * by file name and by first line, and the extension activates without errors.
 *
 * The dumps are made on the spot from this test process (/proc/self/maps, smaps, `pmap -x`),
 * so nothing here depends on one machine's layout or on the theme's exact colours.
 *
 * Run: npm run test:e2e   (first run provisions code-server: ~2 min)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { ownMaps, poll, startVSCode, tempFolder, type VSCode } from './harness';

/** Distinct token colours a coloured maps line shows at least (address, perms, path, ...). */
const MIN_COLOURS = 4;

const maps = ownMaps();
const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
const pmap = execFileSync('pmap', ['-x', String(process.pid)], { encoding: 'utf8' });

/** First line (1-based) of the dump that names a path, so every column is present. */
function lineWithPath(text: string): number {
  const i = text.split('\n').findIndex((l) => / \/\S+$/.test(l));
  assert.ok(i >= 0, 'own maps has a line with a path');
  return i + 1;
}

describe('VMA Lens in VS Code', { timeout: 300_000 }, () => {
  let vsc: VSCode;

  before(async () => {
    vsc = await startVSCode({
      folder: tempFolder(),
      files: {
        'self.maps': maps,
        [`proc/${process.pid}/maps`]: maps,
        [`proc/${process.pid}/smaps`]: smaps,
        'self.pmap': pmap,
      },
    });
  });

  after(async () => {
    await vsc?.close();
  });

  it('colours a maps dump opened from the Explorer and names its language', async (t) => {
    await vsc.openFromExplorer('self.maps');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Maps',
      ),
      'Proc Maps',
    );
    const line = lineWithPath(maps);
    const colours = await poll(
      () => vsc.editorTokens(line),
      (c) => c.length >= MIN_COLOURS,
    );
    t.diagnostic(`line ${line}: ${colours.length} colours`);
    assert.ok(colours.length >= MIN_COLOURS, `only ${colours.length} colours on line ${line}`);
    await vsc.screenshot('basic-maps-explorer');
  });

  it('recognises a file named `maps` opened with Quick Open', async () => {
    await vsc.openFile(`proc/${process.pid}/maps`);
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Maps',
      ),
      'Proc Maps',
    );
    const colours = await vsc.editorTokens(lineWithPath(maps));
    assert.ok(colours.length >= MIN_COLOURS, `only ${colours.length} colours`);
  });

  it('recognises smaps and pmap output by file name', async () => {
    await vsc.openFile(`proc/${process.pid}/smaps`);
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Smaps',
      ),
      'Proc Smaps',
    );
    await vsc.openFile('self.pmap');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Pmap Output',
      ),
      'Pmap Output',
    );
    // pmap -x: header, then one row per mapping; a row has several coloured columns.
    assert.ok((await vsc.editorTokens(3)).length >= 2, 'pmap rows are coloured');
  });

  it('recognises a dump pasted into an untitled editor by its first line', async () => {
    const head = maps.split('\n').slice(0, 12).join('\n');
    await vsc.newUntitled(head, 'paste');
    assert.equal(
      await poll(
        () => vsc.languageName(),
        (n) => n === 'Proc Maps',
      ),
      'Proc Maps',
    );
    const colours = await poll(
      () => vsc.editorTokens(1),
      (c) => c.length >= MIN_COLOURS,
    );
    assert.ok(colours.length >= MIN_COLOURS, `only ${colours.length} colours on the pasted line`);
    await vsc.screenshot('basic-untitled-paste');
  });

  it('activates without errors in the extension host log', async (t) => {
    const line = await vsc.waitForActivation();
    assert.match(line, /activationEvent: 'onLanguage:(procmaps|procsmaps|pmap)'/);
    assert.deepEqual(vsc.extensionErrors(), []);
    const ms = await vsc.activationTime();
    t.diagnostic(`activation time (Running Extensions): ${ms ?? '?'} ms`);
  });
});
