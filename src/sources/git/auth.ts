// Credentials for one git operation, from the data of the Secrets a GitRepository names
// (spec.secretRef, spec.proxySecretRef), in two steps: authFromSecret() reads and checks the
// keys (pure), prepareAuth() turns them into git settings and 0600 files in the operation's
// private temp dir. Secrets reach git only through environment variables and files, never argv.
import fs from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from './exec.ts';
import { GitError } from './errors.ts';
import { basicToken, scrub } from './scrub.ts';

/** Secret.data, decoded: key → value. */
export type SecretData = Readonly<Record<string, string | Uint8Array>>;

export type HttpCredentials =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string };

export interface SshCredentials {
  /** Private key (PEM / OpenSSH). Absent: no key is offered. */
  identity?: string;
  /** Passphrase of an encrypted identity (the Secret's `password`). */
  passphrase?: string;
  knownHosts: string;
}

export interface ProxySettings {
  /** http://, https://, socks5:// … */
  address: string;
  username?: string;
  password?: string;
}

export interface GitAuth {
  http?: HttpCredentials;
  /** PEM bundle trusted for https:// (the Secret's `ca.crt`, or the older `caFile`). */
  caCert?: string;
  ssh?: SshCredentials;
  proxy?: ProxySettings;
}

export type Transport = 'http' | 'https' | 'ssh';

/** The transport of a GitRepository URL; only http(s):// and ssh:// are accepted. */
export function transportOf(url: string): Transport {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new GitError('InvalidUrl', `invalid git URL ${JSON.stringify(scrub(url))}`, { cause });
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') {
    throw new GitError('InvalidUrl', `unsupported git URL scheme '${scheme}': use http://, https:// or ssh://`);
  }
  if (parsed.hostname === '') throw new GitError('InvalidUrl', `git URL ${JSON.stringify(scrub(url))} has no host`);
  return scheme;
}

function text(data: SecretData | undefined, key: string): string | undefined {
  const v = data?.[key];
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
  return s === '' ? undefined : s;
}

/** Reads a GitRepository's auth Secret (and proxy Secret) for `url`, as Flux does. */
export function authFromSecret(url: string, secret?: SecretData, proxySecret?: SecretData): GitAuth {
  const transport = transportOf(url);
  const auth: GitAuth = {};
  if (transport === 'ssh') {
    const knownHosts = text(secret, 'known_hosts');
    if (knownHosts === undefined) {
      throw new GitError('MissingKnownHosts', "ssh:// needs a Secret with 'known_hosts' to verify the server's host key");
    }
    const identity = text(secret, 'identity');
    if (identity === undefined) throw new GitError('InvalidSecret', "invalid 'ssh' auth option: 'identity' is required");
    auth.ssh = { identity, knownHosts };
    const passphrase = text(secret, 'password');
    if (passphrase !== undefined) auth.ssh.passphrase = passphrase;
  } else {
    const username = text(secret, 'username');
    const password = text(secret, 'password');
    const token = text(secret, 'bearerToken');
    if (username === undefined && password !== undefined) {
      throw new GitError('InvalidSecret', `invalid '${transport}' auth option: 'password' requires 'username' to be set`);
    }
    if (username !== undefined && token !== undefined) {
      throw new GitError('InvalidSecret', `invalid '${transport}' auth option: basic auth and bearer token cannot be set at the same time`);
    }
    if (username !== undefined) auth.http = { type: 'basic', username, password: password ?? '' };
    else if (token !== undefined) auth.http = { type: 'bearer', token };
    const ca = text(secret, 'ca.crt') ?? text(secret, 'caFile');
    if (ca !== undefined) auth.caCert = ca;
  }
  if (proxySecret !== undefined) auth.proxy = proxyFromSecret(proxySecret);
  return auth;
}

function proxyFromSecret(data: SecretData): ProxySettings {
  const address = text(data, 'address');
  if (address === undefined) throw new GitError('InvalidSecret', "proxy Secret needs 'address'");
  try {
    new URL(address);
  } catch (cause) {
    throw new GitError('InvalidSecret', 'proxy address is not a URL', { cause });
  }
  const proxy: ProxySettings = { address };
  const username = text(data, 'username');
  const password = text(data, 'password');
  if (username !== undefined) proxy.username = username;
  if (password !== undefined) proxy.password = password;
  return proxy;
}

/** Every secret value in `auth`, for masking. */
export function secretValues(auth: GitAuth): string[] {
  const out: string[] = [];
  if (auth.http?.type === 'basic') out.push(auth.http.password, basicToken(auth.http.username, auth.http.password));
  if (auth.http?.type === 'bearer') out.push(auth.http.token);
  if (auth.ssh?.passphrase !== undefined) out.push(auth.ssh.passphrase);
  if (auth.proxy?.password !== undefined) out.push(auth.proxy.password);
  return out.filter((v) => v !== '');
}

export interface PreparedAuth {
  config: Array<[string, string]>;
  env: Record<string, string>;
  secrets: string[];
}

export interface PrepareOptions {
  /** A private (0700) directory of this operation, removed by the caller afterwards. */
  dir: string;
  pathEnv: string;
  deadline: number;
  /** SSH ConnectTimeout, seconds. */
  connectTimeoutSeconds?: number;
}

/** Writes key material into `options.dir` and returns the git settings that use it. */
export async function prepareAuth(auth: GitAuth, options: PrepareOptions): Promise<PreparedAuth> {
  const prepared: PreparedAuth = { config: [], env: {}, secrets: secretValues(auth) };
  if (auth.http?.type === 'basic') {
    prepared.config.push(['http.extraHeader', `Authorization: Basic ${basicToken(auth.http.username, auth.http.password)}`]);
  } else if (auth.http?.type === 'bearer') {
    prepared.config.push(['http.extraHeader', `Authorization: Bearer ${auth.http.token}`]);
  }
  if (auth.caCert !== undefined) {
    const file = await writePrivate(options.dir, 'ca.crt', auth.caCert);
    prepared.config.push(['http.sslCAInfo', file], ['http.sslVerify', 'true']);
  }
  if (auth.proxy !== undefined) prepared.config.push(['http.proxy', proxyUrl(auth.proxy)]);
  if (auth.ssh !== undefined) prepared.env = await prepareSsh(auth.ssh, options);
  return prepared;
}

function proxyUrl(proxy: ProxySettings): string {
  const url = new URL(proxy.address);
  if (proxy.username !== undefined) {
    url.username = encodeURIComponent(proxy.username);
    url.password = encodeURIComponent(proxy.password ?? '');
  }
  // A bare host keeps no trailing slash, which some proxies refuse.
  return url.href.replace(/\/$/, '');
}

async function prepareSsh(ssh: SshCredentials, options: PrepareOptions): Promise<Record<string, string>> {
  // git runs GIT_SSH_COMMAND through sh; these paths are quoted, so they must hold no quote.
  if (/['\\\n]/.test(options.dir)) throw new GitError('GitCommandFailed', 'temp directory path is not safe for GIT_SSH_COMMAND');
  const knownHosts = await writePrivate(options.dir, 'known_hosts', ensureNewline(ssh.knownHosts));
  const args = [
    'ssh', '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
    '-o', `UserKnownHostsFile='${knownHosts}'`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UpdateHostKeys=no',
    '-o', `ConnectTimeout=${String(options.connectTimeoutSeconds ?? 30)}`,
  ];
  if (ssh.identity !== undefined) {
    const key = await writePrivate(options.dir, 'identity', ensureNewline(ssh.identity));
    if (ssh.passphrase !== undefined) await decryptKey(key, ssh.passphrase, options);
    args.push('-i', `'${key}'`);
  } else {
    args.push('-i', '/dev/null');
  }
  return { GIT_SSH_COMMAND: args.join(' '), GIT_SSH_VARIANT: 'ssh' };
}

/**
 * Removes the passphrase from the private copy of the key, so ssh can run in batch mode.
 * The passphrase reaches ssh-keygen through an askpass program reading a 0600 file.
 */
async function decryptKey(keyFile: string, passphrase: string, options: PrepareOptions): Promise<void> {
  const passFile = await writePrivate(options.dir, 'passphrase', passphrase);
  const askpass = path.join(options.dir, 'askpass.sh');
  await fs.writeFile(askpass, `#!/bin/sh\nexec cat '${passFile}'\n`, { mode: 0o700 });
  const result = await runProcess('ssh-keygen', ['-q', '-p', '-N', '', '-f', keyFile], {
    env: { PATH: options.pathEnv, HOME: options.dir, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' },
    deadline: options.deadline,
  });
  await fs.rm(passFile, { force: true });
  if (result.exitCode !== 0) {
    const detail = scrub(result.spawnError?.message ?? result.stderr.trim(), [passphrase]);
    throw new GitError('InvalidSecret', `cannot decrypt the SSH identity with the given password: ${detail}`);
  }
}

async function writePrivate(dir: string, name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, content, { mode: 0o600, flag: 'wx' });
  return file;
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
