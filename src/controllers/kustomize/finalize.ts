// Deletion of a Kustomization: what happens to the objects it applied (spec.deletionPolicy):
// MirrorPrune deletes them when prune is on, Delete always, WaitForTermination deletes and
// waits until they are gone, Orphan never. Only objects still labelled as ours are deleted.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import { PRUNE_ANNOTATION } from '../../api/kustomize/v1/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import { removeFinalizer } from '../../runtime/status/finalizers.ts';
import { parseDuration } from '../../runtime/duration.ts';
import { ownerLabels, resourceManagerFor } from './apply.ts';
import type { ClusterClients } from './cluster-client.ts';
import { refOfEntry, type ObjectRef } from './inventory.ts';
import { KUSTOMIZATION_REF } from './reasons.ts';
import { Reason } from './reasons.ts';

export interface FinalizeDeps {
  base: KubeClient;
  clients: ClusterClients;
  recorder: EventRecorder;
}

function shouldDelete(obj: Kustomization): boolean {
  if (obj.spec.suspend) return false;
  switch (obj.spec.deletionPolicy ?? 'MirrorPrune') {
    case 'Delete':
    case 'WaitForTermination':
      return true;
    case 'Orphan':
      return false;
    default:
      return obj.spec.prune;
  }
}

export async function finalizeKustomization(obj: Kustomization, deps: FinalizeDeps): Promise<void> {
  const refs = (obj.status?.inventory?.entries ?? []).map(refOfEntry).filter((r): r is ObjectRef => r !== undefined);
  if (refs.length > 0 && shouldDelete(obj)) {
    try {
      const manager = resourceManagerFor(obj, await deps.clients.forKustomization(obj));
      const changes = await manager.deleteAll(refs, { inclusions: ownerLabels(obj), exclusions: { [PRUNE_ANNOTATION]: 'disabled' } });
      if (changes.entries.length > 0) deps.recorder.emit(obj, { type: 'Normal', reason: 'Progressing', note: changes.summary() });
      if (obj.spec.deletionPolicy === 'WaitForTermination') await manager.waitForDeletion(refs, { timeoutMs: parseDuration(obj.spec.timeout ?? obj.spec.interval) });
    } catch (err) {
      // Keeping the finalizer would block the namespace forever on, e.g., a deleted service
      // account; say what was left behind instead.
      deps.recorder.emit(obj, { type: 'Warning', reason: Reason.DeletionFailed, note: `garbage collection failed, objects may be left behind: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  const change = removeFinalizer(obj);
  if (!change) return;
  try {
    await deps.base.patch(KUSTOMIZATION_REF, obj.metadata.name ?? '', obj.metadata.namespace, change.mergePatch, { type: 'merge' });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
