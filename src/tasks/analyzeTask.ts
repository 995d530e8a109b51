import * as vscode from 'vscode';
import { TaskTypes } from '../constants';

/** What a `vma-lens` task in tasks.json holds (package.json's taskDefinitions spells the same). */
export interface AnalyzeTaskDefinition extends vscode.TaskDefinition {
  type: typeof TaskTypes.analyze;
  /** A dump file or a glob of dump files, relative to the workspace folder. */
  files: string;
  maxMapCount?: number;
}

/** The dumps a provided task analyses: the names the timeline's folder reader takes, minus *.txt. */
export const DEFAULT_DUMP_GLOB = '**/{maps,smaps,smaps_rollup,*.maps,*.smaps,*.pmap}';
/** A command line of this many paths stays far below Linux's 2 MiB for arguments. */
const MAX_FILES = 10_000;
const EXCLUDE = '**/{node_modules,.git}/**';

/**
 * Tasks of type `vma-lens`: the CLI twin (dist/cli.js) run as `analyze --format problems` on the
 * dumps of a workspace folder, its output read by the `$vma-lens` problem matcher, so findings
 * land in the Problems panel on the dumps' lines without opening them. The glob is expanded each
 * time VS Code asks for the task (Run Task lists or resolves it), so new captures are included; the
 * paths passed are relative to the folder, as the matcher's `fileLocation` reads them.
 */
export class AnalyzeTaskProvider implements vscode.TaskProvider {
  constructor(private readonly cliPath: string) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue; // the CLI reads local files
      const def: AnalyzeTaskDefinition = { type: TaskTypes.analyze, files: DEFAULT_DUMP_GLOB };
      tasks.push(await this.task(def, folder));
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const def = task.definition as AnalyzeTaskDefinition;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (typeof def.files !== 'string' || !folder || folder.uri.scheme !== 'file') return undefined;
    return this.task(def, folder);
  }

  private async task(def: AnalyzeTaskDefinition, folder: vscode.WorkspaceFolder): Promise<vscode.Task> {
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, def.files), EXCLUDE, MAX_FILES);
    // Nothing matched: the glob itself goes to the CLI, which says it cannot read it (in the terminal).
    const files = found.length ? found.map((u) => vscode.workspace.asRelativePath(u, false)).sort() : [def.files];
    const args = [this.cliPath, 'analyze', '--format', 'problems'];
    if (def.maxMapCount) args.push('--max-map-count', String(def.maxMapCount));
    // Desktop VS Code's execPath is Electron: ELECTRON_RUN_AS_NODE makes it the Node the CLI needs.
    const exec = new vscode.ProcessExecution(process.execPath, [...args, '--', ...files], {
      cwd: folder.uri.fsPath,
      env: { ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
    });
    const task = new vscode.Task(def, folder, `analyze ${def.files}`, TaskTypes.analyze, exec, ['$vma-lens']);
    task.group = vscode.TaskGroup.Test;
    task.detail = vscode.l10n.t('VMA Lens findings of the dumps into the Problems panel');
    return task;
  }
}

export function registerTasks(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.tasks.registerTaskProvider(TaskTypes.analyze, new AnalyzeTaskProvider(context.asAbsolutePath('dist/cli.js'))));
}
