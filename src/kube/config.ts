import { KubeConfig } from '@kubernetes/client-node';

export interface ConnectionOptions {
  /** A kubeconfig file; when absent: in-cluster if running in a Pod, else KUBECONFIG / ~/.kube/config. */
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
  /** Authorization (bearer or basic), refreshed by client-node's authenticators (exec, OIDC, SA token). */
  authorization?: string;
}

/**
 * Kubeconfig loading and authentication come from @kubernetes/client-node's KubeConfig only;
 * everything else of that package is unused (its serializer drops unknown fields).
 */
export class Credentials {
  readonly server: string;
  private readonly kc: KubeConfig;

  private constructor(kc: KubeConfig, server: string) {
    this.kc = kc;
    this.server = server.replace(/\/+$/, '');
  }

  static load(opts: ConnectionOptions = {}): Credentials {
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
    return Credentials.fromKubeConfig(kc, opts);
  }

  /** A kubeconfig given as text (already reduced by reduceKubeconfig when untrusted). */
  static fromString(text: string, opts: Pick<ConnectionOptions, 'allowExec'> = {}): Credentials {
    const kc = new KubeConfig();
    kc.loadFromString(text);
    return Credentials.fromKubeConfig(kc, opts);
  }

  private static fromKubeConfig(kc: KubeConfig, opts: ConnectionOptions): Credentials {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: no current cluster`);
    const user = kc.getCurrentUser();
    if (user?.exec && !opts.allowExec) {
      throw new Error('kubeconfig uses an exec plugin, which is refused unless --insecure-kubeconfig-exec is set');
    }
    return new Credentials(kc, cluster.server);
  }

  /** Asks client-node for the current credentials (exec and OIDC tokens are cached there). */
  async forRequest(): Promise<RequestAuth> {
    const opts: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean; servername?: string; headers?: Record<string, unknown>; auth?: string } = {};
    await this.kc.applyToHTTPSOptions(opts);
    const header = opts.headers?.['Authorization'] ?? opts.headers?.['authorization'];
    const auth: RequestAuth = {};
    if (opts.ca) auth.ca = opts.ca;
    if (opts.cert) auth.cert = opts.cert;
    if (opts.key) auth.key = opts.key;
    if (opts.rejectUnauthorized !== undefined) auth.rejectUnauthorized = opts.rejectUnauthorized;
    if (opts.servername) auth.servername = opts.servername;
    if (typeof header === 'string') auth.authorization = header;
    else if (opts.auth) auth.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return auth;
  }
}
