// metav1.Condition helpers in the manner of fluxcd/pkg runtime/conditions. Objects stay plain
// JSON (KubeObject); conditions live in `status.conditions` and are kept in the order kstatus
// and `kubectl get` users expect: Ready first, the rest by type.
import { format } from 'node:util';
import type { KubeObject } from '../../kube/types.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition. `lastTransitionTime` is RFC 3339 with second precision, as the API stores it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** A condition to set; the transition time is filled in by `set`. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

export type Clock = () => Date;

/** Reconciling's reasons: a first attempt, or a retry after a failed one. */
export type ReconcilingReason = 'Progressing' | 'ProgressingWithRetry';

/** Condition types Flux controllers write (FLUX-API.md, "Conditions and reasons"). */
export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  Healthy: 'Healthy',
  ArtifactInStorage: 'ArtifactInStorage',
  FetchFailed: 'FetchFailed',
  SourceVerified: 'SourceVerified',
  StorageOperationFailed: 'StorageOperationFailed',
  IncludeUnavailable: 'IncludeUnavailable',
  ArtifactOutdated: 'ArtifactOutdated',
  Released: 'Released',
  TestSuccess: 'TestSuccess',
  Remediated: 'Remediated',
  Drifted: 'Drifted',
} as const;

/** Reasons users see on Flux objects (fluxcd/pkg apis/meta and the controllers' APIs). */
export const Reason = {
  Progressing: 'Progressing',
  ProgressingWithRetry: 'ProgressingWithRetry',
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  ReconciliationFailed: 'ReconciliationFailed',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  ArtifactFailed: 'ArtifactFailed',
  BuildFailed: 'BuildFailed',
  PruneFailed: 'PruneFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  DependencyNotReady: 'DependencyNotReady',
  AccessDenied: 'AccessDenied',
  AuthenticationFailed: 'AuthenticationFailed',
  GitOperationFailed: 'GitOperationFailed',
  VerificationError: 'VerificationError',
  InvalidURL: 'InvalidURL',
  InvalidPath: 'InvalidPath',
  StorageOperationFailed: 'StorageOperationFailed',
  Suspended: 'Suspended',
  NewArtifact: 'NewArtifact',
  ArtifactUpToDate: 'ArtifactUpToDate',
} as const;

const systemClock: Clock = () => new Date();

/** metav1.Time wire format: RFC 3339, whole seconds, UTC. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isCondition(v: unknown): v is Condition {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.type === 'string' && (c.status === 'True' || c.status === 'False' || c.status === 'Unknown');
}

function statusRecord(obj: KubeObject): Record<string, unknown> {
  const s = obj.status;
  if (typeof s === 'object' && s !== null && !Array.isArray(s)) return s as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  obj.status = fresh;
  return fresh;
}

/** Ready first, then by type: the order Flux's conditions.Set keeps and kstatus readers expect. */
export function compareConditionTypes(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ConditionType.Ready) return -1;
  if (b === ConditionType.Ready) return 1;
  return a < b ? -1 : 1;
}

/** The object's conditions (malformed entries skipped). The array is a copy. */
export function getConditions(obj: KubeObject): Condition[] {
  const s = obj.status;
  if (typeof s !== 'object' || s === null) return [];
  const list = (s as Record<string, unknown>).conditions;
  return Array.isArray(list) ? list.filter(isCondition) : [];
}

/** Replaces all conditions, sorted Ready-first. */
export function setConditions(obj: KubeObject, list: readonly Condition[]): void {
  statusRecord(obj).conditions = [...list].sort((a, b) => compareConditionTypes(a.type, b.type));
}

export function get(obj: KubeObject, type: string): Condition | undefined {
  return getConditions(obj).find((c) => c.type === type);
}

export function has(obj: KubeObject, type: string): boolean {
  return get(obj, type) !== undefined;
}

export function isTrue(obj: KubeObject, type: string): boolean {
  return get(obj, type)?.status === 'True';
}

export function isFalse(obj: KubeObject, type: string): boolean {
  return get(obj, type)?.status === 'False';
}

/** Unknown, or absent: both mean "no verdict yet" (Flux's IsUnknown agrees). */
export function isUnknown(obj: KubeObject, type: string): boolean {
  const c = get(obj, type);
  return c === undefined || c.status === 'Unknown';
}

export function isReady(obj: KubeObject): boolean {
  return isTrue(obj, ConditionType.Ready);
}

export function isStalled(obj: KubeObject): boolean {
  return isTrue(obj, ConditionType.Stalled);
}

export function isReconciling(obj: KubeObject): boolean {
  return isTrue(obj, ConditionType.Reconciling);
}

export function getReason(obj: KubeObject, type: string): string | undefined {
  return get(obj, type)?.reason;
}

export function getMessage(obj: KubeObject, type: string): string | undefined {
  return get(obj, type)?.message;
}

/** Removes a condition; true when one was there. */
export function remove(obj: KubeObject, type: string): boolean {
  const list = getConditions(obj);
  const kept = list.filter((c) => c.type !== type);
  if (kept.length === list.length) return false;
  setConditions(obj, kept);
  return true;
}

function render(messageFormat: string, args: readonly unknown[]): string {
  // Only format when given arguments, so a plain message containing '%' stays as written.
  return args.length === 0 ? messageFormat : format(messageFormat, ...args);
}

/**
 * Writes conditions with a clock, so tests can pin lastTransitionTime. The free functions
 * below (`set`, `markTrue`, …) use one on the system clock.
 */
export class ConditionWriter {
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /**
   * Adds or replaces a condition. lastTransitionTime moves only when the status changes (or is
   * given explicitly); observedGeneration defaults to the object's metadata.generation.
   */
  set(obj: KubeObject, input: ConditionInput): Condition {
    const list = getConditions(obj);
    const existing = list.find((c) => c.type === input.type);
    const generation = obj.metadata.generation;
    const next: Condition = {
      type: input.type,
      status: input.status,
      ...(input.observedGeneration !== undefined
        ? { observedGeneration: input.observedGeneration }
        : generation !== undefined
          ? { observedGeneration: generation }
          : {}),
      lastTransitionTime:
        input.lastTransitionTime ??
        (existing && existing.status === input.status ? existing.lastTransitionTime : formatTime(this.#clock())),
      reason: input.reason,
      message: input.message,
    };
    setConditions(obj, [...list.filter((c) => c.type !== input.type), next]);
    return next;
  }

  markTrue(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
    return this.set(obj, { type, status: 'True', reason, message: render(messageFormat, args) });
  }

  markFalse(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
    return this.set(obj, { type, status: 'False', reason, message: render(messageFormat, args) });
  }

  markUnknown(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
    return this.set(obj, { type, status: 'Unknown', reason, message: render(messageFormat, args) });
  }

  /** Reconciling=True; an object that is making progress is by definition not stalled. */
  markReconciling(obj: KubeObject, reason: ReconcilingReason, messageFormat: string, ...args: unknown[]): Condition {
    remove(obj, ConditionType.Stalled);
    return this.markTrue(obj, ConditionType.Reconciling, reason, messageFormat, ...args);
  }

  /** Stalled=True; a stalled object is no longer reconciling (kstatus: Failed, not InProgress). */
  markStalled(obj: KubeObject, reason: string, messageFormat: string, ...args: unknown[]): Condition {
    remove(obj, ConditionType.Reconciling);
    return this.markTrue(obj, ConditionType.Stalled, reason, messageFormat, ...args);
  }
}

const defaultWriter = new ConditionWriter();

export function set(obj: KubeObject, input: ConditionInput): Condition {
  return defaultWriter.set(obj, input);
}

export function markTrue(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
  return defaultWriter.markTrue(obj, type, reason, messageFormat, ...args);
}

export function markFalse(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
  return defaultWriter.markFalse(obj, type, reason, messageFormat, ...args);
}

export function markUnknown(obj: KubeObject, type: string, reason: string, messageFormat: string, ...args: unknown[]): Condition {
  return defaultWriter.markUnknown(obj, type, reason, messageFormat, ...args);
}

export function markReconciling(obj: KubeObject, reason: ReconcilingReason, messageFormat: string, ...args: unknown[]): Condition {
  return defaultWriter.markReconciling(obj, reason, messageFormat, ...args);
}

export function markStalled(obj: KubeObject, reason: string, messageFormat: string, ...args: unknown[]): Condition {
  return defaultWriter.markStalled(obj, reason, messageFormat, ...args);
}
