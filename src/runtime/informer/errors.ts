import type { Status } from '../../kube/types.ts';

/** Why an informer or its store refused or gave up on something. */
export type InformerErrorReason =
  | 'InvalidOptions'
  | 'AlreadyStarted'
  | 'UnknownIndex'
  | 'DuplicateIndex'
  | 'IndexFuncFailed'
  | 'WatchError'
  | 'WatchInactive'
  | 'ListFailed';

export class InformerError extends Error {
  readonly reason: InformerErrorReason;
  /** The metav1.Status the server sent, when the failure came from one. */
  readonly status: Status | undefined;

  constructor(reason: InformerErrorReason, message: string, opts: { status?: Status; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'InformerError';
    this.reason = reason;
    this.status = opts.status;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * The HTTP status code an error carries, looking where clients put it: a metav1.Status in
 * `status` or `body`, or a numeric `code` / `statusCode`, following the `cause` chain. The
 * client is written elsewhere, so this duck-types instead of depending on its error class.
 */
export function statusCodeOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 8; e = e['cause'], depth++) {
    for (const field of ['status', 'body']) {
      const s = e[field];
      if (isRecord(s) && typeof s['code'] === 'number') return s['code'];
    }
    if (e['kind'] === 'Status' && typeof e['code'] === 'number') return e['code'];
    for (const field of ['statusCode', 'code']) {
      const c = e[field];
      if (typeof c === 'number') return c;
    }
  }
  return undefined;
}

/** 410 Gone / Expired: the resourceVersion or continue token is older than the server keeps. */
export function isExpired(err: unknown): boolean {
  return statusCodeOf(err) === 410;
}

/** Treats a watch ERROR event's object as the metav1.Status it should be. */
export function asStatus(obj: unknown): Status | undefined {
  return isRecord(obj) && obj['kind'] === 'Status' ? (obj as unknown as Status) : undefined;
}
