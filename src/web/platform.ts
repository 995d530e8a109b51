import type { Platform } from '../platform';
import { workspaceFiles } from '../workspaceFiles';

/**
 * The browser's platform (vscode.dev, github.dev, a web worker host): files through
 * `workspace.fs` only, and no processes: capture and watch are hidden.
 */
export const webPlatform: Platform = { host: 'web', files: workspaceFiles };
