/**
 * A private OpenSSH server on 127.0.0.1 for capture tests: its own host key, a client key made
 * for the test, an authorized_keys file and an ssh_config, all in a temp dir. It never touches
 * the system's sshd, /etc/ssh or ~/.ssh: the client side is used through `ssh -F <config>`.
 * Needs root (PermitRootLogin prohibit-password logs in as the current user, root here).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './net';

export interface TestSshd {
  /** The alias defined in `configFile` (HostName 127.0.0.1, the port, the key, a temp known_hosts). */
  host: string;
  port: number;
  /** An ssh_config for `ssh -F`, or the extension's `vmaLens.ssh.configFile` setting. */
  configFile: string;
  dir: string;
  user: string;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const SSHD = '/usr/sbin/sshd';

/** `sshdExtra`: more sshd_config lines (a ForceCommand that plays a hostile host, say). */
export async function startSshd(alias = 'vmalens-test', sshdExtra: string[] = []): Promise<TestSshd> {
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} not found (install openssh-server: scripts/setup-deps.sh)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vma-lens-sshd-'));
  fs.chmodSync(dir, 0o700);
  const user = os.userInfo().username;
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vma-lens-test', '-f', file]);
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'id_ed25519'));
  fs.copyFileSync(path.join(dir, 'id_ed25519.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  // sshd's privilege separation wants this directory (Debian's service creates it at boot).
  if (!fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', { mode: 0o755 });
  const sshdConfig = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel ERROR',
      ...sshdExtra,
      '',
    ].join('\n'),
  );
  const configFile = path.join(dir, 'ssh_config');
  fs.writeFileSync(
    configFile,
    [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${path.join(dir, 'id_ed25519')}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  const kill = () => {
    try {
      child.kill('SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.once('exit', kill);
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start on port ${port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: alias,
    port,
    configFile,
    dir,
    user,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        kill();
        await exited;
      }
      process.removeListener('exit', kill);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
