import type { KubeClient } from '../../kube/client.ts';
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import { SharedInformer, type Indexers } from '../informer/index.ts';
import type { Logger } from '../queue/logger.ts';

export interface InformerKey {
  ref: TypeRef;
  namespace?: string;
  labelSelector?: string;
  metadataOnly?: boolean;
}

/**
 * One shared informer per kind, namespace, label selector and mode: every controller that
 * watches ConfigMaps shares one LIST+WATCH and one cache.
 */
export class InformerCache {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started: AbortSignal | undefined;

  constructor(client: KubeClient, log: Logger) {
    this.client = client;
    this.log = log;
  }

  get<T extends KubeObject>(key: InformerKey, indexers?: Indexers<T>): SharedInformer<T> {
    const id = [key.ref.apiVersion, key.ref.kind, key.namespace ?? '', key.labelSelector ?? '', key.metadataOnly ? 'meta' : 'full'].join('|');
    let inf = this.informers.get(id) as SharedInformer<T> | undefined;
    if (inf && indexers) {
      // A second user of the same informer may bring indexes of its own.
      const store = inf.store;
      inf.store.addIndexers(Object.fromEntries(Object.entries(indexers).filter(([name]) => !store.hasIndex(name))));
    } else if (!inf) {
      inf = new SharedInformer<T>({
        lw: this.client.listerWatcher<T>(key.ref, { metadataOnly: key.metadataOnly ?? false }),
        name: `${key.ref.kind}.${key.ref.apiVersion}`,
        ...(key.namespace ? { namespace: key.namespace } : {}),
        ...(key.labelSelector ? { labelSelector: key.labelSelector } : {}),
        ...(indexers ? { indexers } : {}),
        log: this.log.child({ informer: key.ref.kind }),
      });
      this.informers.set(id, inf as unknown as SharedInformer<KubeObject>);
      // An informer asked for after start (e.g. by a late controller) starts at once.
      if (this.started) void inf.start(this.started);
    }
    return inf;
  }

  /** Starts every informer and resolves once all have synced (false if aborted first). */
  async start(signal: AbortSignal): Promise<boolean> {
    this.started = signal;
    for (const inf of this.informers.values()) void inf.start(signal);
    const synced = await Promise.all([...this.informers.values()].map((inf) => inf.waitForSync(signal)));
    return synced.every(Boolean);
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((inf) => inf.hasSynced());
  }
}
