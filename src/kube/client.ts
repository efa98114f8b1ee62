import { Credentials, type ConnectionOptions } from './config.ts';
import { TokenBucket } from './rate-limit.ts';
import { RESTMapper, resourcePath, type ResourceMapping } from './rest-mapper.ts';
import { Transport, type HttpRequest, type Impersonation, type TransportOptions } from './transport.ts';
import type { KubeObject, ListerWatcher, ListOptions, ObjectList, Status, TypeRef, WatchEvent, WatchOptions } from './types.ts';
import { decodeWatch } from './watch-decoder.ts';

export type ClientOptions = ConnectionOptions & TransportOptions;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  force?: boolean;
  subresource?: string;
}

export interface ApplyOptions extends WriteOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** Ask for PartialObjectMetadata(List) instead of whole objects. */
  metadataOnly?: boolean;
}

const META_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const META_ONLY_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/**
 * The Kubernetes client: every verb over raw JSON, REST mapping by discovery, typed errors.
 * `impersonate()` returns a client sharing the same connection pool and mapper.
 */
export class KubeClient {
  readonly transport: Transport;
  readonly mapper: RESTMapper;
  private readonly impersonation: Impersonation | undefined;
  private readonly limiter: TokenBucket | undefined;

  constructor(transport: Transport, mapper?: RESTMapper, impersonation?: Impersonation, limiter?: TokenBucket) {
    this.transport = transport;
    this.mapper = mapper ?? new RESTMapper(transport);
    this.impersonation = impersonation;
    this.limiter = limiter;
  }

  static fromKubeconfig(opts: ClientOptions = {}): KubeClient {
    return new KubeClient(new Transport(Credentials.load(opts), opts));
  }

  impersonate(impersonation: Impersonation): KubeClient {
    return new KubeClient(this.transport, this.mapper, impersonation, this.limiter);
  }

  /**
   * The same connection pool and REST mapping with a rate limiter of its own (Flux builds a new
   * client, so a new limiter, for every impersonated reconcile); default: the transport's QPS/burst.
   */
  withOwnRateLimit(qps = this.transport.rate.qps, burst = this.transport.rate.burst): KubeClient {
    return new KubeClient(this.transport, this.mapper, this.impersonation, new TokenBucket(qps, burst));
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  async get<T extends KubeObject = KubeObject>(ref: TypeRef, name: string, namespace?: string, opts: ReadOptions = {}): Promise<T> {
    const m = await this.mapper.mapping(ref);
    return this.call<T>({ method: 'GET', path: resourcePath(m, namespace, name), signal: opts.signal, accept: opts.metadataOnly ? META_ONLY : undefined });
  }

  async list<T extends KubeObject = KubeObject>(ref: TypeRef, opts: ListOptions & ReadOptions = {}): Promise<ObjectList<T>> {
    const m = await this.mapper.mapping(ref);
    const list = await this.call<ObjectList<T>>({
      method: 'GET',
      path: resourcePath(m, opts.namespace),
      query: {
        labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue,
        resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
      accept: opts.metadataOnly ? META_ONLY_LIST : undefined,
    });
    // The API server leaves apiVersion and kind off list items; watch events carry them. Fill
    // them in so every object eddy hands out (and caches) names its kind.
    const itemKind = list.kind.replace(/List$/, '');
    // A metadata-only list of nothing comes back with `items: null`.
    list.items ??= [];
    for (const item of list.items) {
      item.apiVersion ??= list.apiVersion;
      item.kind ??= itemKind;
    }
    return list;
  }

  /** Every page of a list (limit per page), as one array and the final resourceVersion. */
  async listAll<T extends KubeObject = KubeObject>(ref: TypeRef, opts: ListOptions & ReadOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const page = await this.list<T>(ref, { limit: 500, ...opts, ...(cont ? { continue: cont } : {}) });
      // Not push(...items): spreading a page of 100k+ items overflows the call stack.
      for (const item of page.items) items.push(item);
      cont = page.metadata.continue;
      rv = page.metadata.resourceVersion;
    } while (cont);
    return { items, resourceVersion: rv };
  }

  /** Watch events until the server ends the stream or `signal` aborts. */
  async *watch<T extends KubeObject = KubeObject>(ref: TypeRef, opts: WatchOptions & ReadOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const m = await this.mapper.mapping(ref);
    const body = await this.transport.stream(this.withIdentity({
      method: 'GET',
      path: resourcePath(m, opts.namespace),
      query: {
        watch: true, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks, timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
      accept: opts.metadataOnly ? META_ONLY : undefined,
    }));
    yield* decodeWatch<T>(body);
  }

  /** A ListerWatcher for informers over one kind (optionally metadata only). */
  listerWatcher<T extends KubeObject = KubeObject>(ref: TypeRef, opts: { metadataOnly?: boolean } = {}): ListerWatcher<T> {
    return {
      list: (o) => this.list<T>(ref, { ...o, ...opts }),
      watch: (o) => this.watch<T>(ref, { ...o, ...opts }),
    };
  }

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const m = await this.mapper.mapping(obj);
    return this.call<T>({ method: 'POST', path: resourcePath(m, obj.metadata.namespace), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  async update<T extends KubeObject>(obj: T, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const m = await this.mapper.mapping(obj);
    const path = resourcePath(m, obj.metadata.namespace, requireName(obj), opts.subresource);
    return this.call<T>({ method: 'PUT', path, query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  updateStatus<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.update(obj, { ...opts, subresource: 'status' });
  }

  async patch<T extends KubeObject = KubeObject>(ref: TypeRef, name: string, namespace: string | undefined, patch: unknown, opts: PatchOptions): Promise<T> {
    const m = await this.mapper.mapping(ref);
    return this.call<T>({
      method: 'PATCH',
      path: resourcePath(m, namespace, name, opts.subresource),
      query: { ...writeQuery(opts), force: opts.type === 'apply' && opts.force ? true : undefined },
      body: patch,
      contentType: PATCH_CONTENT_TYPE[opts.type],
      signal: opts.signal,
    });
  }

  patchStatus<T extends KubeObject = KubeObject>(ref: TypeRef, name: string, namespace: string | undefined, patch: unknown, opts: Omit<PatchOptions, 'subresource'>): Promise<T> {
    return this.patch<T>(ref, name, namespace, patch, { ...opts, subresource: 'status' });
  }

  /** Server-side apply (JSON is valid YAML, so the object is sent as JSON). */
  apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    return this.patch<T>(obj, requireName(obj), obj.metadata.namespace, obj, { ...opts, type: 'apply' });
  }

  async delete(ref: TypeRef, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    const m = await this.mapper.mapping(ref);
    const body = {
      apiVersion: 'v1', kind: 'DeleteOptions',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    };
    return this.call<KubeObject | Status>({ method: 'DELETE', path: resourcePath(m, namespace, name), body, signal: opts.signal });
  }

  /** The REST mapping of a kind, e.g. to know whether it is namespaced. */
  mapping(ref: TypeRef): Promise<ResourceMapping> {
    return this.mapper.mapping(ref);
  }

  private call<T>(req: HttpRequest): Promise<T> {
    return this.transport.json<T>(this.withIdentity(req));
  }

  private withIdentity(req: HttpRequest): HttpRequest {
    if (!this.impersonation && !this.limiter) return req;
    return { ...req, ...(this.impersonation ? { impersonate: this.impersonation } : {}), ...(this.limiter ? { limiter: this.limiter } : {}) };
  }
}

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}

function requireName(obj: KubeObject): string {
  if (!obj.metadata.name) throw new Error(`${obj.kind} has no metadata.name`);
  return obj.metadata.name;
}
