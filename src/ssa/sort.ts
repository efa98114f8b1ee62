// Apply order and stages as Flux has them (fluxcd/pkg ssa ReconcileOrder; kustomize-controller
// stages): cluster definitions first, then `*Class` kinds, then everything else.
import type { KubeObject } from '../kube/types.ts';
import { objMetadataOf, type ObjMetadata } from './changeset.ts';

/** Kinds applied first, in this order; any other kind sorts between these and `LAST_KINDS`. */
export const FIRST_KINDS: readonly string[] = [
  'CustomResourceDefinition', 'Namespace', 'ClusterClass', 'RuntimeClass', 'PriorityClass', 'StorageClass',
  'VolumeSnapshotClass', 'IngressClass', 'GatewayClass', 'ResourceQuota', 'ServiceAccount', 'Role', 'ClusterRole',
  'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Service', 'LimitRange', 'Deployment', 'StatefulSet',
  'CronJob', 'PodDisruptionBudget',
];
/** Webhooks last: applied earlier they could reject the objects they are meant to serve. */
export const LAST_KINDS: readonly string[] = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function kindIndex(kind: string): number {
  const first = FIRST_KINDS.indexOf(kind);
  if (first !== -1) return first - FIRST_KINDS.length;
  const last = LAST_KINDS.indexOf(kind);
  return last === -1 ? 0 : last + 1;
}

const FIRST_WORKLOAD = kindIndex('Deployment');

/**
 * Writes go out in three tiers, each after the one before: what workloads read (service
 * accounts, RBAC, config, Services), then workloads and everything else, then webhooks. Flux
 * writes one object at a time in the sort order; the tiers keep what that order is for.
 */
export function writeTier(kind: string): 0 | 1 | 2 {
  const i = kindIndex(kind);
  return i < FIRST_WORKLOAD ? 0 : LAST_KINDS.includes(kind) ? 2 : 1;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kind rank, then group, kind, namespace, name: deterministic whatever the input order. */
export function compareMeta(a: ObjMetadata, b: ObjMetadata): number {
  return kindIndex(a.kind) - kindIndex(b.kind) || cmp(a.group, b.group) || cmp(a.kind, b.kind)
    || cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
}

export function sortObjects<T extends KubeObject>(objs: readonly T[]): T[] {
  return objs.map((o) => ({ o, m: objMetadataOf(o) })).sort((x, y) => compareMeta(x.m, y.m)).map((x) => x.o);
}

export function sortMetas(metas: readonly ObjMetadata[]): ObjMetadata[] {
  return [...metas].sort(compareMeta);
}

export function isCRD(obj: KubeObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && obj.apiVersion.startsWith('apiextensions.k8s.io/');
}

export function isNamespace(obj: KubeObject): boolean {
  return obj.kind === 'Namespace' && obj.apiVersion === 'v1';
}

/** Flux's IsClusterDefinition: CRDs and Namespaces (other cluster-scoped kinds need no wait). */
export function isClusterDefinition(obj: KubeObject): boolean {
  return isCRD(obj) || isNamespace(obj);
}

export interface Stages<T extends KubeObject> {
  definitions: T[];
  classes: T[];
  resources: T[];
}

export function splitStages<T extends KubeObject>(objs: readonly T[]): Stages<T> {
  const out: Stages<T> = { definitions: [], classes: [], resources: [] };
  for (const o of objs) {
    if (isClusterDefinition(o)) out.definitions.push(o);
    else if (o.kind.endsWith('Class')) out.classes.push(o);
    else out.resources.push(o);
  }
  return out;
}
