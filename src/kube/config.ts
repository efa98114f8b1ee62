// Credentials for the API server from a kubeconfig or the Pod's service account, with eddy's
// own small loader (kubeconfig-load.ts, exec-credential.ts): @kubernetes/client-node cost
// 87 MiB of RSS for its KubeConfig class alone (ADR 8).
import fs from 'node:fs/promises';
import { ExecPlugin } from './exec-credential.ts';
import { KubeconfigError } from './kubeconfig-error.ts';
import { loadKubeconfig, parseKubeconfig, selectContext, type Env, type ResolvedConfig } from './kubeconfig-load.ts';

export interface ConnectionOptions {
  /** A kubeconfig file; when absent: KUBECONFIG, else in-cluster if running in a Pod, else ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  /** Refuse kubeconfigs with exec plugins unless allowed (Flux: --insecure-kubeconfig-exec). */
  allowExec?: boolean;
}

/** Credentials as they apply to one request: TLS material for the pool, headers for the request. */
export interface RequestAuth {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
  /** Authorization (bearer or basic); token files are re-read and exec credentials refreshed. */
  authorization?: string;
}

/** Where the host's files are and how often to look at them again (tests change these). */
export interface CredentialsHost {
  serviceAccountDir?: string;
  /** How long a token read from a file is used before the file is read again (client-go: 1 min). */
  tokenFileRefreshMs?: number;
  execTimeoutMs?: number;
  now?: () => number;
}

interface DynamicAuth {
  authorization?: string;
  cert?: string;
  key?: string;
}

/** A token file re-read periodically (bound service account tokens rotate); the last good read wins. */
class TokenFile {
  private readonly file: string;
  private readonly fallback: string | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private token: string | undefined;
  private readAt = -Infinity;

  constructor(file: string, fallback: string | undefined, host: CredentialsHost) {
    this.file = file;
    this.fallback = fallback;
    this.refreshMs = host.tokenFileRefreshMs ?? 60_000;
    this.now = host.now ?? Date.now;
  }

  async get(): Promise<string> {
    if (this.now() - this.readAt >= this.refreshMs) {
      try {
        const t = (await fs.readFile(this.file, 'utf8')).trim();
        if (t !== '') this.token = t;
      } catch (err) {
        if (this.token === undefined && this.fallback === undefined) {
          throw new KubeconfigError('FileUnreadable', `tokenFile ${this.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      this.readAt = this.now();
    }
    const token = this.token ?? this.fallback;
    if (token === undefined) throw new KubeconfigError('FileUnreadable', `tokenFile ${this.file} is empty`);
    return token;
  }
}

function authSource(r: ResolvedConfig, allowExec: boolean, env: Env, host: CredentialsHost): () => Promise<DynamicAuth> {
  const u = r.user;
  if (u.exec) {
    if (!allowExec) {
      throw new KubeconfigError('ExecRefused', `${r.origin}: the kubeconfig uses an exec plugin, which is refused unless --insecure-kubeconfig-exec is set`);
    }
    const plugin = new ExecPlugin(u.exec, { env, cluster: r.cluster, ...(host.now ? { now: host.now } : {}), ...(host.execTimeoutMs ? { timeoutMs: host.execTimeoutMs } : {}) });
    return async () => {
      const c = await plugin.get();
      return { ...(c.token !== undefined ? { authorization: `Bearer ${c.token}` } : {}), ...(c.cert !== undefined ? { cert: c.cert, key: c.key } : {}) };
    };
  }
  if (u.tokenFile !== undefined) {
    const tf = new TokenFile(u.tokenFile, u.token, host);
    return async () => ({ authorization: `Bearer ${await tf.get()}` });
  }
  let authorization: string | undefined;
  if (u.token !== undefined) authorization = `Bearer ${u.token}`;
  else if (u.username !== undefined || u.password !== undefined) {
    authorization = `Basic ${Buffer.from(`${u.username ?? ''}:${u.password ?? ''}`).toString('base64')}`;
  }
  const fixed: DynamicAuth = authorization !== undefined ? { authorization } : {};
  return () => Promise.resolve(fixed);
}

export class Credentials {
  readonly server: string;
  private readonly tls: RequestAuth;
  private readonly dynamic: () => Promise<DynamicAuth>;

  private constructor(r: ResolvedConfig, allowExec: boolean, env: Env, host: CredentialsHost) {
    this.server = r.cluster.server.replace(/\/+$/, '');
    const c = r.cluster;
    this.tls = {
      ...(c.ca ? { ca: c.ca } : {}),
      ...(r.user.cert ? { cert: r.user.cert } : {}),
      ...(r.user.key ? { key: r.user.key } : {}),
      ...(c.insecureSkipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(c.tlsServerName !== undefined ? { servername: c.tlsServerName } : {}),
    };
    this.dynamic = authSource(r, allowExec, env, host);
  }

  /** The explicit kubeconfig, else KUBECONFIG, else the Pod's service account, else ~/.kube/config. */
  static load(opts: ConnectionOptions = {}, env: Env = process.env, host: CredentialsHost = {}): Credentials {
    const resolved = loadKubeconfig({ ...opts, ...(host.serviceAccountDir ? { serviceAccountDir: host.serviceAccountDir } : {}) }, env);
    return new Credentials(resolved, opts.allowExec ?? false, env, host);
  }

  /** A kubeconfig given as text (already reduced by reduceKubeconfig when untrusted). */
  static fromString(text: string, opts: Pick<ConnectionOptions, 'allowExec' | 'context'> = {}, env: Env = process.env, host: CredentialsHost = {}): Credentials {
    const resolved = selectContext(parseKubeconfig(text, 'kubeconfig'), opts.context, 'kubeconfig');
    return new Credentials(resolved, opts.allowExec ?? false, env, host);
  }

  /** TLS material and the current Authorization header (token files re-read, exec credentials cached until expiry). */
  async forRequest(): Promise<RequestAuth> {
    const d = await this.dynamic();
    return {
      ...this.tls,
      ...(d.cert !== undefined ? { cert: d.cert, key: d.key } : {}),
      ...(d.authorization !== undefined ? { authorization: d.authorization } : {}),
    };
  }
}
