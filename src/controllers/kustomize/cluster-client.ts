// The client a Kustomization applies with: the controller's own, impersonating the
// Kustomization's service account (or --default-service-account), or a remote cluster's from
// spec.kubeConfig.secretRef, reduced to an allow-list first. Remote clients are kept per
// Secret version so connections are reused across reconciles.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import type { SecretKeyReference } from '../../api/meta.ts';
import { KubeClient } from '../../kube/client.ts';
import { Credentials } from '../../kube/config.ts';
import { reduceKubeconfig } from '../../kube/kubeconfig-allowlist.ts';
import { isNotFound } from '../../kube/errors.ts';
import { Transport } from '../../kube/transport.ts';
import { stalling, generic } from '../shared/errors.ts';
import { Reason } from './reasons.ts';

export interface ClusterClientOptions {
  base: KubeClient;
  defaultServiceAccount?: string | undefined;
  allowExec: boolean;
  qps?: number | undefined;
  burst?: number | undefined;
}

interface Remote {
  version: string;
  client: KubeClient;
}

export class ClusterClients {
  private readonly o: ClusterClientOptions;
  private readonly remotes = new Map<string, Remote>();

  constructor(opts: ClusterClientOptions) {
    this.o = opts;
  }

  async forKustomization(obj: Kustomization): Promise<KubeClient> {
    const ns = obj.metadata.namespace ?? '';
    const ref = obj.spec.kubeConfig?.secretRef;
    const base = ref ? await this.remote(obj, ref) : this.o.base;
    const sa = obj.spec.serviceAccountName ?? this.o.defaultServiceAccount;
    if (!sa) return ref ? base.withOwnRateLimit() : base;
    // As Flux (a new client per impersonated reconcile), a tenant's reconcile has a rate limit
    // of its own rather than queueing behind every other tenant on the controller's.
    return base.impersonate({ user: `system:serviceaccount:${ns}:${sa}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] }).withOwnRateLimit();
  }

  /** The kubeconfig text and the Secret's version (clients are cached per version). */
  private async kubeconfigOf(obj: Kustomization, ref: SecretKeyReference): Promise<{ text: string; version: string; cacheKey: string }> {
    const ns = obj.metadata.namespace ?? '';
    let secret;
    try {
      secret = await this.o.base.get({ apiVersion: 'v1', kind: 'Secret' }, ref.name, ns);
    } catch (err) {
      if (isNotFound(err)) throw generic(Reason.Failed, `kubeconfig secret '${ns}/${ref.name}' not found`, err);
      throw err;
    }
    const data = (secret['data'] ?? {}) as Record<string, string>;
    const key = ref.key ?? (data['value'] !== undefined ? 'value' : 'value.yaml');
    const raw = data[key];
    if (raw === undefined) throw stalling(Reason.Failed, `kubeconfig secret '${ns}/${ref.name}' has no key '${key}'`);
    return { text: Buffer.from(raw, 'base64').toString('utf8'), version: secret.metadata.resourceVersion ?? '', cacheKey: `${ns}/${ref.name}/${key}` };
  }

  private async remote(obj: Kustomization, ref: SecretKeyReference): Promise<KubeClient> {
    const { text, version, cacheKey } = await this.kubeconfigOf(obj, ref);
    const cached = this.remotes.get(cacheKey);
    if (cached?.version === version) return cached.client;
    let creds: Credentials;
    try {
      creds = Credentials.fromString(reduceKubeconfig(text, { allowExec: this.o.allowExec }), { allowExec: this.o.allowExec });
    } catch (err) {
      throw stalling(Reason.Failed, `invalid kubeconfig in secret '${obj.metadata.namespace ?? ''}/${ref.name}': ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const client = new KubeClient(new Transport(creds, { ...(this.o.qps ? { qps: this.o.qps } : {}), ...(this.o.burst ? { burst: this.o.burst } : {}) }));
    if (cached) void cached.client.close();
    this.remotes.set(cacheKey, { version, client });
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.remotes.values()].map((r) => r.client.close()));
    this.remotes.clear();
  }
}
