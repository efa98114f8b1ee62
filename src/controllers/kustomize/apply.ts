// Steps 8–9: server-side apply in stages, the new inventory, then prune what left the source.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import { GROUP, PRUNE_ANNOTATION } from '../../api/kustomize/v1/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/types.ts';
import { kustomizeApplyOptions, ResourceManager, type ChangeSet } from '../../ssa/index.ts';
import { generic } from '../shared/errors.ts';
import { entryOf, refOf, staleEntries, type ObjectRef } from './inventory.ts';
import { FIELD_MANAGER, Reason } from './reasons.ts';
import type { Finish } from './status.ts';

export interface ApplyOutcome {
  manager: ResourceManager;
  applied: ObjectRef[];
  changeSet: ChangeSet;
  pruned?: ChangeSet | undefined;
  /** Anything created, configured or deleted. */
  changed: boolean;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function resourceManagerFor(obj: Kustomization, client: KubeClient): ResourceManager {
  return new ResourceManager({ client, fieldManager: FIELD_MANAGER, owner: { group: GROUP, name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' } });
}

/**
 * An emptied path would prune everything this Kustomization ever applied; that is far more
 * often a mistake (a wrong path, a bad merge) than intent, so it needs the object deleted.
 */
function refuseEmptyPrune(obj: Kustomization, objects: readonly KubeObject[], inventory: number, revision: string): void {
  if (objects.length > 0 || inventory === 0 || !obj.spec.prune) return;
  throw generic(Reason.BuildFailed, `the build of revision ${revision} produced no objects; refusing to prune the ${inventory} objects in the inventory (delete the Kustomization or set prune: false to remove them)`);
}

export async function applyAndPrune(obj: Kustomization, objects: KubeObject[], client: KubeClient, finish: Finish, revision: string): Promise<ApplyOutcome> {
  const previous = obj.status?.inventory?.entries ?? [];
  refuseEmptyPrune(obj, objects, previous.length, revision);
  const manager = resourceManagerFor(obj, client);
  let changeSet: ChangeSet;
  try {
    // Objects new to the inventory are read only if their dry-run finds them (most are new).
    const known = new Set(previous.map((e) => e.id));
    const mayExist = (o: KubeObject) => known.has(entryOf(refOf(o)).id);
    changeSet = await manager.applyAllStaged(objects, { ...kustomizeApplyOptions(FIELD_MANAGER, obj.spec.force ?? false), mayExist });
  } catch (err) {
    throw generic(Reason.Failed, message(err), err);
  }
  const applied = objects.map(refOf);
  const entries = applied.map(entryOf);
  const changed = changeSet.entries.some((e) => e.action === 'created' || e.action === 'configured');
  // As kustomize-controller: the ChangeSet in the log on every apply, as an event when it changed something.
  finish.log.info({ revision, output: changeSet.toMap() }, 'server-side apply completed');
  if (changed) finish.recorder.emit(obj, { type: 'Normal', reason: Reason.Progressing, note: changeSet.summary(), metadata: { revision } });
  (obj.status ??= {}).inventory = { entries };
  const pruned = obj.spec.prune ? await pruneStale(obj, manager, staleEntries(previous, entries), finish, revision) : undefined;
  return { manager, applied, changeSet, pruned, changed: changed || hasDeletions(pruned) };
}

const hasDeletions = (c: ChangeSet | undefined) => c?.entries.some((e) => e.action === 'deleted') ?? false;

/** Deletes what left the source, if it still carries our owner labels and is not prune-disabled. */
async function pruneStale(obj: Kustomization, manager: ResourceManager, stale: ObjectRef[], finish: Finish, revision: string): Promise<ChangeSet | undefined> {
  if (stale.length === 0) return undefined;
  let pruned: ChangeSet;
  try {
    pruned = await manager.deleteAll(stale, { inclusions: ownerLabels(obj), exclusions: { [PRUNE_ANNOTATION]: 'disabled' } });
  } catch (err) {
    throw generic(Reason.PruneFailed, `failed to prune: ${message(err)}`, err);
  }
  if (hasDeletions(pruned)) finish.recorder.emit(obj, { type: 'Normal', reason: Reason.Progressing, note: pruned.summary(), metadata: { revision } });
  return pruned;
}

export function ownerLabels(obj: Kustomization): Record<string, string> {
  return { [`${GROUP}/name`]: obj.metadata.name ?? '', [`${GROUP}/namespace`]: obj.metadata.namespace ?? '' };
}
