// apply / applyAll / applyAllStaged. Per object: read the live object, dry-run the server-side
// apply, compare (normalize.ts) and write only when something would change. A stage is
// validated whole (every dry-run) before anything in it is written, as Flux's ApplyAll does.
// An object not expected to exist (`mayExist`) is read only when its dry-run shows it does: a
// dry-run create answers without a resourceVersion (Flux tells created from configured so too).
import { ApiError, NoKindMatchError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { ChangeSet, changeSetEntry, fmtObjMetadata, objMetadataOf, type ChangeSetEntry } from './changeset.ts';
import { cleanupPatch, type CleanupOptions, type JsonPatchOp } from './cleanup.ts';
import { getOrUndefined, mapLimit, type ManagerContext } from './context.ts';
import { ApplyError, WaitError, errorMessage, safeCause } from './errors.ts';
import { waitForSet, waitForTermination } from './manager-wait.ts';
import { anyInMetadata, hasDrifted } from './normalize.ts';
import { sortObjects, splitStages, writeTier } from './sort.ts';

export interface ApplyOptions {
  /** Recreate objects whose change hits an immutable field. */
  force: boolean;
  /** Per-object force, e.g. `kustomize.toolkit.fluxcd.io/force: Enabled` (on the desired or live object). */
  forceSelector: Record<string, string>;
  /** Objects matching any entry are skipped, e.g. `kustomize.toolkit.fluxcd.io/ssa: Ignore`. */
  exclusions: Record<string, string>;
  /** Desired objects matching any entry are only created, never patched (`ssa: IfNotPresent`). */
  ifNotPresentSelector: Record<string, string>;
  cleanup: CleanupOptions;
  /**
   * Whether the object may already exist (e.g. it is in the previous inventory): then it is read
   * alongside its dry-run; otherwise only if the dry-run finds it. Default: always read.
   */
  mayExist: (obj: KubeObject) => boolean;
  /** Poll interval and limit for stage waits (CRDs, Namespaces) and force-recreate deletions. */
  waitIntervalMs: number;
  waitTimeoutMs: number;
  signal?: AbortSignal;
}

export function defaultApplyOptions(): ApplyOptions {
  return {
    force: false, forceSelector: {}, exclusions: {}, ifNotPresentSelector: {},
    cleanup: { annotations: [], labels: [], fieldManagers: [], exclusions: {} },
    mayExist: () => true,
    waitIntervalMs: 1_000, waitTimeoutMs: 60_000,
  };
}

/** kubectl's immutability test, plus the messages of CEL rules and admission webhooks. */
const IMMUTABLE = /immutable|may not change once set|cannot be changed|updates to .* are forbidden/i;

export function isImmutableError(err: unknown): err is ApiError {
  return err instanceof ApiError && (err.reason === 'Invalid' || err.reason === 'Conflict' || err.reason === 'Forbidden' || err.reason === 'BadRequest')
    && IMMUTABLE.test(err.message);
}

interface Plan {
  obj: KubeObject;
  entry: ChangeSetEntry;
  write: boolean;
  cleanup: JsonPatchOp[];
  /** The dry-run's response: what the object looks like once applied (unset when skipped). */
  dryRun?: KubeObject;
}

const subjectOf = (obj: KubeObject) => fmtObjMetadata(objMetadataOf(obj));

async function validate(ctx: ManagerContext, obj: KubeObject): Promise<void> {
  const subject = subjectOf(obj);
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
    throw new ApplyError('InvalidObject', `${subject} is not a Kubernetes object: apiVersion, kind and metadata.name are required`, { subject });
  }
  let namespaced: boolean;
  try {
    namespaced = (await ctx.client.mapping(obj)).namespaced;
  } catch (err) {
    if (err instanceof NoKindMatchError) {
      throw new ApplyError('UnknownKind', `${subject} dry-run failed: no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`, { subject, cause: err });
    }
    throw new ApplyError('GetFailed', `${subject} discovery failed: ${errorMessage(err)}`, { subject, cause: err });
  }
  if (namespaced && !obj.metadata.namespace) {
    throw new ApplyError('NamespaceNotSpecified', `${subject} namespace not specified: ${obj.kind} is namespaced`, { subject });
  }
}

function dryRunError(obj: KubeObject, err: unknown): ApplyError {
  const subject = subjectOf(obj);
  const apiReason = err instanceof ApiError ? err.reason : undefined;
  const fields = err instanceof ApiError ? err.causes.flatMap((c) => (c.field ? [c.field] : [])) : [];
  const reason = isImmutableError(err) ? 'ImmutableField' : 'DryRunFailed';
  const what = apiReason === 'NotFound' ? 'not found' : `dry-run failed${apiReason ? ` (${apiReason})` : ''}`;
  return new ApplyError(reason, `${subject} ${what}: ${errorMessage(err, obj)}`, { subject, cause: safeCause(err, obj), ...(apiReason ? { apiReason } : {}), fields });
}

function dryRunApply(ctx: ManagerContext, obj: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
  return ctx.client.apply<KubeObject>(obj, { fieldManager: ctx.fieldManager, force: true, dryRun: true, ...(signal ? { signal } : {}) });
}

async function recreate(ctx: ManagerContext, obj: KubeObject, existing: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
  const subject = subjectOf(obj);
  try {
    await ctx.client.delete(existing, existing.metadata.name ?? '', existing.metadata.namespace, {
      propagationPolicy: 'Background', preconditions: { uid: existing.metadata.uid ?? '' }, ...(opts.signal ? { signal: opts.signal } : {}),
    }).catch((err: unknown) => {
      if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
    });
    // The old object may linger behind finalizers; applying now would patch it, not create.
    await waitForTermination(ctx, existing, { timeoutMs: opts.waitTimeoutMs, intervalMs: Math.min(opts.waitIntervalMs, 500), ...(opts.signal ? { signal: opts.signal } : {}) });
    return await dryRunApply(ctx, obj, opts.signal);
  } catch (err) {
    throw new ApplyError('RecreateFailed', `${subject} immutable field detected, recreate failed: ${errorMessage(err, obj)}`, { subject, cause: safeCause(err, obj) });
  }
}

function shouldSkip(obj: KubeObject, existing: KubeObject | undefined, opts: ApplyOptions): boolean {
  if (anyInMetadata(obj, opts.exclusions) || anyInMetadata(existing, opts.exclusions)) return true;
  return existing !== undefined && anyInMetadata(obj, opts.ifNotPresentSelector);
}

function shouldForce(obj: KubeObject, existing: KubeObject, opts: ApplyOptions): boolean {
  return opts.force || anyInMetadata(obj, opts.forceSelector) || anyInMetadata(existing, opts.forceSelector);
}

/**
 * The live object and the dry-run's outcome. The read and the dry-run are independent: side by
 * side they cost one round trip, not two (a skipped object's dry-run is wasted, a rare case).
 */
async function readAndDryRun(ctx: ManagerContext, obj: KubeObject, opts: ApplyOptions): Promise<{ existing: KubeObject | undefined; tried: PromiseSettledResult<KubeObject> }> {
  const read = async (): Promise<KubeObject | undefined> => {
    try {
      return await getOrUndefined(ctx, obj, obj.metadata.name ?? '', obj.metadata.namespace, opts.signal);
    } catch (err) {
      throw new ApplyError('GetFailed', `${subjectOf(obj)} query failed: ${errorMessage(err, obj)}`, { subject: subjectOf(obj), cause: safeCause(err, obj) });
    }
  };
  if (!opts.mayExist(obj)) {
    const [tried] = await Promise.allSettled([dryRunApply(ctx, obj, opts.signal)]);
    const absent = tried.status === 'fulfilled' && !tried.value.metadata.resourceVersion;
    return { existing: absent ? undefined : await read(), tried };
  }
  const [existing, tried] = await Promise.all([read(), dryRunApply(ctx, obj, opts.signal).then(
    (value): PromiseSettledResult<KubeObject> => ({ status: 'fulfilled', value }),
    (reason: unknown): PromiseSettledResult<KubeObject> => ({ status: 'rejected', reason }),
  )]);
  return { existing, tried };
}

async function plan(ctx: ManagerContext, obj: KubeObject, opts: ApplyOptions): Promise<Plan> {
  await validate(ctx, obj);
  const meta = objMetadataOf(obj);
  const found = await readAndDryRun(ctx, obj, opts);
  const { tried } = found;
  let existing = found.existing;
  if (shouldSkip(obj, existing, opts)) return { obj, entry: changeSetEntry(meta, 'skipped'), write: false, cleanup: [] };

  let dryRun: KubeObject;
  if (tried.status === 'fulfilled') {
    dryRun = tried.value;
  } else {
    const err: unknown = tried.reason;
    if (!existing || !shouldForce(obj, existing, opts) || !isImmutableError(err)) throw dryRunError(obj, err);
    dryRun = await recreate(ctx, obj, existing, opts);
    existing = undefined;
  }
  const exempt = anyInMetadata(obj, opts.cleanup.exclusions) || anyInMetadata(existing, opts.cleanup.exclusions);
  const cleanup = existing && !exempt ? cleanupPatch(existing, opts.cleanup, ctx.fieldManager) : [];
  if (!existing) return { obj, entry: changeSetEntry(meta, 'created'), write: true, cleanup: [], dryRun };
  if (cleanup.length > 0 || hasDrifted(existing, dryRun)) return { obj, entry: changeSetEntry(meta, 'configured'), write: true, cleanup, dryRun };
  return { obj, entry: changeSetEntry(meta, 'unchanged'), write: false, cleanup: [], dryRun };
}

/** Writes the plan; returns the object as the API server stored it. */
async function write(ctx: ManagerContext, p: Plan, signal?: AbortSignal): Promise<KubeObject> {
  const { obj } = p;
  const subject = p.entry.subject;
  const sig = signal ? { signal } : {};
  if (p.cleanup.length > 0) {
    try {
      await ctx.client.patch(obj, obj.metadata.name ?? '', obj.metadata.namespace, p.cleanup, { type: 'json', fieldManager: ctx.fieldManager, ...sig });
    } catch (err) {
      throw new ApplyError('CleanupFailed', `${subject} metadata.managedFields cleanup failed: ${errorMessage(err, obj)}`, { subject, cause: safeCause(err, obj) });
    }
  }
  try {
    return await ctx.client.apply<KubeObject>(obj, { fieldManager: ctx.fieldManager, force: true, ...sig });
  } catch (err) {
    throw new ApplyError('ApplyFailed', `${subject} apply failed: ${errorMessage(err, obj)}`, { subject, cause: safeCause(err, obj) });
  }
}

/**
 * Dry-runs every object (sorted in Flux's order), then writes those that changed, tier after
 * tier (`writeTier`: what workloads read, then workloads and the rest, then webhooks), objects
 * of one tier `concurrency` at a time. The first failing tier stops the run; the error's
 * changeSet lists the writes that landed.
 */
export async function applyAll(ctx: ManagerContext, objs: readonly KubeObject[], options: Partial<ApplyOptions> = {}): Promise<ChangeSet> {
  const opts = { ...defaultApplyOptions(), ...options };
  const sorted = sortObjects(objs);
  const plans = await mapLimit(sorted, ctx.concurrency, (o) => plan(ctx, o, opts));
  const landed = new Array<boolean>(plans.length).fill(false);
  const done = new ChangeSet(plans.map((p) => p.entry));
  try {
    for (const tier of byTier(plans)) {
      await mapLimit(tier, ctx.concurrency, async ({ p, i }) => {
        const live = p.write ? await write(ctx, p, opts.signal) : p.dryRun;
        if (live) done.setLive(p.entry.subject, live);
        landed[i] = true;
      });
    }
  } catch (err) {
    if (err instanceof ApplyError) err.changeSet = new ChangeSet(plans.filter((_, i) => landed[i]).map((p) => p.entry));
    throw err;
  }
  return done;
}

/** The plans of each write tier, with their index (sorted input keeps a tier together). */
function byTier(plans: readonly Plan[]): { p: Plan; i: number }[][] {
  const tiers: { p: Plan; i: number }[][] = [[], [], []];
  plans.forEach((p, i) => tiers[writeTier(p.obj.kind)]?.push({ p, i }));
  return tiers.filter((t) => t.length > 0);
}

export async function apply(ctx: ManagerContext, obj: KubeObject, options: Partial<ApplyOptions> = {}): Promise<ChangeSetEntry> {
  const cs = await applyAll(ctx, [obj], options);
  return cs.entries[0] as ChangeSetEntry;
}

async function applyStage(ctx: ManagerContext, objs: KubeObject[], opts: ApplyOptions, done: ChangeSet): Promise<void> {
  if (objs.length === 0) return;
  try {
    done.append(await applyAll(ctx, objs, opts));
  } catch (err) {
    if (err instanceof ApplyError) err.changeSet = new ChangeSet(done.entries).append(err.changeSet ?? new ChangeSet());
    throw err;
  }
}

/**
 * Stage 1 CRDs and Namespaces, waited for (CRD Established, Namespace Active) and the REST
 * mapping refreshed; stage 2 `*Class` kinds; stage 3 the rest. A failing stage stops the run
 * with nothing of it written; earlier stages stay applied (listed in the error's changeSet).
 */
export async function applyAllStaged(ctx: ManagerContext, objs: readonly KubeObject[], options: Partial<ApplyOptions> = {}): Promise<ChangeSet> {
  const opts = { ...defaultApplyOptions(), ...options };
  const stages = splitStages(objs);
  const done = new ChangeSet();
  await applyStage(ctx, stages.definitions, opts, done);
  if (stages.definitions.length > 0) {
    try {
      await waitForSet(ctx, stages.definitions.map(objMetadataOf), {
        timeoutMs: opts.waitTimeoutMs, intervalMs: opts.waitIntervalMs, failFast: true, ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      const message = err instanceof WaitError ? err.message : errorMessage(err);
      throw new ApplyError('WaitFailed', `cluster definitions not ready: ${message}`, { subject: '', cause: err, changeSet: new ChangeSet(done.entries) });
    }
    const crdChanged = done.entries.some((e) => e.meta.kind === 'CustomResourceDefinition' && (e.action === 'created' || e.action === 'configured'));
    // New or changed CRDs: forget cached discovery so their kinds (and scope) are seen.
    if (crdChanged) ctx.client.mapper.reset();
  }
  await applyStage(ctx, stages.classes, opts, done);
  await applyStage(ctx, stages.resources, opts, done);
  return done;
}
