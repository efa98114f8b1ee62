// Step 10: health. `wait` checks every applied object, otherwise `healthChecks` lists them;
// kstatus decides, CEL healthCheckExprs override it per kind. Bounded by the timeout, failing
// fast on a failed rollout, cancelled when a new source revision arrives.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import type { ChangeSet, ObjMetadata, ResourceManager } from '../../ssa/index.ts';
import { generic, stalling } from '../shared/errors.ts';
import type { ObjectRef } from './inventory.ts';
import { Reason } from './reasons.ts';

export function healthTargets(obj: Kustomization, applied: readonly ObjectRef[]): ObjMetadata[] {
  if (obj.spec.wait) return applied.map((r) => ({ ...r }));
  return (obj.spec.healthChecks ?? []).map((h) => {
    const [group, version] = (h.apiVersion ?? '').includes('/') ? (h.apiVersion ?? '').split('/', 2) as [string, string] : ['', h.apiVersion ?? ''];
    return { group, version, kind: h.kind, name: h.name, namespace: h.namespace ?? obj.metadata.namespace ?? '' };
  });
}

/** `applied`: the apply's ChangeSet, whose responses stand in for the first read of each object. */
export async function checkHealth(obj: Kustomization, manager: ResourceManager, targets: ObjMetadata[], timeoutMs: number, signal: AbortSignal, applied?: ChangeSet): Promise<void> {
  if (targets.length === 0) return;
  let override;
  try {
    // CEL is loaded only for Kustomizations that use expressions.
    override = obj.spec.healthCheckExprs?.length ? (await import('../../cel/index.ts')).compileHealthCheckExprs(obj.spec.healthCheckExprs) : undefined;
  } catch (err) {
    throw stalling(Reason.InvalidCELExpression, `invalid healthCheckExprs: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  try {
    await manager.waitForSet(targets, { timeoutMs, failFast: true, signal, ...(override ? { statusOverride: override } : {}), ...(applied ? { known: (m: ObjMetadata) => applied.liveObject(m) } : {}) });
  } catch (err) {
    if (signal.aborted) throw generic(Reason.HealthCheckFailed, 'health check cancelled: a new source revision arrived', err);
    throw generic(Reason.HealthCheckFailed, `health check failed after ${Math.round(timeoutMs / 1000)}s: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
