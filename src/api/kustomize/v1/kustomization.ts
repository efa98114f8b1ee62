// Kustomization (kustomize.toolkit.fluxcd.io/v1): types and CRD, per Flux's api/v1 markers.
import type { KubeObject, ObjectMeta } from '../../../kube/types.ts';
import { AGE_COLUMN, buildCRD, READY_COLUMN, STATUS_COLUMN } from '../../crd.ts';
import type { Condition, LocalObjectReference, NamespacedObjectKindReference, ReconcileRequestStatus, SecretKeyReference } from '../../meta.ts';
import { intervalSchema, localObjectReference, statusCommon } from '../../meta-schema.ts';
import { DURATION_PATTERN } from '../../meta.ts';
import { arrayOf, bool, dateTime, enumOf, int64, obj, str, stringMap, type JSONSchemaProps } from '../../schema.ts';
import { GROUP, KUSTOMIZATION_KIND, VERSION, type API_VERSION } from './group.ts';

export const SOURCE_KINDS = ['OCIRepository', 'GitRepository', 'Bucket', 'ExternalArtifact'] as const;
export type SourceKindName = (typeof SOURCE_KINDS)[number];
export const DELETION_POLICIES = ['MirrorPrune', 'Delete', 'WaitForTermination', 'Orphan'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export interface CrossNamespaceSourceReference {
  apiVersion?: string;
  kind: SourceKindName;
  name: string;
  namespace?: string;
}

export interface DependencyReference {
  name: string;
  namespace?: string;
  readyExpr?: string;
}

export interface CustomHealthCheck {
  apiVersion: string;
  kind: string;
  current?: string;
  inProgress?: string;
  failed?: string;
}

export interface PatchSelector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  annotationSelector?: string;
  labelSelector?: string;
}

export interface KustomizePatch {
  patch: string;
  target?: PatchSelector;
}

export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface SubstituteReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional?: boolean;
}

export interface PostBuild {
  substitute?: Record<string, string>;
  substituteFrom?: SubstituteReference[];
}

export interface Decryption {
  provider: 'sops';
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
}

export interface KubeConfigReference {
  secretRef?: SecretKeyReference;
  configMapRef?: LocalObjectReference;
}

export interface KustomizationSpec {
  interval: string;
  retryInterval?: string;
  timeout?: string;
  suspend?: boolean;
  sourceRef: CrossNamespaceSourceReference;
  path?: string;
  prune: boolean;
  deletionPolicy?: DeletionPolicy;
  force?: boolean;
  wait?: boolean;
  healthChecks?: NamespacedObjectKindReference[];
  healthCheckExprs?: CustomHealthCheck[];
  dependsOn?: DependencyReference[];
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  patches?: KustomizePatch[];
  images?: KustomizeImage[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  postBuild?: PostBuild;
  decryption?: Decryption;
  serviceAccountName?: string;
  kubeConfig?: KubeConfigReference;
}

export interface InventoryEntry {
  /** `<namespace>_<name>_<group>_<kind>` */
  id: string;
  /** The object's API version. */
  v: string;
}

export interface HistoryEntry {
  digest: string;
  firstReconciled: string;
  lastReconciled: string;
  lastReconciledDuration: string;
  lastReconciledStatus: string;
  totalReconciliations: number;
  metadata?: Record<string, string>;
}

export interface KustomizationStatus extends ReconcileRequestStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: string;
  lastAppliedOriginRevision?: string;
  lastAttemptedRevision?: string;
  inventory?: { entries: InventoryEntry[] };
  history?: HistoryEntry[];
}

export interface Kustomization extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KUSTOMIZATION_KIND;
  metadata: ObjectMeta;
  spec: KustomizationSpec;
  status?: KustomizationStatus;
}

const optionalDuration = (description: string): JSONSchemaProps => str({ description, pattern: DURATION_PATTERN });

function patchSchema(): JSONSchemaProps {
  const selector = obj({
    annotationSelector: str({ description: 'Label-selector syntax matched against the annotations of candidates.' }),
    group: str(), kind: str(), labelSelector: str({ description: 'Label selector matched against the labels of candidates.' }),
    name: str(), namespace: str(), version: str(),
  }, { description: 'Which objects the patch applies to.' });
  return obj({
    patch: str({ description: 'Strategic merge or JSON6902 patch, inline YAML.' }),
    target: selector,
  }, { description: 'A kustomize patch with an optional target.', required: ['patch'] });
}

function imageSchema(): JSONSchemaProps {
  return obj({
    digest: str({ description: 'Replaces the tag with this digest.' }),
    name: str({ description: 'Image name as it appears in the manifests.' }),
    newName: str({ description: 'Replacement name.' }),
    newTag: str({ description: 'Replacement tag.' }),
  }, { description: 'A kustomize image override.', required: ['name'] });
}

function postBuildSchema(): JSONSchemaProps {
  return obj({
    substitute: stringMap({ description: 'Variables substituted in the built manifests (${var}).' }),
    substituteFrom: arrayOf(obj({
      kind: enumOf(['Secret', 'ConfigMap'], { description: 'Kind of the values referent.' }),
      name: str({ minLength: 1, maxLength: 253, description: 'Name of the values referent, in the Kustomization namespace.' }),
      optional: bool({ default: false, description: 'A missing referent is ignored when true.' }),
    }, { required: ['kind', 'name'] }), { description: 'ConfigMaps and Secrets whose data are variables.' }),
  }, { description: 'Post-build operations: variable substitution.' });
}

function specSchema(): JSONSchemaProps {
  return obj({
    commonMetadata: obj({ annotations: stringMap(), labels: stringMap() }, { description: 'Labels and annotations added to every applied object.' }),
    components: arrayOf(str(), { description: 'Kustomize components, relative to the path.' }),
    decryption: obj({
      provider: enumOf(['sops'], { description: 'Decryption provider.' }),
      secretRef: localObjectReference('Secret with the decryption keys.'),
      serviceAccountName: str({ description: 'ServiceAccount used for KMS authentication.' }),
    }, { description: 'Decrypt SOPS-encrypted secrets.', required: ['provider'] }),
    deletionPolicy: enumOf(DELETION_POLICIES, { description: 'What happens to applied objects when the Kustomization is deleted.' }),
    dependsOn: arrayOf(obj({
      name: str({ description: 'Name of the dependency.' }),
      namespace: str({ description: 'Namespace of the dependency, the Kustomization namespace when empty.' }),
      readyExpr: str({ description: 'CEL expression deciding readiness of the dependency (self, dep).' }),
    }, { required: ['name'] }), { description: 'Kustomizations that must be ready first.' }),
    force: bool({ default: false, description: 'Recreate objects on immutable field changes.' }),
    healthCheckExprs: arrayOf(obj({
      apiVersion: str(), current: str({ description: 'CEL expression true when the object is healthy.' }),
      failed: str({ description: 'CEL expression true when the object failed.' }), inProgress: str({ description: 'CEL expression true while progressing.' }),
      kind: str(),
    }, { required: ['apiVersion', 'current', 'kind'] }), { description: 'Custom health checks in CEL.' }),
    healthChecks: arrayOf(obj({
      apiVersion: str(), kind: str(), name: str(), namespace: str(),
    }, { required: ['kind', 'name'] }), { description: 'Objects to health-check.' }),
    ignoreMissingComponents: bool({ description: 'Ignore components that do not exist.' }),
    images: arrayOf(imageSchema(), { description: 'Image overrides.' }),
    interval: intervalSchema('Interval at which to reconcile the Kustomization.'),
    kubeConfig: obj({
      configMapRef: localObjectReference('ConfigMap with a workload identity configuration.'),
      secretRef: obj({ key: str(), name: str() }, { description: 'Secret holding a kubeconfig (key value or value.yaml).', required: ['name'] }),
    }, { description: 'Remote cluster to apply to.' }),
    namePrefix: str({ minLength: 1, maxLength: 200, description: 'Prefix added to the names of all objects.' }),
    nameSuffix: str({ minLength: 1, maxLength: 200, description: 'Suffix added to the names of all objects.' }),
    patches: arrayOf(patchSchema(), { description: 'Patches applied to the built objects.' }),
    path: str({ description: 'Path to the directory with the kustomization.yaml, defaults to the source root.' }),
    postBuild: postBuildSchema(),
    prune: bool({ description: 'Garbage-collect objects removed from the source.' }),
    retryInterval: optionalDuration('Interval at which to retry a failed reconciliation.'),
    serviceAccountName: str({ description: 'ServiceAccount impersonated for every apply.' }),
    sourceRef: obj({
      apiVersion: str(), kind: enumOf(SOURCE_KINDS), name: str(), namespace: str(),
    }, { description: 'The source of the manifests.', required: ['kind', 'name'] }),
    suspend: bool({ description: 'Suspend reconciliation.' }),
    targetNamespace: str({ minLength: 1, maxLength: 63, description: 'Namespace set on every namespaced object.' }),
    timeout: optionalDuration('Timeout for apply and health checks, defaults to the interval.'),
    wait: bool({ description: 'Health-check every applied object.' }),
  }, { description: 'KustomizationSpec defines the configuration to calculate the desired state from a Source using Kustomize.', required: ['interval', 'prune', 'sourceRef'] });
}

function statusSchema(): JSONSchemaProps {
  return obj({
    ...statusCommon(KUSTOMIZATION_KIND),
    history: arrayOf(obj({
      digest: str(), firstReconciled: dateTime(), lastReconciled: dateTime(), lastReconciledDuration: str(),
      lastReconciledStatus: str(), metadata: stringMap(), totalReconciliations: int64(),
    }, { required: ['digest', 'firstReconciled', 'lastReconciled', 'lastReconciledDuration', 'lastReconciledStatus', 'totalReconciliations'] }), { description: 'The last reconciliations.' }),
    inventory: obj({
      entries: arrayOf(obj({ id: str(), v: str() }, { required: ['id', 'v'] })),
    }, { description: 'The objects applied by the last successful reconciliation.', required: ['entries'] }),
    lastAppliedOriginRevision: str(),
    lastAppliedRevision: str(),
    lastAttemptedRevision: str(),
  }, { description: 'KustomizationStatus defines the observed state of a kustomization.' });
}

export function kustomizationCRD(): KubeObject {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: KUSTOMIZATION_KIND,
    plural: 'kustomizations',
    singular: 'kustomization',
    shortNames: ['ks'],
    description: 'Kustomization is the Schema for the kustomizations API.',
    printerColumns: [AGE_COLUMN, READY_COLUMN, STATUS_COLUMN],
    spec: specSchema(),
    status: statusSchema(),
  });
}
