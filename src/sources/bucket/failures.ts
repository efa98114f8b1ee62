// Turning minio, socket and TLS failures into the typed bucket errors, with credentials
// scrubbed from every message; and the per-operation deadline.
import {
  AuthenticationFailed, BucketError, BucketNotFound, BucketOperationFailed, Unreachable,
} from './errors.ts';

const AUTH_CODES = new Set([
  'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken',
  'TokenRefreshRequired', 'AuthorizationHeaderMalformed', 'InvalidSecurity', 'AllAccessDisabled',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'EPIPE', 'ECONNABORTED', 'EPROTO', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
// TLS verification failures: the endpoint cannot be trusted, so it is as good as unreachable.
const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** A function that replaces each non-trivial secret in a string. */
export function scrubber(secrets: ReadonlyArray<string | undefined>): (s: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (s) => list.reduce((acc, secret) => acc.split(secret).join('***'), s);
}

export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** Resolves like `p`, or rejects with DeadlineExceeded after `ms` (calling `onExpire` first). */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string, onExpire: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpire();
      reject(new DeadlineExceeded(what, ms));
    }, ms);
  });
  // The loser may still reject later; that must not become an unhandled rejection.
  p.catch(() => undefined);
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** The typed error for any failure of an operation named `what`. */
export function classifyError(err: unknown, what: string, scrub: (s: string) => string): BucketError {
  if (err instanceof BucketError) return err;
  const code = codeOf(err);
  const message = scrub(err instanceof Error ? err.message : String(err));
  // A plain Error as cause: the library's error objects carry request details we don't vouch for.
  const cause = new Error(code ? `${code}: ${message}` : message);
  const detail = code ? `${code}: ${message}` : message;
  if (err instanceof DeadlineExceeded) return new Unreachable(message, { cause });
  if (code === 'NoSuchBucket') return new BucketNotFound(/bucket '([^']*)'/.exec(what)?.[1] ?? '', { cause });
  if (AUTH_CODES.has(code)) return new AuthenticationFailed(`${what}: ${detail}`, { cause });
  if (NETWORK_CODES.has(code) || TLS_CODE.test(code) || code.startsWith('UND_ERR_')) {
    return new Unreachable(`${what}: ${detail}`, { cause });
  }
  return new BucketOperationFailed(`${what}: ${detail}`, { cause });
}
