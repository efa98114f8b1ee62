// Readiness as data (source-controller internal/reconcile/summarize): a controller declares
// which conditions it owns, which of them feed Ready and which are negative-polarity (True
// means trouble), and one exit point computes Ready from them. Steps never write Ready.
import type { KubeObject } from '../../kube/types.ts';
import { ConditionType, ConditionWriter, getConditions, Reason } from './conditions.ts';
import type { Condition, ConditionInput } from './conditions.ts';

export interface SummarizeSpec {
  /** The condition written; Flux always summarizes into Ready. */
  summarizeInto?: string;
  /** Condition types this controller writes (the status patcher writes only these). */
  owned: readonly string[];
  /**
   * Types that feed the summary, highest priority first; defaults to `owned` without the
   * target. Order matters: the first failing one gives Ready its reason and message, so list
   * specific failures (FetchFailed, BuildFailed) before Stalled and Reconciling, as Flux does.
   */
  summarize?: readonly string[];
  /** Types where True is bad: Stalled, Reconciling, FetchFailed, StorageOperationFailed, … */
  negativePolarity: readonly string[];
  /**
   * Ready's reason and message on success. Without it, Ready mirrors the first positive
   * condition that is True (source-controller: ArtifactInStorage → Succeeded, "stored artifact
   * for revision …"), else ReconciliationSucceeded.
   */
  success?: { reason: string; message: string };
}

type Verdict = Omit<ConditionInput, 'type'>;

function pick(c: Condition, status: Verdict['status']): Verdict {
  return { status, reason: c.reason, message: c.message };
}

/**
 * Computes the summary without writing it. Priority, as Flux's merge of condition groups:
 * 1. a failing condition (negative-polarity True, positive False), in `summarize` order → False;
 * 2. Reconciling=True → Unknown while Progressing, False while ProgressingWithRetry (the last
 *    attempt failed, so the object is not ready);
 * 3. an Unknown condition → Unknown;
 * 4. otherwise True.
 */
export function computeSummary(obj: KubeObject, spec: SummarizeSpec): Verdict {
  const target = spec.summarizeInto ?? ConditionType.Ready;
  const order = (spec.summarize ?? spec.owned).filter((t) => t !== target);
  const negative = new Set(spec.negativePolarity);
  const byType = new Map(getConditions(obj).map((c) => [c.type, c]));
  const present = order.flatMap((t) => {
    const c = byType.get(t);
    return c ? [c] : [];
  });
  const isBad = (c: Condition) => (negative.has(c.type) ? c.status === 'True' : c.status === 'False');

  const failing = present.find((c) => c.type !== ConditionType.Reconciling && isBad(c));
  if (failing) return pick(failing, 'False');

  const reconciling = present.find((c) => c.type === ConditionType.Reconciling && c.status === 'True');
  if (reconciling) return pick(reconciling, reconciling.reason === Reason.ProgressingWithRetry ? 'False' : 'Unknown');

  const unknown = present.find((c) => c.status === 'Unknown');
  if (unknown) return pick(unknown, 'Unknown');

  if (spec.success) return { status: 'True', ...spec.success };
  const positive = present.find((c) => !negative.has(c.type) && c.status === 'True');
  if (positive) return pick(positive, 'True');
  return { status: 'True', reason: Reason.ReconciliationSucceeded, message: 'Reconciliation succeeded' };
}

/** Computes the summary and writes it into the target condition (default Ready). */
export function summarize(obj: KubeObject, spec: SummarizeSpec, writer: ConditionWriter = new ConditionWriter()): Condition {
  const verdict = computeSummary(obj, spec);
  return writer.set(obj, { type: spec.summarizeInto ?? ConditionType.Ready, ...verdict });
}
