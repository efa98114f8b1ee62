// status.inventory: the objects a Kustomization applied, as `<namespace>_<name>_<group>_<kind>`
// ids with their API version; the difference between two inventories is what prune deletes.
import type { InventoryEntry } from '../../api/kustomize/v1/index.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface ObjectRef {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

export function refOf(obj: KubeObject): ObjectRef {
  const [group, version] = obj.apiVersion.includes('/') ? (obj.apiVersion.split('/', 2) as [string, string]) : ['', obj.apiVersion];
  return { group, version, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}

export function entryOf(ref: ObjectRef): InventoryEntry {
  return { id: `${ref.namespace}_${ref.name}_${ref.group}_${ref.kind}`, v: ref.version };
}

/** Parses an id; names cannot hold `_`, so splitting is unambiguous except in the group (none has one). */
export function refOfEntry(e: InventoryEntry): ObjectRef | undefined {
  const parts = e.id.split('_');
  if (parts.length !== 4) return undefined;
  const [namespace, name, group, kind] = parts as [string, string, string, string];
  return { namespace, name, group, kind, version: e.v };
}

export function apiVersionOf(ref: ObjectRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

export const subjectOf = (ref: ObjectRef) => `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** Entries of `old` whose object is not in `current` (group and kind, not version, identify it). */
export function staleEntries(old: readonly InventoryEntry[] | undefined, current: readonly InventoryEntry[]): ObjectRef[] {
  const keep = new Set(current.map((e) => e.id));
  const out: ObjectRef[] = [];
  for (const e of old ?? []) {
    if (keep.has(e.id)) continue;
    const ref = refOfEntry(e);
    if (ref) out.push(ref);
  }
  // Prune dependents before what they live in: namespaced objects first, CRDs and Namespaces last.
  const rank = (r: ObjectRef) => (r.kind === 'CustomResourceDefinition' ? 2 : r.kind === 'Namespace' ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b));
}
