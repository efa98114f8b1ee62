import type { KubeObject, TypeRef } from '../../kube/types.ts';
import type { Indexers } from '../informer/index.ts';
import { Controller, type ControllerOptions, type Reconciler } from '../queue/controller.ts';
import type { Request } from '../queue/request.ts';
import { defaultControllerRateLimiter } from '../queue/rate-limiter.ts';
import type { ObjectEvent, Predicate } from './predicates.ts';
import type { InformerCache, InformerKey } from './informers.ts';

export type MapFunc = (obj: KubeObject) => Request[];

interface Watch {
  key: InformerKey;
  map: MapFunc;
  predicates: Predicate[];
}

export type BuilderOptions = Omit<ControllerOptions, 'name' | 'reconciler' | 'metrics' | 'registry' | 'log' | 'rateLimiter'> & {
  /** Per-item retry backoff bounds (Flux's --min-retry-delay / --max-retry-delay). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
};

/** Where built controllers go: the manager runs them once caches are synced. */
export interface ControllerSink {
  readonly informers: InformerCache;
  defaults(): Pick<ControllerOptions, 'metrics' | 'log'> & BuilderOptions;
  register(controller: Controller): void;
}

/**
 * controller-runtime's builder: `For` the kind being reconciled, `owns` kinds whose controller
 * owner is of that kind, `watches` anything with a mapping to requests. Setup stays here; the
 * reconcile logic only ever receives a namespace/name.
 */
export class ControllerBuilder {
  private readonly sink: ControllerSink;
  private readonly name: string;
  private forKind: TypeRef | undefined;
  private readonly watchList: Watch[] = [];
  private readonly filters: Predicate[] = [];
  private options: BuilderOptions = {};
  private forIndexers: Indexers<KubeObject> | undefined;
  private scope: Pick<InformerKey, 'namespace' | 'labelSelector'> = {};

  constructor(sink: ControllerSink, name: string) {
    this.sink = sink;
    this.name = name;
  }

  /** The kind this controller reconciles; each event enqueues the object's own key. */
  for(ref: TypeRef, opts: { predicates?: Predicate[]; indexers?: Indexers<KubeObject>; namespace?: string; labelSelector?: string } = {}): this {
    this.forKind = ref;
    this.forIndexers = opts.indexers;
    this.scope = { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}) };
    this.watchList.push({ key: { ref, ...this.scope }, map: (o) => [toRequest(o)], predicates: opts.predicates ?? [] });
    return this;
  }

  /** Objects of `ref` whose controller ownerReference points at a `For` object enqueue their owner. */
  owns(ref: TypeRef, opts: { predicates?: Predicate[] } = {}): this {
    this.watchList.push({
      key: { ref },
      map: (o) => {
        const owner = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === this.forKind?.kind && r.apiVersion.split('/')[0] === this.forKind.apiVersion.split('/')[0]);
        return owner ? [{ ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: owner.name }] : [];
      },
      predicates: opts.predicates ?? [],
    });
    return this;
  }

  /** Any kind, mapped to the requests it should trigger (e.g. a Secret to the sources using it). */
  watches(ref: TypeRef, map: MapFunc, opts: { predicates?: Predicate[]; namespace?: string; labelSelector?: string; metadataOnly?: boolean } = {}): this {
    const key: InformerKey = {
      ref,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
      ...(opts.metadataOnly ? { metadataOnly: true } : {}),
    };
    this.watchList.push({ key, map, predicates: opts.predicates ?? [] });
    return this;
  }

  /** A filter applied to every watched event of this controller. */
  withEventFilter(p: Predicate): this {
    this.filters.push(p);
    return this;
  }

  withOptions(opts: BuilderOptions): this {
    this.options = { ...this.options, ...opts };
    return this;
  }

  complete(reconciler: Reconciler): Controller {
    if (!this.forKind) throw new Error(`controller ${this.name}: for() was not called`);
    const { minRetryDelayMs, maxRetryDelayMs, ...opts } = { ...this.sink.defaults(), ...this.options };
    // A rate limiter holds per-key state, so every controller gets its own.
    const rateLimiter = defaultControllerRateLimiter({
      ...(minRetryDelayMs !== undefined ? { minRetryDelayMs } : {}),
      ...(maxRetryDelayMs !== undefined ? { maxRetryDelayMs } : {}),
    });
    const controller = new Controller({ ...opts, rateLimiter, name: this.name, reconciler });
    for (const w of this.watchList) {
      const informer = this.sink.informers.get(w.key, w.key.ref === this.forKind ? this.forIndexers : undefined);
      const checks = [...this.filters, ...w.predicates];
      const emit = (ev: ObjectEvent) => {
        if (!checks.every((p) => p(ev))) return;
        for (const req of w.map(ev.object)) controller.enqueue(req);
      };
      informer.addEventHandler({
        onAdd: (object) => emit({ type: 'create', object }),
        onUpdate: (old, object) => emit({ type: 'update', old, object }),
        onDelete: (object) => emit({ type: 'delete', object }),
      });
    }
    this.sink.register(controller);
    return controller;
  }
}

function toRequest(o: KubeObject): Request {
  return { ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name ?? '' };
}
