// Typed failures of the artifact machinery: consumers branch on `reason` (requeue on NotFound,
// stall on IllegalPath, …) instead of parsing messages.

export type ArtifactErrorReason =
  | 'DigestMismatch'
  | 'NotFound'
  | 'TooLarge'
  | 'TooManyFiles'
  | 'IllegalPath'
  | 'IllegalLink'
  | 'Network'
  | 'Corrupt';

export class ArtifactError extends Error {
  readonly reason: ArtifactErrorReason;

  constructor(reason: ArtifactErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactError';
    this.reason = reason;
  }
}

export function isArtifactError(err: unknown, reason?: ArtifactErrorReason): err is ArtifactError {
  return err instanceof ArtifactError && (reason === undefined || err.reason === reason);
}

/** A URL safe to show in errors and logs: no user info, query or fragment (they may carry tokens). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
