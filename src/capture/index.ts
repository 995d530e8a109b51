/**
 * Capture API shared by the editor commands and the timeline's live watch (no `vscode` import):
 *
 *   captureLocal(pid, { timeoutMs, file })           → Capture { text, pid, host, command, fileName }
 *   captureRemote(host, pid, { sudo, connectTimeoutSeconds, configFile, timeoutMs })
 *   listLocalProcesses() / listRemoteProcesses(host, opts) → ProcessInfo[] (mysqld/mariadbd first)
 *   sshHostsFromConfig(file?)                        → host aliases of ~/.ssh/config
 *
 * Failures throw CaptureError with a message for the user (and `kind` for code).
 */
export {
  captureLocal,
  captureLocalSync,
  captureRemote,
  CaptureError,
  dumpFileName,
  listLocalProcesses,
  listRemoteProcesses,
  parseProcessList,
  sshArgs,
  validateHost,
  validatePid,
} from './capture';
export type { Capture, CaptureErrorKind, CaptureOptions, ProcessInfo, SshOptions } from './capture';
export { CAPTURE_SCRIPT } from './script';
export { sshHostsFromConfig } from './sshConfig';
