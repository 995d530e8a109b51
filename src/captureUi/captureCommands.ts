import * as vscode from 'vscode';
import {
  captureLocal,
  captureRemote,
  listLocalProcesses,
  listRemoteProcesses,
  sshHostsFromConfig,
  validateHost,
  validatePid,
  type Capture,
  type ProcessInfo,
  type SshOptions,
} from '../capture';
import { setting } from '../config';
import type { WatchArgs } from '../platform';
import type { WatchTarget } from '../protocol';
import { Commands, Settings } from '../constants';
import { formatCount } from '../core/format';
import { withProgress } from '../util/progress';
import { walkthroughStepDone } from '../walkthrough/progress';
import { guarded } from '../util/log';
import { openDumpText } from '../editor';
import { requireTrust } from '../util/trust';

/** "Capture from Local Process…" and "Capture from SSH Host…": pick, capture, open as a dump. */

const trusted = () => requireTrust(vscode.l10n.t('Capturing runs programs (sh, ssh): trust this workspace first (Workspaces: Manage Workspace Trust).'));

function processItem(p: ProcessInfo): vscode.QuickPickItem & { pid: number } {
  const vmas = p.vmas === undefined ? vscode.l10n.t('maps not readable') : vscode.l10n.t('{0} VMAs', formatCount(p.vmas));
  return {
    label: `${p.database ? '$(database) ' : ''}${p.comm || p.cmdline.split(' ')[0]}`,
    description: [`pid ${p.pid}`, vmas, ...(p.uid !== undefined ? [`uid ${p.uid}`] : [])].join(' · '),
    detail: p.cmdline.length > 200 ? `${p.cmdline.slice(0, 200)}…` : p.cmdline,
    pid: p.pid,
  };
}

/** A process picked from the list, or a PID typed in the filter box (also used by Watch Process). */
export async function pickProcess(list: ProcessInfo[], where: string, title = vscode.l10n.t('Capture /proc/PID/maps {0}', where)): Promise<number | undefined> {
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { pid: number }>();
  qp.title = title;
  qp.placeholder = vscode.l10n.t('Pick a process (mysqld and mariadbd first), or type a PID');
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = list.map(processItem);
  return new Promise((resolve) => {
    let done = false;
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0] ?? qp.activeItems[0];
      const typed = qp.value.trim();
      done = true;
      resolve(sel ? sel.pid : /^\d+$/.test(typed) ? Number(typed) : undefined);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

async function openCapture(c: Capture): Promise<void> {
  await openDumpText(c.text, c.fileName);
  walkthroughStepDone('captured');
}

export async function captureLocalCommand(): Promise<void> {
  if (!trusted()) return;
  const list = await withProgress(vscode.l10n.t('Listing processes…'), (signal) => listLocalProcesses({ signal }));
  const pid = await pickProcess(list, vscode.l10n.t('on this machine'));
  if (pid === undefined) return;
  const c = await withProgress(vscode.l10n.t('Capturing process {0}…', pid), (signal) => captureLocal(pid, { signal }));
  await openCapture(c);
}

export function sshOptions(): SshOptions {
  const configFile = setting<string>(Settings.sshConfigFile)?.trim();
  return {
    sudo: setting<boolean>(Settings.sshUseSudo),
    connectTimeoutSeconds: setting<number>(Settings.sshTimeout),
    ...(configFile ? { configFile } : {}),
  };
}

/** A host from ssh_config, or one typed in (also used by Watch Process). */
export async function pickHost(configFile: string | undefined, title = vscode.l10n.t('Capture over SSH: pick a host')): Promise<string | undefined> {
  const hosts = configFile ? sshHostsFromConfig(configFile) : sshHostsFromConfig();
  const qp = vscode.window.createQuickPick();
  qp.title = title;
  qp.placeholder = hosts.length
    ? vscode.l10n.t('A host from your ssh config, or type user@host')
    : vscode.l10n.t('Type a host: host, user@host or an ssh config alias');
  const fromConfig = hosts.map((h) => ({ label: h, description: vscode.l10n.t('ssh config') }));
  qp.items = fromConfig;
  qp.onDidChangeValue((v) => {
    const typed = v.trim();
    qp.items = typed && !hosts.includes(typed) ? [{ label: typed, description: vscode.l10n.t('connect to this host') }, ...fromConfig] : fromConfig;
  });
  return new Promise((resolve) => {
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve((qp.selectedItems[0] ?? qp.activeItems[0])?.label ?? (qp.value.trim() || undefined));
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

export async function captureSshCommand(): Promise<void> {
  if (!trusted()) return;
  const opts = sshOptions();
  const host = await pickHost(opts.configFile);
  if (!host) return;
  validateHost(host);
  const list = await withProgress(vscode.l10n.t('Listing processes on {0}…', host), (signal) => listRemoteProcesses(host, { ...opts, signal }));
  const pid = await pickProcess(list, vscode.l10n.t('on {0}', host));
  if (pid === undefined) return;
  const c = await withProgress(vscode.l10n.t('Capturing process {0} on {1}…', pid, host), (signal) => captureRemote(host, pid, { ...opts, signal }));
  await openCapture(c);
}

export function registerCaptureCommands(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.captureLocal, guarded(vscode.l10n.t('Capture failed'), captureLocalCommand)),
    vscode.commands.registerCommand(Commands.captureSsh, guarded(vscode.l10n.t('SSH capture failed'), captureSshCommand)),
  ];
}

/** The process "Watch Process…" samples: from `args` (tests, other commands), else the pickers. */
export async function chooseWatchTarget(args: WatchArgs | undefined): Promise<WatchTarget | undefined> {
  if (args?.pid !== undefined) {
    return { pid: validatePid(args.pid), ...(args.host ? { host: validateHost(args.host) } : {}) };
  }
  const where = await vscode.window.showQuickPick(
    [
      { label: `$(vm) ${vscode.l10n.t('This machine')}`, description: vscode.l10n.t('a local process'), remote: false },
      { label: `$(remote) ${vscode.l10n.t('SSH host…')}`, description: vscode.l10n.t('a process on another machine, over your ssh'), remote: true },
    ],
    { title: vscode.l10n.t('Watch Process'), placeHolder: vscode.l10n.t('Where does the process run?') },
  );
  if (!where) return undefined;
  const commandOf = (list: ProcessInfo[], pid: number) => list.find((p) => p.pid === pid)?.cmdline;
  if (!where.remote) {
    const list = await withProgress(vscode.l10n.t('Listing processes…'), (signal) => listLocalProcesses({ signal }));
    const pid = await pickProcess(list, vscode.l10n.t('on this machine'), vscode.l10n.t('Watch Process: pick a process on this machine'));
    if (pid === undefined) return undefined;
    const command = commandOf(list, pid);
    return { pid: validatePid(pid), ...(command ? { command } : {}) };
  }
  const opts = sshOptions();
  const host = await pickHost(opts.configFile, vscode.l10n.t('Watch Process: pick an SSH host'));
  if (!host) return undefined;
  validateHost(host);
  const list = await withProgress(vscode.l10n.t('Listing processes on {0}…', host), (signal) => listRemoteProcesses(host, { ...opts, signal }));
  const pid = await pickProcess(list, vscode.l10n.t('on {0}', host), vscode.l10n.t('Watch Process: pick a process on {0}', host));
  if (pid === undefined) return undefined;
  const command = commandOf(list, pid);
  return { host, pid: validatePid(pid), ...(command ? { command } : {}) };
}
