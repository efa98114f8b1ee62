import type { KubeObject } from '../../kube/types.ts';

/** One informer event, as event filters see it. */
export type ObjectEvent<T extends KubeObject = KubeObject> =
  | { type: 'create'; object: T }
  | { type: 'update'; old: T; object: T }
  | { type: 'delete'; object: T };

export type Predicate<T extends KubeObject = KubeObject> = (event: ObjectEvent<T>) => boolean;

/** Passes creates and deletes, and updates that changed metadata.generation (spec changes). */
export const generationChanged: Predicate = (e) => e.type !== 'update' || e.old.metadata.generation !== e.object.metadata.generation;

/** Passes updates where the given annotation changed (e.g. reconcile.fluxcd.io/requestedAt). */
export function annotationChanged(key: string): Predicate {
  return (e) => e.type !== 'update' || e.old.metadata.annotations?.[key] !== e.object.metadata.annotations?.[key];
}

export function labelsChanged(): Predicate {
  return (e) => e.type !== 'update' || JSON.stringify(e.old.metadata.labels ?? {}) !== JSON.stringify(e.object.metadata.labels ?? {});
}

export function or(...ps: Predicate[]): Predicate {
  return (e) => ps.some((p) => p(e));
}

export function and(...ps: Predicate[]): Predicate {
  return (e) => ps.every((p) => p(e));
}
