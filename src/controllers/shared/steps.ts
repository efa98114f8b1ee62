import { asReconcileError, type ReconcileError } from './errors.ts';

/** What a step asks of the driver; steps never compute Ready. */
export type StepResult = { kind: 'continue' } | { kind: 'requeue'; afterMs: number } | { kind: 'stop' };

export const CONTINUE: StepResult = { kind: 'continue' };

export type Step<S> = (state: S, signal: AbortSignal) => Promise<StepResult>;

export interface StepOutcome {
  /** Earliest requeue any step asked for. */
  requeueAfterMs?: number;
  error?: ReconcileError;
}

/**
 * Runs steps in order (source-controller's reconcile driver): stops at the first error or at a
 * step that says stop, and keeps the earliest requeue asked for.
 */
export async function runSteps<S>(steps: readonly Step<S>[], state: S, signal: AbortSignal, defaultReason = 'ReconciliationFailed'): Promise<StepOutcome> {
  const out: StepOutcome = {};
  for (const step of steps) {
    let r: StepResult;
    try {
      r = await step(state, signal);
    } catch (err) {
      out.error = asReconcileError(err, defaultReason);
      return out;
    }
    if (r.kind === 'requeue') out.requeueAfterMs = Math.min(out.requeueAfterMs ?? Infinity, r.afterMs);
    if (r.kind === 'stop') return out;
  }
  return out;
}
