// Predicates on source objects shared by the controllers that consume artifacts.
import type { KubeObject } from '../../kube/types.ts';
import type { Predicate } from '../../runtime/manager/predicates.ts';

export const artifactRevisionOf = (o: KubeObject): string | undefined =>
  (o['status'] as { artifact?: { revision?: string } } | undefined)?.artifact?.revision;

/** A source's artifact appeared, changed or went away; status writes that keep it are ignored. */
export const artifactChanged: Predicate = (e) =>
  e.type === 'update' ? artifactRevisionOf(e.old) !== artifactRevisionOf(e.object) : artifactRevisionOf(e.object) !== undefined;
