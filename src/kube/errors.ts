import type { Status } from './types.ts';

/** metav1.StatusReason values eddy acts on, plus Unknown for anything else. */
export type ApiErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Gone'
  | 'Expired'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServerTimeout'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Unknown';

const BY_CODE: Record<number, ApiErrorReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const KNOWN = new Set<string>(Object.values(BY_CODE).concat(['AlreadyExists', 'Expired', 'ServerTimeout', 'Timeout']));

/** An error answer from the API server, typed by its Status reason (never swallowed). */
export class ApiError extends Error {
  readonly reason: ApiErrorReason;
  readonly code: number;
  readonly status: Status;
  /** For 429 and some 5xx: how long the server asked us to wait. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: number, status: Status, retryAfterHeader?: string) {
    super(status.message ?? `HTTP ${code}`);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.reason = status.reason && KNOWN.has(status.reason) ? (status.reason as ApiErrorReason) : (BY_CODE[code] ?? 'Unknown');
    const header = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
    this.retryAfterSeconds = status.details?.retryAfterSeconds ?? (Number.isFinite(header) ? header : undefined);
  }

  /** Field errors of an Invalid answer. */
  get causes(): { reason?: string; message?: string; field?: string }[] {
    return this.status.details?.causes ?? [];
  }
}

/** The request never got an answer: connection refused or reset, TLS failure, client timeout. */
export class TransportError extends Error {
  readonly reason: 'ConnectionFailed' | 'Timeout' | 'Aborted';
  constructor(reason: TransportError['reason'], message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
    this.reason = reason;
  }
}

/** A kind the API server does not serve (yet): unknown after a discovery refresh. */
export class NoKindMatchError extends Error {
  readonly apiVersion: string;
  readonly kind: string;
  constructor(apiVersion: string, kind: string) {
    super(`no matches for kind "${kind}" in version "${apiVersion}"`);
    this.name = 'NoKindMatchError';
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

const is = (reason: ApiErrorReason) => (err: unknown): err is ApiError => err instanceof ApiError && err.reason === reason;
export const isNotFound = is('NotFound');
export const isAlreadyExists = is('AlreadyExists');
export const isConflict = is('Conflict');
export const isInvalid = is('Invalid');
export const isForbidden = is('Forbidden');
export const isTooManyRequests = is('TooManyRequests');
/** 410: the resourceVersion is older than etcd's compacted history (watch or list continue). */
export const isGone = (err: unknown): err is ApiError => err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
