// diff: what apply would do to one object, without writing; Secret values are masked in the
// returned objects so callers can print them.
import type { KubeObject } from '../kube/types.ts';
import { changeSetEntry, fmtObjMetadata, objMetadataOf, type ChangeSetEntry } from './changeset.ts';
import { getOrUndefined, type ManagerContext } from './context.ts';
import { ApplyError, errorMessage, safeCause } from './errors.ts';
import { anyInMetadata, hasDrifted, jsonEqual } from './normalize.ts';

export interface DiffOptions {
  exclusions: Record<string, string>;
  /** Replace Secret data values in the returned objects (`***`, or `*** (before)`/`*** (after)` where they differ). */
  maskSecrets: boolean;
  signal?: AbortSignal;
}

export function defaultDiffOptions(): DiffOptions {
  return { exclusions: {}, maskSecrets: true };
}

export interface DiffResult {
  entry: ChangeSetEntry;
  existing?: KubeObject;
  dryRun?: KubeObject;
}

/** Masks the values of `data` in a Secret pair, marking which keys changed. */
export function maskSecretPair(existing: KubeObject | undefined, dryRun: KubeObject): { existing?: KubeObject; dryRun: KubeObject } {
  if (dryRun.kind !== 'Secret' || dryRun.apiVersion !== 'v1') return existing ? { existing, dryRun } : { dryRun };
  const before = (existing?.['data'] ?? {}) as Record<string, unknown>;
  const after = (dryRun['data'] ?? {}) as Record<string, unknown>;
  const mask = (own: Record<string, unknown>, other: Record<string, unknown>, label: string) =>
    Object.fromEntries(Object.entries(own).map(([k, v]) => [k, jsonEqual(v, other[k]) ? '***' : `*** (${label})`]));
  const out: { existing?: KubeObject; dryRun: KubeObject } = { dryRun: { ...dryRun, data: mask(after, before, 'after') } };
  if (existing) out.existing = { ...existing, data: mask(before, after, 'before') };
  return out;
}

export async function diff(ctx: ManagerContext, obj: KubeObject, options: Partial<DiffOptions> = {}): Promise<DiffResult> {
  const opts = { ...defaultDiffOptions(), ...options };
  const meta = objMetadataOf(obj);
  const subject = fmtObjMetadata(meta);
  const sig = opts.signal ? { signal: opts.signal } : {};
  let existing: KubeObject | undefined;
  let dryRun: KubeObject;
  try {
    existing = await getOrUndefined(ctx, obj, meta.name, obj.metadata.namespace, opts.signal);
    if (anyInMetadata(obj, opts.exclusions) || anyInMetadata(existing, opts.exclusions)) return { entry: changeSetEntry(meta, 'skipped') };
    dryRun = await ctx.client.apply<KubeObject>(obj, { fieldManager: ctx.fieldManager, force: true, dryRun: true, ...sig });
  } catch (err) {
    throw new ApplyError('DryRunFailed', `${subject} dry-run failed: ${errorMessage(err, obj)}`, { subject, cause: safeCause(err, obj) });
  }
  const action = !existing ? 'created' : hasDrifted(existing, dryRun) ? 'configured' : 'unchanged';
  const shown = opts.maskSecrets ? maskSecretPair(existing, dryRun) : (existing ? { existing, dryRun } : { dryRun });
  return { entry: changeSetEntry(meta, action), ...shown };
}
