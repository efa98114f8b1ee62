/** Why an OCI operation failed. Messages never carry credentials or tokens. */
export type OciErrorReason =
  | 'InvalidUrl'
  | 'InvalidReference'
  | 'InvalidCredentials'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'TooManyRequests'
  | 'Server'
  | 'Network'
  | 'TLS'
  | 'Protocol'
  | 'DigestMismatch'
  | 'InvalidManifest'
  | 'TooLarge'
  | 'NoMatchingTag'
  | 'LayerNotFound'
  | 'InvalidLayer'
  | 'NoSignature'
  | 'InvalidSignature'
  | 'InvalidKey';

/**
 * Reasons that will not fix themselves by retrying the same spec (Flux's "Stalling"): the
 * controller should wait for a spec change instead of backing off.
 */
const STALLING: ReadonlySet<OciErrorReason> = new Set<OciErrorReason>([
  'InvalidUrl',
  'InvalidReference',
  'InvalidCredentials',
  'InvalidKey',
]);

export interface OciErrorDetails {
  cause?: unknown;
  /** HTTP status of the answer that caused it, if any. */
  status?: number;
  /** What the server asked us to wait (429/503 Retry-After), in ms. */
  retryAfterMs?: number;
}

export class OciError extends Error {
  readonly reason: OciErrorReason;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(reason: OciErrorReason, message: string, details: OciErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OciError';
    this.reason = reason;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** True when retrying later cannot help until the spec (URL, ref, key, secret) changes. */
  get stalling(): boolean {
    return STALLING.has(this.reason);
  }
}

export function isOciError(err: unknown, reason?: OciErrorReason): err is OciError {
  return err instanceof OciError && (reason === undefined || err.reason === reason);
}
