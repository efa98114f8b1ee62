// Shared pieces of the ssa integration tests: a client that counts its API calls, and objects.
import { KubeClient, type DeleteOptions, type KubeObject, type PatchOptions, type ReadOptions, type TypeRef } from '../../src/kube/index.ts';
import { testCluster } from '../cluster/harness.ts';

/** Counts API verbs (dry-run applies separately) so tests can pin the cost of a no-op apply. */
export class CountingClient extends KubeClient {
  readonly calls = { get: 0, dryRun: 0, apply: 0, patch: 0, delete: 0 };

  static connect(): CountingClient {
    const base = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
    return new CountingClient(base.transport, base.mapper);
  }

  reset(): void {
    for (const k of Object.keys(this.calls) as (keyof CountingClient['calls'])[]) this.calls[k] = 0;
  }

  override get<T extends KubeObject = KubeObject>(ref: TypeRef, name: string, namespace?: string, opts?: ReadOptions): Promise<T> {
    this.calls.get++;
    return super.get<T>(ref, name, namespace, opts);
  }

  override patch<T extends KubeObject = KubeObject>(ref: TypeRef, name: string, namespace: string | undefined, patch: unknown, opts: PatchOptions): Promise<T> {
    if (opts.type === 'apply') this.calls[opts.dryRun ? 'dryRun' : 'apply']++;
    else this.calls.patch++;
    return super.patch<T>(ref, name, namespace, patch, opts);
  }

  override delete(ref: TypeRef, name: string, namespace?: string, opts?: DeleteOptions): ReturnType<KubeClient['delete']> {
    this.calls.delete++;
    return super.delete(ref, name, namespace, opts);
  }
}

export function configMap(ns: string, name: string, data: Record<string, string>, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...meta }, data };
}

export function deployment(ns: string, name: string, opts: { selector?: string; replicas?: number; nodeSelector?: Record<string, string>; progressDeadlineSeconds?: number; annotations?: Record<string, string> } = {}): KubeObject {
  const app = opts.selector ?? name;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: ns, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      replicas: opts.replicas ?? 1,
      ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/example/app:1' }], ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}) },
      },
    },
  };
}
