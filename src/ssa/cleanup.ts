// Metadata cleanup before apply (ssa: Override): drop annotations/labels left by other tools
// (kubectl's last-applied-configuration) and hand the fields owned by other managers (kubectl
// client-side apply, kubectl edit/patch, before-first-apply) to our apply manager. Once we own
// them, server-side apply removes the ones we no longer set; merely deleting those managedFields
// entries would leave the fields in place, unowned.
import type { KubeObject } from '../kube/types.ts';

export interface FieldManager {
  /** Prefix of the manager name: `kubectl` matches kubectl-client-side-apply, kubectl-edit, kubectl-patch. */
  name: string;
  operation: 'Apply' | 'Update';
}

export interface CleanupOptions {
  annotations: string[];
  labels: string[];
  fieldManagers: FieldManager[];
  /** Objects matching any of these labels/annotations are left alone (ssa: Merge). */
  exclusions: Record<string, string>;
}

export type JsonPatchOp =
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'test'; path: string; value: unknown };

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
  [k: string]: unknown;
}

const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Union of two managedFields tries (`{"f:metadata": {"f:labels": {"f:a": {}}}, ".": {}}`). */
export function mergeFieldSets(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(a ?? {}) };
  for (const [k, v] of Object.entries(b ?? {})) {
    const prev = out[k];
    out[k] = typeof prev === 'object' && prev !== null && typeof v === 'object' && v !== null
      ? mergeFieldSets(prev as Record<string, unknown>, v as Record<string, unknown>)
      : (prev ?? v);
  }
  return out;
}

function matches(entry: ManagedFieldsEntry, managers: FieldManager[]): boolean {
  if (entry.subresource) return false; // status and other subresources are not ours to take
  return managers.some((m) => (entry.manager ?? '').startsWith(m.name) && entry.operation === m.operation);
}

/**
 * The managedFields list with every matching entry folded into our Apply entry (same
 * apiVersion), or undefined when no entry matches.
 */
export function transferFieldManagers(entries: readonly ManagedFieldsEntry[], managers: FieldManager[], owner: string): ManagedFieldsEntry[] | undefined {
  const taken = entries.filter((e) => e.manager !== owner && matches(e, managers));
  if (taken.length === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  const ours = new Map<string, ManagedFieldsEntry>();
  for (const e of entries) {
    const isOurApply = e.manager === owner && e.operation === 'Apply' && !e.subresource;
    if (!isOurApply && !taken.includes(e)) {
      out.push(e);
      continue;
    }
    const key = e.apiVersion ?? '';
    const prev = ours.get(key);
    if (prev) {
      prev.fieldsV1 = mergeFieldSets(prev.fieldsV1, e.fieldsV1);
      continue;
    }
    const merged: ManagedFieldsEntry = { ...e, manager: owner, operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { ...(e.fieldsV1 ?? {}) } };
    ours.set(key, merged);
    out.push(merged);
  }
  return out;
}

/**
 * The JSON patch that cleans the live object up, or [] when it is already clean. It starts
 * with a resourceVersion test so a concurrent writer makes it fail instead of being clobbered.
 */
export function cleanupPatch(existing: KubeObject, opts: Omit<CleanupOptions, 'exclusions'>, owner: string): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const annotations = existing.metadata.annotations ?? {};
  for (const key of opts.annotations) {
    if (Object.hasOwn(annotations, key)) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(key)}` });
  }
  const labels = existing.metadata.labels ?? {};
  for (const key of opts.labels) {
    if (Object.hasOwn(labels, key)) ops.push({ op: 'remove', path: `/metadata/labels/${pointer(key)}` });
  }
  if (opts.fieldManagers.length > 0) {
    const entries = (existing.metadata.managedFields ?? []) as ManagedFieldsEntry[];
    const replaced = transferFieldManagers(entries, opts.fieldManagers, owner);
    if (replaced) ops.push({ op: 'replace', path: '/metadata/managedFields', value: replaced });
  }
  if (ops.length === 0) return [];
  return [{ op: 'test', path: '/metadata/resourceVersion', value: existing.metadata.resourceVersion }, ...ops];
}
