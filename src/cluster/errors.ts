/** Why a cluster operation failed; each maps to one clear line for the user. */
export type ClusterErrorReason =
  | 'GoMissing'
  | 'GoTooOld'
  | 'BuildFailed'
  | 'PortTaken'
  | 'StartFailed'
  | 'StartTimeout'
  | 'NotFound'
  | 'StopFailed';

export class ClusterError extends Error {
  readonly reason: ClusterErrorReason;
  /** A log file that holds the details, when there is one. */
  readonly logPath: string | undefined;

  constructor(reason: ClusterErrorReason, message: string, opts: { logPath?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ClusterError';
    this.reason = reason;
    this.logPath = opts.logPath;
  }
}
