import type { KubeObject } from '../../kube/types.ts';
import { TerminalError } from '../../runtime/queue/errors.ts';
import type { Result } from '../../runtime/queue/controller.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { StatusPatcher } from '../../runtime/status/patcher.ts';
import { isTrue, markFalse, markReconciling, markStalled, remove } from '../../runtime/status/conditions.ts';
import { summarize, type SummarizeSpec } from '../../runtime/status/summarize.ts';
import type { ReconcileError } from './errors.ts';
import type { StepOutcome } from './steps.ts';
import type { ReconcileDurationHistogram } from '../../runtime/observe/metrics.ts';

export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export interface FinishInput {
  obj: KubeObject;
  patcher: StatusPatcher;
  outcome: StepOutcome;
  spec: SummarizeSpec;
  /** Requeue after this on success (spec.interval). */
  intervalMs: number;
  recorder: EventRecorder;
  /** An event worth telling on success (a new revision, a recovery); none when nothing changed. */
  successEvent?: { reason: string; note: string; metadata?: Record<string, string> } | undefined;
  duration?: { histogram: ReconcileDurationHistogram; startedAt: number };
  /** Ready's status before this reconcile: a success after False is a recovery worth an event. */
  previousReady?: string | undefined;
}

/**
 * The one exit point of a reconcile (source-controller's summarize-and-patch): conditions from
 * the outcome, Ready summarized as data, observedGeneration, lastHandledReconcileAt, one status
 * patch, events, metrics; then what the controller should do next.
 */
export async function finishReconcile(input: FinishInput): Promise<Result> {
  const { obj, outcome } = input;
  const err = outcome.error;
  const status = (obj['status'] ??= {}) as Record<string, unknown>;
  const requested = obj.metadata.annotations?.[REQUESTED_AT];
  if (requested !== undefined) status['lastHandledReconcileAt'] = requested;
  writeConditions(obj, err, input.spec);
  // observedGeneration says the spec was handled; a retrying failure has not handled it yet.
  await input.patcher.patch(obj, { observedGeneration: !err || err.policy === 'stalling' });
  notify(input, err);
  if (input.duration) {
    input.duration.histogram.observe(
      { kind: obj.kind, name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' },
      (performance.now() - input.duration.startedAt) / 1000,
    );
  }
  if (!err) return { requeueAfterMs: Math.min(outcome.requeueAfterMs ?? Infinity, input.intervalMs) };
  if (err.policy === 'waiting') return { requeueAfterMs: err.requeueAfterMs ?? input.intervalMs };
  if (err.policy === 'stalling') throw new TerminalError(err.reason, err.message, { cause: err });
  throw err;
}

/** Reconciling / Stalled from the outcome, then Ready summarized from the owned conditions. */
function writeConditions(obj: KubeObject, err: ReconcileError | undefined, spec: SummarizeSpec): void {
  if (!err) {
    remove(obj, 'Reconciling');
    remove(obj, 'Stalled');
  } else if (err.policy === 'stalling') {
    remove(obj, 'Reconciling');
    markStalled(obj, err.reason, err.message);
  } else {
    remove(obj, 'Stalled');
    markReconciling(obj, 'ProgressingWithRetry', err.message);
  }
  summarize(obj, spec);
  // A failure that no specific condition (FetchFailed, BuildFailed, …) explains shows on Ready
  // with the error's own reason, not as a mere "retrying".
  const explained = spec.negativePolarity.some((t) => t !== 'Reconciling' && t !== 'Stalled' && isTrue(obj, t));
  if (err && !explained) markFalse(obj, 'Ready', err.reason, err.message);
}

function notify(input: FinishInput, err: ReconcileError | undefined): void {
  if (err?.notify) input.recorder.emit(input.obj, { type: 'Warning', reason: err.reason, note: err.message });
  else if (!err && input.successEvent) input.recorder.emit(input.obj, { type: 'Normal', ...input.successEvent });
  else if (!err && input.previousReady === 'False') {
    const ready = (input.obj['status'] as { conditions?: { type: string; reason: string; message: string }[] }).conditions?.find((c) => c.type === 'Ready');
    input.recorder.emit(input.obj, { type: 'Normal', reason: ready?.reason ?? 'Succeeded', note: ready?.message ?? 'recovered' });
  }
}
