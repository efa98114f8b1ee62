/** Why a Go binary could not be built; each maps to one clear line for the user. */
export type GoBuildErrorReason = 'GoMissing' | 'GoTooOld' | 'BuildFailed';

export class GoBuildError extends Error {
  readonly reason: GoBuildErrorReason;
  /** The build log, when there is one. */
  readonly logPath: string | undefined;

  constructor(reason: GoBuildErrorReason, message: string, opts: { logPath?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'GoBuildError';
    this.reason = reason;
    this.logPath = opts.logPath;
  }
}
