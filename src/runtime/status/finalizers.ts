// metadata.finalizers edits that are safe to send while others edit the list too: every
// patch carries the resourceVersion it was computed from, so a concurrent change makes the
// server refuse it (409 for the merge patch, a failed `test` op for the JSON patch) instead of
// silently dropping someone else's finalizer.
import type { KubeObject } from '../../kube/types.ts';

/** The finalizer every Flux controller puts on the objects it reconciles. */
export const FluxFinalizer = 'finalizers.fluxcd.io';

/** RFC 6902 operations used here. */
export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export interface FinalizerChange {
  /** The list after the change (also written into the object). */
  finalizers: string[];
  /** RFC 7386 body; `finalizers: null` when the list became empty. */
  mergePatch: { metadata: { finalizers: string[] | null; resourceVersion?: string } };
  /** RFC 6902 body, guarded by a test on metadata.resourceVersion when the object has one. */
  jsonPatch: JsonPatchOp[];
}

export function hasFinalizer(obj: KubeObject, name: string = FluxFinalizer): boolean {
  return obj.metadata.finalizers?.includes(name) ?? false;
}

function guard(obj: KubeObject): JsonPatchOp[] {
  const rv = obj.metadata.resourceVersion;
  return rv === undefined ? [] : [{ op: 'test', path: '/metadata/resourceVersion', value: rv }];
}

function mergeBody(obj: KubeObject, finalizers: string[]): FinalizerChange['mergePatch'] {
  const rv = obj.metadata.resourceVersion;
  return { metadata: { finalizers: finalizers.length > 0 ? finalizers : null, ...(rv === undefined ? {} : { resourceVersion: rv }) } };
}

/** Adds the finalizer to `obj`; undefined when it was already there (nothing to send). */
export function addFinalizer(obj: KubeObject, name: string = FluxFinalizer): FinalizerChange | undefined {
  if (hasFinalizer(obj, name)) return undefined;
  const before = obj.metadata.finalizers;
  const finalizers = [...(before ?? []), name];
  const jsonPatch: JsonPatchOp[] = [
    ...guard(obj),
    before === undefined
      ? { op: 'add', path: '/metadata/finalizers', value: [name] }
      : { op: 'add', path: '/metadata/finalizers/-', value: name },
  ];
  const change = { finalizers, mergePatch: mergeBody(obj, finalizers), jsonPatch };
  obj.metadata.finalizers = finalizers;
  return change;
}

/** Removes every occurrence of the finalizer from `obj`; undefined when it was not there. */
export function removeFinalizer(obj: KubeObject, name: string = FluxFinalizer): FinalizerChange | undefined {
  const before = obj.metadata.finalizers ?? [];
  if (!before.includes(name)) return undefined;
  const finalizers = before.filter((f) => f !== name);
  // Remove from the highest index down so earlier removals do not shift later paths.
  const removals: JsonPatchOp[] = before
    .flatMap((f, i) => (f === name ? [i] : []))
    .reverse()
    .map((i) => ({ op: 'remove', path: `/metadata/finalizers/${i}` }));
  const change = { finalizers, mergePatch: mergeBody(obj, finalizers), jsonPatch: [...guard(obj), ...removals] };
  obj.metadata.finalizers = finalizers;
  return change;
}
