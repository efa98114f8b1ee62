// Drift detection: the dry-run result against the live object, with everything the server
// writes on its own (resourceVersion, generation, managedFields, uid, timestamps, status)
// left out, and empty maps treated as absent.
import type { KubeObject } from '../kube/types.ts';

/** metadata fields a desired state can set and a dry-run can therefore change. */
const COMPARED_METADATA = ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** The parts of an object that drift detection compares. */
export function prepareForDiff(obj: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'status') continue;
    out[k] = v;
  }
  const meta: Record<string, unknown> = {};
  for (const k of COMPARED_METADATA) {
    const v = obj.metadata[k];
    if (!isEmpty(v)) meta[k] = v;
  }
  out['metadata'] = meta;
  return out;
}

/** Structural equality of JSON values (object key order does not matter, array order does). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}

/** True when applying would change the live object (or there is none). */
export function hasDrifted(existing: KubeObject | undefined, dryRun: KubeObject): boolean {
  if (!existing || !dryRun.metadata.resourceVersion) return true;
  return !jsonEqual(prepareForDiff(existing), prepareForDiff(dryRun));
}

/** Case-insensitive match of any selector entry against the object's labels or annotations (Flux's AnyInMetadata). */
export function anyInMetadata(obj: KubeObject | undefined, selector: Record<string, string>): boolean {
  if (!obj) return false;
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  return Object.entries(selector).some(([k, v]) => {
    const l = labels[k];
    const a = annotations[k];
    return (!!l && l.toLowerCase() === v.toLowerCase()) || (!!a && a.toLowerCase() === v.toLowerCase());
  });
}
