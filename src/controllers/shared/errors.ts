/**
 * Typed reconcile errors, each with a reason (the condition reason users see) and a policy
 * (source-controller's internal/error): what the driver does with it.
 * - stalling: will not fix itself; Stalled=True, no retry until the spec changes.
 * - waiting: a dependency is not there yet; retry after `requeueAfterMs`, no error backoff.
 * - generic: anything else; retried with the controller's exponential backoff.
 */
export type ErrorPolicy = 'stalling' | 'waiting' | 'generic';

export class ReconcileError extends Error {
  readonly reason: string;
  readonly policy: ErrorPolicy;
  readonly requeueAfterMs: number | undefined;
  /** Emit a Warning event and log at error level (false for expected waits). */
  readonly notify: boolean;

  constructor(policy: ErrorPolicy, reason: string, message: string, opts: { cause?: unknown; requeueAfterMs?: number; notify?: boolean } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ReconcileError';
    this.policy = policy;
    this.reason = reason;
    this.requeueAfterMs = opts.requeueAfterMs;
    this.notify = opts.notify ?? policy !== 'waiting';
  }
}

export const stalling = (reason: string, message: string, cause?: unknown) => new ReconcileError('stalling', reason, message, { cause });
export const waiting = (reason: string, message: string, requeueAfterMs: number, cause?: unknown) =>
  new ReconcileError('waiting', reason, message, { cause, requeueAfterMs });
export const generic = (reason: string, message: string, cause?: unknown) => new ReconcileError('generic', reason, message, { cause });

/** Anything thrown that is not a ReconcileError becomes a generic one with the given reason. */
export function asReconcileError(err: unknown, reason: string): ReconcileError {
  if (err instanceof ReconcileError) return err;
  return generic(reason, err instanceof Error ? err.message : String(err), err);
}
