// Step 11, the one exit point: Ready written from the outcome (as kustomize-controller does:
// "Applied revision: …" or the failing step's reason), revisions, history, one status patch,
// the events, the duration metric, and when to come back.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Logger } from '../../runtime/queue/logger.ts';
import type { Result } from '../../runtime/queue/controller.ts';
import { TerminalError } from '../../runtime/queue/errors.ts';
import { get, markFalse, markStalled, markTrue, remove, set } from '../../runtime/status/conditions.ts';
import type { StatusPatcher } from '../../runtime/status/patcher.ts';
import { parseDuration } from '../../runtime/duration.ts';
import type { ReconcileError } from '../shared/errors.ts';
import type { DelayedProgress } from '../shared/progress.ts';
import { REQUESTED_AT } from '../shared/finish.ts';
import type { ApplyOutcome } from './apply.ts';
import { manifestsDigest, upsertHistory } from './history.ts';
import { Reason } from './reasons.ts';
import type { ResolvedSource } from './source-ref.ts';
import type { ReconcileDurationHistogram } from '../../runtime/observe/metrics.ts';

export interface Finish {
  obj: Kustomization;
  patcher: StatusPatcher;
  recorder: EventRecorder;
  histogram: ReconcileDurationHistogram;
  startedAt: number;
  log: Logger;
  /** A mid-reconcile progress write, settled before the final patch. */
  progress?: DelayedProgress | undefined;
}

export const ORIGIN_REVISION_KEY = 'org.opencontainers.image.revision';

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${+(ms / 1000).toFixed(3)}s`;
}

function observe(f: Finish): number {
  const ms = performance.now() - f.startedAt;
  f.histogram.observe({ kind: f.obj.kind, name: f.obj.metadata.name ?? '', namespace: f.obj.metadata.namespace ?? '' }, ms / 1000);
  return ms;
}

function handleRequest(obj: KubeObject): void {
  const requested = obj.metadata.annotations?.[REQUESTED_AT];
  if (requested !== undefined) ((obj['status'] ??= {}) as Record<string, unknown>)['lastHandledReconcileAt'] = requested;
}

export async function finishSuccess(f: Finish, source: ResolvedSource, objects: readonly KubeObject[], outcome: ApplyOutcome): Promise<Result> {
  const { obj } = f;
  const revision = source.artifact.revision;
  const origin = source.artifact.metadata?.[ORIGIN_REVISION_KEY];
  const status = (obj.status ??= {});
  status.lastAppliedRevision = revision;
  status.lastAttemptedRevision = revision;
  if (origin) status.lastAppliedOriginRevision = origin;
  else delete status.lastAppliedOriginRevision;
  handleRequest(obj);
  remove(obj, 'Reconciling');
  remove(obj, 'Stalled');
  markTrue(obj, 'Ready', Reason.Succeeded, `Applied revision: ${revision}`);
  const ms = observe(f);
  status.history = upsertHistory(status.history, {
    digest: manifestsDigest(objects), status: Reason.Succeeded, durationMs: ms, at: new Date(),
    metadata: { revision, ...(origin ? { originRevision: origin } : {}) },
  });
  await f.progress?.settle();
  await f.patcher.patch(obj, { observedGeneration: true });
  const next = obj.spec.interval;
  f.log.info({ revision, changed: outcome.changed }, `Reconciliation finished in ${formatSeconds(ms)}, next run in ${next}`);
  f.recorder.emit(obj, { type: 'Normal', reason: Reason.Succeeded, note: `Reconciliation finished in ${formatSeconds(ms)}, next run in ${next}`, metadata: { revision, 'commit_status': 'update' } });
  return { requeueAfterMs: parseDuration(next) };
}

export async function finishFailure(f: Finish, err: ReconcileError, revision: string | undefined): Promise<Result> {
  const { obj } = f;
  const status = (obj.status ??= {});
  if (revision && err.reason !== Reason.DependencyNotReady) status.lastAttemptedRevision = revision;
  handleRequest(obj);
  if (err.policy === 'stalling') {
    remove(obj, 'Reconciling');
    markStalled(obj, err.reason, err.message);
  } else {
    remove(obj, 'Stalled');
    const rc = get(obj, 'Reconciling');
    if (rc) set(obj, { ...rc, reason: 'ProgressingWithRetry' });
  }
  markFalse(obj, 'Ready', err.reason, err.message);
  observe(f);
  await f.progress?.settle();
  await f.patcher.patch(obj, { observedGeneration: err.policy === 'stalling' });
  if (err.notify) {
    f.log.error({ reason: err.reason, revision }, err.message);
    f.recorder.emit(obj, { type: 'Warning', reason: err.reason, note: err.message, ...(revision ? { metadata: { revision } } : {}) });
  } else {
    f.log.info({ reason: err.reason }, err.message);
  }
  if (err.policy === 'stalling') throw new TerminalError(err.reason, err.message, { cause: err });
  if (err.policy === 'waiting') return { requeueAfterMs: err.requeueAfterMs ?? parseDuration(obj.spec.retryInterval ?? obj.spec.interval) };
  return { requeueAfterMs: parseDuration(obj.spec.retryInterval ?? obj.spec.interval) };
}
