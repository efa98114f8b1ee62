/** Why the queue or controller machinery refused or failed something. */
export type ControllerErrorReason =
  | 'InvalidKey'
  | 'InvalidOption'
  | 'AlreadyStarted'
  | 'DuplicateName'
  | 'MetricsAlreadyRegistered'
  | 'ReconcileTimeout'
  | 'ShutdownTimeout';

export class ControllerError extends Error {
  readonly reason: ControllerErrorReason;

  constructor(reason: ControllerErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ControllerError';
    this.reason = reason;
  }
}

/**
 * A reconcile failure that retrying cannot fix (e.g. an invalid spec): it is
 * counted and logged but the request is not requeued. Like controller-runtime's
 * `reconcile.TerminalError`, it is also recognised when wrapped as a `cause`.
 */
export class TerminalError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'TerminalError';
    this.reason = reason;
  }
}

/** True when `err` or anything in its `cause` chain is a TerminalError (Go's errors.Is). */
export function isTerminalError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    if (e instanceof TerminalError) return true;
    seen.add(e);
  }
  return false;
}
