// One git operation's private context: a 0700 temp dir (HOME, key files), the prepared
// credentials and the deadline, removed when the operation ends, whatever the outcome.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareAuth, transportOf } from './auth.ts';
import type { GitAuth, Transport } from './auth.ts';
import type { GitContext } from './git-command.ts';

export interface GitClientOptions {
  /** Default `git`. */
  gitBinary?: string;
  /** PATH for git, ssh and ssh-keygen. Default: the standard system directories. */
  pathEnv?: string;
  /** Parent of the per-operation temp dirs. Default os.tmpdir(). */
  tmpDir?: string;
  /** Allow file:// remotes (and submodules); only for tests of local repositories. */
  allowFileProtocol?: boolean;
  /** Git wire protocol version; default 2. Version 0 servers may refuse fetching a commit by id. */
  protocolVersion?: 0 | 1 | 2;
}

export interface RemoteOptions extends GitClientOptions {
  /** http(s):// or ssh:// URL of the repository. */
  url: string;
  auth?: GitAuth;
  /** For the whole operation (Flux's spec.timeout, default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Operation {
  ctx: GitContext;
  /** The URL git is given: credentials a user put into it moved into `auth`. */
  url: string;
  transport: Transport;
}

/** Runs `fn` with a prepared operation and always removes its temp dir. */
export async function withOperation<T>(options: RemoteOptions, fn: (op: Operation) => Promise<T>): Promise<T> {
  const transport = transportOf(options.url);
  const { url, auth } = moveUrlCredentials(options.url, transport, options.auth ?? {});
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const pathEnv = options.pathEnv ?? DEFAULT_PATH;
  const dir = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'eddy-git-op-'));
  try {
    await fs.chmod(dir, 0o700);
    const home = path.join(dir, 'home');
    await fs.mkdir(home, { mode: 0o700 });
    const prepared = await prepareAuth(auth, {
      dir,
      pathEnv,
      deadline,
      connectTimeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)),
    });
    const ctx: GitContext = {
      gitBinary: options.gitBinary ?? 'git',
      pathEnv,
      home,
      config: prepared.config,
      env: prepared.env,
      secrets: prepared.secrets,
      deadline,
      allowFileProtocol: options.allowFileProtocol === true,
    };
    if (options.signal) ctx.signal = options.signal;
    if (options.protocolVersion !== undefined) ctx.protocolVersion = options.protocolVersion;
    return await fn({ ctx, url, transport });
  } finally {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * http(s) credentials written into the URL would sit in argv and .git/config; they become a
 * Basic header instead (a Secret's credentials win), and the URL git sees has no userinfo.
 */
export function moveUrlCredentials(url: string, transport: Transport, auth: GitAuth): { url: string; auth: GitAuth } {
  if (transport === 'ssh') return { url, auth };
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url, auth };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const next: GitAuth = auth.http ? auth : { ...auth, http: { type: 'basic', username, password } };
  return { url: parsed.href, auth: next };
}

