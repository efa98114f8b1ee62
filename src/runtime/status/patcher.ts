// Snapshot-diff status patcher (fluxcd/pkg runtime/patch): remembers the object as last seen,
// sends only what changed in `status` as a JSON merge patch, and writes only the condition
// types it owns. It may patch several times in one reconcile; each patch moves the snapshot.
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import { compareConditionTypes, getConditions } from './conditions.ts';
import type { Condition } from './conditions.ts';
import { createMergePatch, isPlainObject } from './merge-patch.ts';
import type { JsonObject } from './merge-patch.ts';

/** What the patcher needs from a Kubernetes client: a merge patch on the status subresource. */
export interface StatusWriter {
  patchStatus(
    ref: TypeRef,
    namespace: string | undefined,
    name: string,
    mergePatch: unknown,
    opts: { fieldManager: string },
  ): Promise<KubeObject>;
}

/** Reads the live object; given to the patcher, it enables one retry after a 409 Conflict. */
export type ObjectGetter = (ref: TypeRef, namespace: string | undefined, name: string) => Promise<KubeObject>;

export interface StatusPatcherOptions {
  fieldManager: string;
  /** Condition types this controller writes; all others are kept as the server has them. */
  ownedConditions: readonly string[];
  get?: ObjectGetter;
  /** Recognises a conflict from the client's errors; the default looks for HTTP 409. */
  isConflict?: (err: unknown) => boolean;
}

export interface PatchOptions {
  /** Set status.observedGeneration to metadata.generation: this generation has been handled. */
  observedGeneration?: boolean;
}

export type StatusPatchErrorReason = 'Conflict' | 'NotFound' | 'WriteFailed';

export class StatusPatchError extends Error {
  readonly reason: StatusPatchErrorReason;

  constructor(reason: StatusPatchErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'StatusPatchError';
    this.reason = reason;
  }
}

/** The HTTP status a client error carries, wherever the client put it (code, statusCode, or a metav1.Status). */
export function httpCodeOf(err: unknown): number | undefined {
  if (!isPlainObject(err) && !(err instanceof Error)) return undefined;
  const e = err as Record<string, unknown>;
  for (const v of [e.code, e.statusCode, e.status]) {
    if (typeof v === 'number') return v;
    if (isPlainObject(v) && typeof v.code === 'number') return v.code;
  }
  return e.reason === 'Conflict' ? 409 : e.reason === 'NotFound' ? 404 : undefined;
}

function statusOf(obj: KubeObject): JsonObject {
  return isPlainObject(obj.status) ? obj.status : {};
}

/**
 * `obj.status`, created when absent, changed in place: a reconcile may hold a reference to it
 * (`const status = obj.status`) across a patch in flight, and a replaced object would swallow
 * what it writes afterwards.
 */
function liveStatusOf(obj: KubeObject): JsonObject {
  if (!isPlainObject(obj.status)) obj.status = {};
  return obj.status as JsonObject;
}

function withoutConditions(status: JsonObject): JsonObject {
  const rest = { ...status };
  delete rest.conditions;
  return rest;
}

function byType(a: Condition, b: Condition): number {
  return compareConditionTypes(a.type, b.type);
}

export class StatusPatcher {
  readonly #writer: StatusWriter;
  readonly #opts: StatusPatcherOptions;
  readonly #owned: ReadonlySet<string>;
  readonly #ref: TypeRef;
  #snapshot: KubeObject;

  constructor(obj: KubeObject, writer: StatusWriter, opts: StatusPatcherOptions) {
    this.#writer = writer;
    this.#opts = opts;
    this.#owned = new Set(opts.ownedConditions);
    this.#ref = { apiVersion: obj.apiVersion, kind: obj.kind };
    this.#snapshot = structuredClone(obj);
  }

  /** The object as the patcher believes the server has it (a copy). */
  get snapshot(): KubeObject {
    return structuredClone(this.#snapshot);
  }

  #ownedOf(obj: KubeObject): Condition[] {
    return getConditions(obj)
      .filter((c) => this.#owned.has(c.type))
      .sort(byType);
  }

  /** Server's foreign conditions plus our owned ones: a merge patch replaces the array whole. */
  #mergedConditions(server: KubeObject, local: KubeObject): Condition[] {
    const foreign = getConditions(server).filter((c) => !this.#owned.has(c.type));
    return [...foreign, ...this.#ownedOf(local)].sort(byType);
  }

  /**
   * Sends the status changes made to `obj` since the snapshot; resolves to the server's object,
   * or undefined when there was nothing to send. On success `obj` gets the new resourceVersion
   * and the conditions as written (foreign ones as on the server).
   */
  async patch(obj: KubeObject, opts: PatchOptions = {}): Promise<KubeObject | undefined> {
    if (opts.observedGeneration && obj.metadata.generation !== undefined) {
      liveStatusOf(obj).observedGeneration = obj.metadata.generation;
    }
    // What this call writes, fixed now: the caller may go on changing `obj` while the request is
    // in flight (a progress write during a reconcile), and those changes belong to a later patch.
    const local = structuredClone(obj);
    const fieldsPatch = createMergePatch(withoutConditions(statusOf(this.#snapshot)), withoutConditions(statusOf(local)));
    const conditionsChanged = JSON.stringify(this.#ownedOf(this.#snapshot)) !== JSON.stringify(this.#ownedOf(local));
    if (fieldsPatch === undefined && !conditionsChanged) return undefined;

    const build = (server: KubeObject): JsonObject => {
      const status: JsonObject = isPlainObject(fieldsPatch) ? { ...fieldsPatch } : {};
      if (!conditionsChanged) return { status };
      status.conditions = this.#mergedConditions(server, local);
      // The conditions array is replaced whole, so lock on the version whose foreign conditions we kept.
      const rv = server.metadata.resourceVersion;
      return rv === undefined ? { status } : { metadata: { resourceVersion: rv }, status };
    };

    let body = build(this.#snapshot);
    let result: KubeObject;
    try {
      result = await this.#send(local, body);
    } catch (err) {
      if (!(err instanceof StatusPatchError) || err.reason !== 'Conflict' || !this.#opts.get || !conditionsChanged) throw err;
      const live = await this.#opts.get(this.#ref, local.metadata.namespace, local.metadata.name ?? '');
      body = build(live);
      result = await this.#send(local, body);
    }
    this.#adopt(obj, local, body, result);
    return result;
  }

  async #send(obj: KubeObject, body: JsonObject): Promise<KubeObject> {
    const { namespace, name = '' } = obj.metadata;
    try {
      return await this.#writer.patchStatus(this.#ref, namespace, name, body, { fieldManager: this.#opts.fieldManager });
    } catch (err) {
      const conflict = this.#opts.isConflict ? this.#opts.isConflict(err) : httpCodeOf(err) === 409;
      const where = `${this.#ref.kind} ${namespace ? `${namespace}/` : ''}${name}`;
      if (conflict) throw new StatusPatchError('Conflict', `status of ${where} changed on the server`, { cause: err });
      if (httpCodeOf(err) === 404) throw new StatusPatchError('NotFound', `${where} no longer exists`, { cause: err });
      throw new StatusPatchError('WriteFailed', `patching status of ${where} failed`, { cause: err });
    }
  }

  /**
   * The snapshot becomes what was written; `obj` takes the new resourceVersion and the foreign
   * conditions as written, and keeps its own owned conditions (it may have moved on meanwhile).
   */
  #adopt(obj: KubeObject, local: KubeObject, body: JsonObject, result: KubeObject): void {
    const rv = result.metadata.resourceVersion;
    if (rv !== undefined) {
      obj.metadata.resourceVersion = rv;
      local.metadata.resourceVersion = rv;
    }
    const sent = isPlainObject(body.status) ? (body.status.conditions as Condition[] | undefined) : undefined;
    if (sent !== undefined) {
      local.status = { ...statusOf(local), conditions: sent };
      const foreign = sent.filter((c) => !this.#owned.has(c.type));
      liveStatusOf(obj).conditions = [...foreign, ...this.#ownedOf(obj)].sort(byType);
    }
    this.#snapshot = structuredClone(local);
  }
}
