/**
 * Retakes the README's screenshot (media/screenshot-editor.png): a real sample dump open in
 * VS Code with the extension installed. Not a test; run it when what the editor shows changes:
 *
 *   npm run screenshots:readme -- [samples/<file>]
 */
import * as path from 'node:path';

import { repoRoot } from './provision-code-server.mjs';
import { poll, startVSCode } from '../test/e2e/harness';

async function main(): Promise<void> {
  const file = process.argv[2] ?? 'samples/mariadbd-jemalloc.maps';
  const folder = path.join(repoRoot, path.dirname(file));
  const vsc = await startVSCode({
    folder,
    viewport: { width: 1280, height: 720 },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'editor.fontSize': 13,
      'breadcrumbs.enabled': false,
    },
  });
  try {
    await vsc.openFile(path.basename(file));
    await poll(
      () => vsc.languageName(),
      (n) => n !== 'Plain Text',
    );
    await vsc.waitForActivation();
    // Let diagnostics and decorations of the extension settle before the picture.
    await new Promise((r) => setTimeout(r, 2000));
    const out = await vsc.screenshot(path.join(repoRoot, 'media', 'screenshot-editor.png'));
    process.stdout.write(`${out}\n`);
  } finally {
    await vsc.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
