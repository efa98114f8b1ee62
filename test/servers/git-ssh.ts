// Git over SSH for tests: Debian's OpenSSH sshd on a free loopback port with its own config,
// host keys and authorized client keys, all in a temp dir. Git runs as the current (login) user
// via git-upload-pack/git-receive-pack on absolute paths, so the repos directory can be shared
// with the HTTP server.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run } from '../tools/exec.ts';
import { freePort } from '../tools/ports.ts';
import { startProcess } from '../tools/process.ts';
import { makeTempDir } from '../tools/tmp.ts';
import { bareRepoPath, initBareRepo } from './bare-repos.ts';

export const SSHD_BINARY = '/usr/sbin/sshd';

export type SshKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshKeyPair {
  type: SshKeyType;
  privateKeyPath: string;
  /** PEM text: OpenSSH format, except RSA which is PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
  privateKey: string;
  /** authorized_keys line. */
  publicKey: string;
  passphrase?: string;
}

export interface GitSshServerOptions {
  /** Serve this directory of bare repos (e.g. the HTTP server's) instead of a new one. */
  reposDir?: string;
}

export interface GitSshServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  reposDir: string;
  /** known_hosts lines, one per host key type: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  knownHosts: string;
  knownHostsFile: string;
  hostKeys: Record<SshKeyType, string>;
  /** Authorized client keys; `ed25519Passphrase` is encrypted with its `passphrase`. */
  clientKeys: Record<SshKeyType | 'ed25519Passphrase', SshKeyPair>;
  /** Environment for the git CLI: GIT_SSH_COMMAND with the ed25519 key and known_hosts. */
  gitEnv: Record<string, string>;
  /** sshd log (-e). */
  logFile: string;
  /** Creates an empty bare repo and returns its ssh:// URL. */
  createRepo(name: string, defaultBranch?: string): Promise<string>;
  /** ssh://USER@127.0.0.1:PORT/abs/path/name.git */
  repoUrl(name: string): string;
  /** A GIT_SSH_COMMAND value using the given key and known_hosts file. */
  sshCommand(privateKeyPath: string, knownHostsFile?: string): string;
  stop(): Promise<void>;
}

export async function startGitSshServer(options: GitSshServerOptions = {}): Promise<GitSshServer> {
  // On a failed start the temp dir stays, with the sshd log that the error names.
  const tmp = await makeTempDir('eddy-git-ssh-');
  const dir = tmp.path;
  const reposDir = options.reposDir ?? path.join(dir, 'repos');
  await fs.mkdir(reposDir, { recursive: true });
  const user = os.userInfo().username;
  const [hostEd25519, hostEcdsa, hostRsa, ed25519, ecdsa, rsa, ed25519Passphrase] = await Promise.all([
    generateKey(dir, 'host_ed25519', 'ed25519'),
    generateKey(dir, 'host_ecdsa', 'ecdsa'),
    generateKey(dir, 'host_rsa', 'rsa'),
    generateKey(dir, 'id_ed25519', 'ed25519'),
    generateKey(dir, 'id_ecdsa', 'ecdsa'),
    generateKey(dir, 'id_rsa', 'rsa'),
    generateKey(dir, 'id_ed25519_passphrase', 'ed25519', 'eddy-passphrase'),
  ]);
  const clientKeys = { ed25519, ecdsa, rsa, ed25519Passphrase };
  await fs.writeFile(path.join(dir, 'authorized_keys'), Object.values(clientKeys).map((k) => k.publicKey).join('\n') + '\n');

  const port = await freePort();
  const hostKeys = { ed25519: hostEd25519.publicKey, ecdsa: hostEcdsa.publicKey, rsa: hostRsa.publicKey };
  const knownHosts = Object.values(hostKeys).map((k) => `[127.0.0.1]:${port} ${stripComment(k)}`).join('\n') + '\n';
  const knownHostsFile = path.join(dir, 'known_hosts');
  await fs.writeFile(knownHostsFile, knownHosts);
  const configFile = path.join(dir, 'sshd_config');
  await fs.writeFile(configFile, sshdConfig(dir, port, user, [hostEd25519, hostEcdsa, hostRsa]));
  // Privilege separation directory, which sshd checks for even in tests; normally made by systemd.
  await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => {});

  const logFile = path.join(dir, 'sshd.log');
  const proc = await startProcess({
    name: 'sshd',
    command: SSHD_BINARY,
    args: ['-D', '-e', '-f', configFile],
    logFile,
    ready: () => sshBanner(port),
  });
  const sshCommand = (privateKeyPath: string, hostsFile = knownHostsFile): string =>
    // git runs GIT_SSH_COMMAND through a shell; the temp paths contain no quotes.
    [
      'ssh', '-F', '/dev/null', '-i', `'${privateKeyPath}'`, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile='${hostsFile}'`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    ].join(' ');
  const repoUrl = (name: string): string => `ssh://${user}@127.0.0.1:${port}${bareRepoPath(reposDir, name)}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    reposDir,
    knownHosts,
    knownHostsFile,
    hostKeys,
    clientKeys,
    gitEnv: { GIT_SSH_COMMAND: sshCommand(ed25519.privateKeyPath), GIT_SSH_VARIANT: 'ssh' },
    logFile,
    async createRepo(name, defaultBranch) {
      await initBareRepo(reposDir, name, defaultBranch);
      return repoUrl(name);
    },
    repoUrl,
    sshCommand,
    async stop() {
      await proc.stop();
      await tmp.remove();
    },
  };
}

function sshdConfig(dir: string, port: number, user: string, hostKeys: SshKeyPair[]): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...hostKeys.map((k) => `HostKey ${k.privateKeyPath}`),
    'PidFile none',
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    // The temp dir is not owned/moded the way StrictModes wants for a home directory.
    'StrictModes no',
    // Tests run as root in CI containers; keys only.
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PrintMotd no',
    'PrintLastLog no',
    // git uses it to ask for protocol v2.
    'AcceptEnv GIT_PROTOCOL',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

async function generateKey(dir: string, name: string, type: SshKeyType, passphrase?: string): Promise<SshKeyPair> {
  const file = path.join(dir, name);
  const args = ['-q', '-t', type, '-N', passphrase ?? '', '-C', `eddy-test-${name}`, '-f', file];
  if (type === 'rsa') args.push('-b', '2048', '-m', 'PEM');
  if (type === 'ecdsa') args.push('-b', '256');
  await run('ssh-keygen', args);
  const pair: SshKeyPair = {
    type,
    privateKeyPath: file,
    privateKey: await fs.readFile(file, 'utf8'),
    publicKey: (await fs.readFile(`${file}.pub`, 'utf8')).trim(),
  };
  if (passphrase !== undefined) pair.passphrase = passphrase;
  return pair;
}

function stripComment(publicKey: string): string {
  return publicKey.split(' ').slice(0, 2).join(' ');
}

/** True once the port answers with an SSH identification string. */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('SSH-2.0-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}
