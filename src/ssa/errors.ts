// Typed errors of the resource manager. Messages name the object (`Kind/ns/name`) and carry
// the API server's message, scrubbed of Secret values (the server echoes "Invalid value: …").
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ChangeSet } from './changeset.ts';

export type ApplyErrorReason =
  | 'InvalidObject'
  | 'UnknownKind'
  | 'NamespaceNotSpecified'
  | 'GetFailed'
  | 'DryRunFailed'
  | 'ImmutableField'
  | 'RecreateFailed'
  | 'CleanupFailed'
  | 'ApplyFailed'
  | 'WaitFailed';

export interface ApplyErrorDetails {
  subject: string;
  cause?: unknown;
  /** The API server's reason (e.g. `Invalid`), when the error came from it. */
  apiReason?: string;
  /** Field paths the server named (e.g. `spec.selector`). */
  fields?: string[];
  /** What had already been applied (earlier stages) when this error stopped the run. */
  changeSet?: ChangeSet;
}

export class ApplyError extends Error {
  readonly reason: ApplyErrorReason;
  readonly subject: string;
  readonly apiReason: string | undefined;
  readonly fields: string[];
  changeSet: ChangeSet | undefined;

  constructor(reason: ApplyErrorReason, message: string, details: ApplyErrorDetails) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'ApplyError';
    this.reason = reason;
    this.subject = details.subject;
    this.apiReason = details.apiReason;
    this.fields = details.fields ?? [];
    this.changeSet = details.changeSet;
  }
}

export interface ObjectStatus {
  subject: string;
  status: string;
  message: string;
}

export type WaitErrorReason = 'Timeout' | 'Failed' | 'Aborted';

export class WaitError extends Error {
  readonly reason: WaitErrorReason;
  /** Every object that was not Current when the wait ended. */
  readonly statuses: ObjectStatus[];

  constructor(reason: WaitErrorReason, statuses: ObjectStatus[], cause?: unknown) {
    const prefix = { Timeout: 'timeout waiting for', Failed: 'failed early due to stalled resources', Aborted: 'wait aborted' }[reason];
    const list = statuses.map((s) => `${s.subject} status: '${s.status}'${s.message ? `: ${s.message}` : ''}`).join(', ');
    super(`${prefix}: [${list}]`, cause !== undefined ? { cause } : undefined);
    this.name = 'WaitError';
    this.reason = reason;
    this.statuses = statuses;
  }
}

export type DeleteErrorReason = 'DeleteFailed';

export class DeleteError extends Error {
  readonly reason: DeleteErrorReason;
  /** What was deleted or skipped before and despite the failures. */
  readonly changeSet: ChangeSet;
  readonly failures: { subject: string; message: string }[];

  constructor(failures: { subject: string; message: string; cause: unknown }[], changeSet: ChangeSet) {
    super(failures.map((f) => `${f.subject} delete failed: ${f.message}`).join('\n'), { cause: failures[0]?.cause });
    this.name = 'DeleteError';
    this.reason = 'DeleteFailed';
    this.changeSet = changeSet;
    this.failures = failures.map(({ subject, message }) => ({ subject, message }));
  }
}

function isSecret(obj: KubeObject | undefined): boolean {
  return obj?.kind === 'Secret' && obj.apiVersion === 'v1';
}

function secretValues(obj: KubeObject): string[] {
  const out: string[] = [];
  for (const key of ['data', 'stringData']) {
    const map = obj[key];
    if (typeof map !== 'object' || map === null) continue;
    for (const v of Object.values(map as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      out.push(v);
      if (key === 'data') out.push(Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  // Longest first, so a value containing another is replaced whole.
  return out.filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** An API server message with Secret values removed (both the raw and the base64 forms). */
export function scrubMessage(message: string, ...objs: (KubeObject | undefined)[]): string {
  if (!objs.some(isSecret)) return message;
  let out = message.replace(/Invalid value: .*?(: |$)/g, 'Invalid value: [redacted]$1');
  for (const obj of objs) {
    if (!obj || !isSecret(obj)) continue;
    for (const v of secretValues(obj)) out = out.split(v).join('[redacted]');
  }
  return out;
}

/** The server's message of an error (never the request body), scrubbed for Secrets. */
export function errorMessage(err: unknown, ...objs: (KubeObject | undefined)[]): string {
  const raw = err instanceof Error ? err.message : String(err);
  return scrubMessage(raw, ...objs);
}

/**
 * A cause safe to chain: API errors of Secrets carry the server's Status, whose message may
 * echo values, so they are replaced by a scrubbed copy.
 */
export function safeCause(err: unknown, ...objs: (KubeObject | undefined)[]): unknown {
  if (!objs.some(isSecret)) return err;
  if (err instanceof ApiError) {
    const status = { ...err.status, message: errorMessage(err, ...objs) };
    if (status.details?.causes) {
      status.details = { ...status.details, causes: status.details.causes.map((c) => ({ ...c, message: scrubMessage(c.message ?? '', ...objs) })) };
    }
    return new ApiError(err.code, status);
  }
  return new Error(errorMessage(err, ...objs));
}
