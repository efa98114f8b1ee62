// deleteAll: prune. Objects already gone, not carrying the owner labels, or annotated
// prune: Disabled are skipped; the rest are deleted (background propagation by default), in
// reverse apply order. Failures do not stop the others; they are reported together.
import type { KubeObject } from '../kube/types.ts';
import { ChangeSet, changeSetEntry, fmtObjMetadata, objMetadataOf, typeRefOf, type ChangeSetEntry, type ObjMetadata } from './changeset.ts';
import { getOrUndefined, type ManagerContext } from './context.ts';
import { DeleteError, errorMessage } from './errors.ts';
import { NoKindMatchError, isNotFound } from '../kube/errors.ts';
import { anyInMetadata } from './normalize.ts';
import { sortMetas } from './sort.ts';

export interface DeleteOptions {
  propagationPolicy: 'Background' | 'Foreground' | 'Orphan';
  /**
   * Labels an object must carry (all of them) to be deleted. Undefined: the manager's owner
   * labels when it has an owner, else none; `{}` disables the check.
   */
  inclusions?: Record<string, string>;
  /** Objects matching any entry are kept (Flux: `kustomize.toolkit.fluxcd.io/prune: Disabled`). */
  exclusions: Record<string, string>;
  signal?: AbortSignal;
}

export function defaultDeleteOptions(): DeleteOptions {
  return { propagationPolicy: 'Background', exclusions: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' } };
}

/** `<group>/name` and `<group>/namespace` of the owner, as stamped on applied objects. */
export function ownerLabels(ctx: Pick<ManagerContext, 'owner'>): Record<string, string> {
  if (!ctx.owner) return {};
  return { [`${ctx.owner.group}/name`]: ctx.owner.name, [`${ctx.owner.group}/namespace`]: ctx.owner.namespace };
}

function isKubeObject(o: KubeObject | ObjMetadata): o is KubeObject {
  return 'metadata' in o && typeof o.metadata === 'object';
}

async function deleteOne(ctx: ManagerContext, meta: ObjMetadata, inclusions: Record<string, string>, opts: DeleteOptions): Promise<ChangeSetEntry> {
  const ref = typeRefOf(meta);
  let live: KubeObject | undefined;
  try {
    live = await getOrUndefined(ctx, ref, meta.name, meta.namespace || undefined, opts.signal);
  } catch (err) {
    // The kind is no longer served (its CRD is gone), so neither is the object.
    if (err instanceof NoKindMatchError) return changeSetEntry(meta, 'skipped');
    throw err;
  }
  if (!live) return changeSetEntry(meta, 'skipped');
  const labels = live.metadata.labels ?? {};
  if (!Object.entries(inclusions).every(([k, v]) => labels[k] === v)) return changeSetEntry(meta, 'skipped');
  if (anyInMetadata(live, opts.exclusions)) return changeSetEntry(meta, 'skipped');
  try {
    await ctx.client.delete(ref, meta.name, meta.namespace || undefined, {
      propagationPolicy: opts.propagationPolicy, preconditions: { uid: live.metadata.uid ?? '' }, ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return changeSetEntry(meta, 'skipped');
  }
  return changeSetEntry(meta, 'deleted');
}

export async function deleteAll(ctx: ManagerContext, objs: readonly (KubeObject | ObjMetadata)[], options: Partial<DeleteOptions> = {}): Promise<ChangeSet> {
  const opts = { ...defaultDeleteOptions(), ...options };
  const inclusions = opts.inclusions ?? ownerLabels(ctx);
  const metas = sortMetas(objs.map((o) => (isKubeObject(o) ? objMetadataOf(o) : o))).reverse();
  const cs = new ChangeSet();
  const failures: { subject: string; message: string; cause: unknown }[] = [];
  for (const meta of metas) {
    try {
      cs.add(await deleteOne(ctx, meta, inclusions, opts));
    } catch (err) {
      failures.push({ subject: fmtObjMetadata(meta), message: errorMessage(err), cause: err });
    }
  }
  if (failures.length > 0) throw new DeleteError(failures, cs);
  return cs;
}
