// What a verb did to each object, as values (fluxcd/pkg ssa ChangeSet): callers log, record
// inventories and emit events from these; the manager itself never logs.
import type { KubeObject } from '../kube/types.ts';

export type Action = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

/** An object's identity; `version` rides along so the object can be fetched again. */
export interface ObjMetadata {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  version: string;
}

export interface ChangeSetEntry {
  /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects (Flux's FmtObjMetadata). */
  subject: string;
  action: Action;
  meta: ObjMetadata;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function objMetadataOf(obj: KubeObject): ObjMetadata {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return { group, version, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}

/** The apiVersion + kind of an ObjMetadata, to ask the client for it. */
export function typeRefOf(meta: ObjMetadata): { apiVersion: string; kind: string } {
  return { apiVersion: meta.group ? `${meta.group}/${meta.version}` : meta.version, kind: meta.kind };
}

export function fmtObjMetadata(meta: Pick<ObjMetadata, 'kind' | 'namespace' | 'name'>): string {
  return meta.namespace ? `${meta.kind}/${meta.namespace}/${meta.name}` : `${meta.kind}/${meta.name}`;
}

export function changeSetEntry(meta: ObjMetadata, action: Action): ChangeSetEntry {
  return { subject: fmtObjMetadata(meta), action, meta };
}

export class ChangeSet {
  readonly entries: ChangeSetEntry[] = [];
  /** subject → the object as the API server returned it while applying (see `liveObject`). */
  readonly #live = new Map<string, KubeObject>();

  constructor(entries: Iterable<ChangeSetEntry> = []) {
    for (const e of entries) this.entries.push(e);
  }

  /** Remembers what the API server returned for `subject` (the write's or the dry-run's response). */
  setLive(subject: string, obj: KubeObject): this {
    this.#live.set(subject, obj);
    return this;
  }

  /**
   * The object as the apply saw it: a wait right after the apply starts from it instead of
   * reading every object again (a ServiceAccount is Current in its apply response).
   */
  liveObject(meta: Pick<ObjMetadata, 'kind' | 'namespace' | 'name'>): KubeObject | undefined {
    return this.#live.get(fmtObjMetadata(meta));
  }

  add(...entries: ChangeSetEntry[]): this {
    for (const e of entries) this.entries.push(e);
    return this;
  }

  append(other: ChangeSet): this {
    for (const [k, v] of other.#live) this.#live.set(k, v);
    return this.add(...other.entries);
  }

  /** subject → action. */
  toMap(): Record<string, Action> {
    const out: Record<string, Action> = {};
    for (const e of this.entries) out[e.subject] = e.action;
    return out;
  }

  /** Entries with one of the given actions (e.g. everything but `unchanged`, for a log line). */
  filter(...actions: Action[]): ChangeSetEntry[] {
    return this.entries.filter((e) => actions.includes(e.action));
  }

  /** One `Kind/ns/name action` line per entry, as Flux prints a ChangeSet. */
  summary(): string {
    return this.entries.map((e) => `${e.subject} ${e.action}`).join('\n');
  }
}
