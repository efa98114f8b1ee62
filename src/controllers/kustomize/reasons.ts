import { API_VERSION, KUSTOMIZATION_KIND } from '../../api/kustomize/v1/index.ts';
import type { TypeRef } from '../../kube/types.ts';

// Kustomization condition reasons as Flux's kustomize-controller writes them.
export const Reason = {
  Succeeded: 'ReconciliationSucceeded',
  Failed: 'ReconciliationFailed',
  ArtifactFailed: 'ArtifactFailed',
  BuildFailed: 'BuildFailed',
  DecryptionFailed: 'DecryptionFailed',
  PruneFailed: 'PruneFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  HealthCheckCanceled: 'HealthCheckCanceled',
  DependencyNotReady: 'DependencyNotReady',
  AccessDenied: 'AccessDenied',
  InvalidCELExpression: 'InvalidCELExpression',
  Progressing: 'Progressing',
  HealthSucceeded: 'Succeeded',
  DeletionFailed: 'DeletionFailed',
} as const;

export const FIELD_MANAGER = 'kustomize-controller';
export const CONTROLLER_NAME = 'kustomize-controller';
/** Conditions the status patcher owns on a Kustomization. */
export const OWNED_CONDITIONS = ['Ready', 'Reconciling', 'Stalled', 'Healthy'] as const;

export const KUSTOMIZATION_REF: TypeRef = { apiVersion: API_VERSION, kind: KUSTOMIZATION_KIND };
