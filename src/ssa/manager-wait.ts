// waitForSet: poll a set of objects until every one is kstatus Current, one is Failed (with
// failFast), the timeout passes or the signal aborts (a new revision arrived).
import { setTimeout as sleep } from 'node:timers/promises';
import { computeStatus, type KStatusResult } from '../runtime/status/kstatus.ts';
import type { KubeObject } from '../kube/types.ts';
import { fmtObjMetadata, typeRefOf, type ObjMetadata } from './changeset.ts';
import { getOrUndefined, mapLimit, type ManagerContext } from './context.ts';
import { WaitError, type ObjectStatus } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Stop at the first Failed object instead of waiting for the timeout. */
  failFast: boolean;
  signal?: AbortSignal;
  /** A verdict of the caller's (e.g. CEL health expressions); undefined falls back to kstatus. */
  statusOverride?: (obj: KubeObject) => KStatusResult | undefined;
  /** Objects already read (e.g. an apply's responses, `ChangeSet.liveObject`): the first round judges these without a GET. */
  known?: (meta: ObjMetadata) => KubeObject | undefined;
}

export function defaultWaitOptions(): WaitOptions {
  return { timeoutMs: 60_000, intervalMs: 2_000, failFast: false };
}

interface Observed {
  meta: ObjMetadata;
  result: KStatusResult;
}

async function observe(ctx: ManagerContext, meta: ObjMetadata, opts: WaitOptions, known?: KubeObject): Promise<Observed> {
  let obj: KubeObject | undefined = known;
  try {
    obj ??= await getOrUndefined(ctx, typeRefOf(meta), meta.name, meta.namespace || undefined, opts.signal);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    // Unknown, not fatal: the next poll may succeed (API server hiccup, CRD not served yet).
    return { meta, result: { status: 'Unknown', message: `can't determine status: ${err instanceof Error ? err.message : String(err)}` } };
  }
  const result = (obj && opts.statusOverride?.(obj)) ?? computeStatus(obj);
  return { meta, result };
}

function notCurrent(observed: Observed[]): ObjectStatus[] {
  return observed
    .filter((o) => o.result.status !== 'Current')
    .map((o) => ({ subject: fmtObjMetadata(o.meta), status: o.result.status, message: o.result.message }));
}

/** First re-poll after this long; each later one waits twice as long, up to `intervalMs`. */
const FIRST_POLL_MS = 100;

/**
 * Polls the objects not yet Current (those already Current are not fetched again): the first
 * re-poll comes after 100 ms and the gap doubles up to `intervalMs`, so a Deployment the
 * controller-manager observes within a second costs a few GETs, not a fixed 2 s.
 */
export async function waitForSet(ctx: ManagerContext, metas: readonly ObjMetadata[], options: Partial<WaitOptions> = {}): Promise<void> {
  const opts = { ...defaultWaitOptions(), ...options };
  if (metas.length === 0) return;
  const deadline = Date.now() + opts.timeoutMs;
  let last: Observed[] = [];
  let pendingMetas = [...metas];
  let gap = Math.min(FIRST_POLL_MS, opts.intervalMs);
  let known = opts.known;
  for (;;) {
    if (opts.signal?.aborted) throw new WaitError('Aborted', notCurrent(last), opts.signal.reason);
    try {
      const seen = known;
      last = await mapLimit(pendingMetas, ctx.concurrency, (m) => observe(ctx, m, opts, seen?.(m)));
      known = undefined;
    } catch (err) {
      throw new WaitError('Aborted', notCurrent(last), err);
    }
    const pending = notCurrent(last);
    if (pending.length === 0) return;
    if (opts.failFast && last.some((o) => o.result.status === 'Failed')) {
      throw new WaitError('Failed', pending.filter((p) => p.status === 'Failed'));
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitError('Timeout', pending);
    pendingMetas = last.filter((o) => o.result.status !== 'Current').map((o) => o.meta);
    try {
      await sleep(Math.min(gap, left), undefined, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw new WaitError('Aborted', pending, opts.signal?.reason ?? err);
    }
    gap = Math.min(gap * 2, opts.intervalMs);
  }
}

/** Polls until the object with this uid is gone (deleted, or replaced by a new one). */
export async function waitForTermination(ctx: ManagerContext, obj: KubeObject, opts: Pick<WaitOptions, 'timeoutMs' | 'intervalMs' | 'signal'>): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const { name, namespace, uid } = obj.metadata;
  for (;;) {
    const live = await getOrUndefined(ctx, obj, name ?? '', namespace, opts.signal);
    if (!live || live.metadata.uid !== uid) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new WaitError('Timeout', [{ subject: fmtObjMetadata({ kind: obj.kind, namespace: namespace ?? '', name: name ?? '' }), status: 'Terminating', message: 'still present after delete' }]);
    }
    await sleep(Math.min(opts.intervalMs, left), undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

/** Polls until every object is gone (NotFound); a deletionPolicy of WaitForTermination waits on this. */
export async function waitForDeletion(ctx: ManagerContext, metas: readonly ObjMetadata[], opts: Pick<WaitOptions, 'timeoutMs' | 'intervalMs' | 'signal'>): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let pending = [...metas];
  for (;;) {
    const present = await mapLimit(pending, ctx.concurrency, async (m) => ((await getOrUndefined(ctx, typeRefOf(m), m.name, m.namespace || undefined, opts.signal)) ? m : undefined));
    pending = present.filter((m): m is ObjMetadata => m !== undefined);
    if (pending.length === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitError('Timeout', pending.map((m) => ({ subject: fmtObjMetadata(m), status: 'Terminating', message: 'still present after delete' })));
    await sleep(Math.min(opts.intervalMs, left), undefined, opts.signal ? { signal: opts.signal } : {});
  }
}
