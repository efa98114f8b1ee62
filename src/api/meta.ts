// Types shared by every Flux API group (fluxcd/pkg apis/meta and metav1.Condition), and the
// validation patterns the CRDs use for them.

/** Go duration as Flux CRDs accept it for `interval` (h allowed). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** Flux's `timeout` fields accept ms, s and m only (no hours). */
export const TIMEOUT_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$';
/** `<algorithm>:<encoded>` as in OCI digests (Artifact.digest). */
export const DIGEST_PATTERN = '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$';

// metav1.Condition: one definition, with the helpers that write it.
import type { Condition } from '../runtime/status/conditions.ts';

export type { Condition, ConditionStatus } from '../runtime/status/conditions.ts';

export interface LocalObjectReference {
  name: string;
}

export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

export interface NamespacedObjectKindReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface SecretKeyReference {
  name: string;
  key?: string;
}

/** The output of a source reconciliation (status.artifact). */
export interface Artifact {
  /** `<kind>/<namespace>/<name>/<file>` relative to the storage root. */
  path: string;
  url: string;
  revision: string;
  /** `sha256:<hex>` of the file. */
  digest?: string;
  /** RFC 3339. */
  lastUpdateTime: string;
  size?: number;
  metadata?: Record<string, string>;
}

/** Inlined into every status: the last `reconcile.fluxcd.io/requestedAt` handled. */
export interface ReconcileRequestStatus {
  lastHandledReconcileAt?: string;
}

/** What every source status has. */
export interface SourceStatusCommon extends ReconcileRequestStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: Artifact;
}
