// OCIRepository (source.toolkit.fluxcd.io/v1): types and CRD, per Flux's api/v1 markers.
import type { KubeObject, ObjectMeta } from '../../../kube/types.ts';
import { AGE_COLUMN, buildCRD, READY_COLUMN, STATUS_COLUMN } from '../../crd.ts';
import type { LocalObjectReference, SourceStatusCommon } from '../../meta.ts';
import { artifactSchema, intervalSchema, localObjectReference, statusCommon, timeoutSchema } from '../../meta-schema.ts';
import { arrayOf, bool, enumOf, obj, str, type JSONSchemaProps } from '../../schema.ts';
import type { API_VERSION } from './group.ts';
import { GROUP, NO_SUBSTITUTE, SOURCE_CATEGORIES, VERSION } from './group.ts';

export const OCI_REPOSITORY_KIND = 'OCIRepository';
export const OCI_PROVIDERS = ['generic', 'aws', 'azure', 'gcp'] as const;
export type OCIProvider = (typeof OCI_PROVIDERS)[number];
export const OCI_LAYER_OPERATIONS = ['extract', 'copy'] as const;
export type OCILayerOperation = (typeof OCI_LAYER_OPERATIONS)[number];
export const OCI_VERIFY_PROVIDERS = ['cosign', 'notation'] as const;

export interface OCIRepositoryRef {
  digest?: string;
  semver?: string;
  semverFilter?: string;
  /** Absent: `latest`. */
  tag?: string;
}

export interface OCILayerSelector {
  mediaType?: string;
  /** Absent: extract. */
  operation?: OCILayerOperation;
}

export interface OIDCIdentityMatch {
  issuer: string;
  subject: string;
}

export interface OCIRepositoryVerification {
  /** Default cosign. */
  provider: (typeof OCI_VERIFY_PROVIDERS)[number];
  secretRef?: LocalObjectReference;
  matchOIDCIdentity?: OIDCIdentityMatch[];
  trustedRootSecretRef?: LocalObjectReference;
}

export interface OCIRepositorySpec {
  url: string;
  ref?: OCIRepositoryRef;
  layerSelector?: OCILayerSelector;
  /** Default generic. */
  provider?: OCIProvider;
  secretRef?: LocalObjectReference;
  verify?: OCIRepositoryVerification;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  interval: string;
  /** Default 60s. */
  timeout?: string;
  ignore?: string;
  insecure?: boolean;
  suspend?: boolean;
}

export interface OCIRepositoryStatus extends SourceStatusCommon {
  url?: string;
  observedIgnore?: string;
  observedLayerSelector?: OCILayerSelector;
}

export interface OCIRepository extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof OCI_REPOSITORY_KIND;
  metadata: ObjectMeta;
  spec: OCIRepositorySpec;
  status?: OCIRepositoryStatus;
}

function layerSelectorSchema(description: string): JSONSchemaProps {
  return obj({
    mediaType: str({ description: 'OCI media type of the layer to select; the first match is used.' }),
    operation: enumOf(OCI_LAYER_OPERATIONS, { description: "How the layer is processed: 'extract' (default) or 'copy' as is." }),
  }, { description });
}

function verifySchema(): JSONSchemaProps {
  return obj({
    matchOIDCIdentity: arrayOf(obj({
      issuer: str({ description: 'Regular expression matched against the OIDC issuer.' }),
      subject: str({ description: 'Regular expression matched against the identity subject.' }),
    }, { required: ['issuer', 'subject'] }), { description: 'Identities accepted for keyless signatures.' }),
    provider: enumOf(OCI_VERIFY_PROVIDERS, { default: 'cosign', description: 'The signing technology.' }),
    secretRef: localObjectReference('Secret with the trusted public keys.'),
    trustedRootSecretRef: localObjectReference('Secret with a Sigstore trusted_root.json.'),
  }, { description: 'Signature verification of the artifact.', required: ['provider'] });
}

function specSchema(): JSONSchemaProps {
  return obj({
    certSecretRef: localObjectReference('Secret with tls.crt/tls.key and/or ca.crt for the registry.'),
    ignore: str({ description: 'Exclusion patterns in .sourceignore (gitignore) format.' }),
    insecure: bool({ description: 'Allow a non-TLS HTTP registry.' }),
    interval: intervalSchema('Interval at which the URL is checked for updates.'),
    layerSelector: layerSelectorSchema('Which layer of the artifact is used; the first one when absent.'),
    provider: enumOf(OCI_PROVIDERS, { default: 'generic', description: 'Authentication provider.' }),
    proxySecretRef: localObjectReference('Secret with the proxy configuration.'),
    ref: obj({
      digest: str({ description: "Image digest ('sha256:<hex>'), takes precedence over semver." }),
      semver: str({ description: 'SemVer range of tags, the latest within it is pulled; takes precedence over tag.' }),
      semverFilter: str({ description: 'Regular expression filtering the tags within the semver range.' }),
      tag: str({ description: 'Tag to pull, defaults to latest.' }),
    }, { description: 'The OCI reference to pull and monitor, defaults to the latest tag.' }),
    secretRef: localObjectReference('Secret (kubernetes.io/dockerconfigjson) with registry credentials.'),
    serviceAccountName: str({ description: 'ServiceAccount whose image pull secrets are used.' }),
    suspend: bool({ description: 'Suspend reconciliation.' }),
    timeout: timeoutSchema('Timeout for remote operations like pulling, defaults to 60s.'),
    url: str({ pattern: '^oci://.*$', description: 'OCI repository address (oci://…).' }),
    verify: verifySchema(),
  }, { description: 'OCIRepositorySpec defines the desired state of an OCIRepository.', required: ['interval', 'url'] });
}

function statusSchema(): JSONSchemaProps {
  return obj({
    ...statusCommon(OCI_REPOSITORY_KIND),
    artifact: artifactSchema('The output of the last successful sync.'),
    observedIgnore: str({ description: 'The exclusion patterns used for the current Artifact.' }),
    observedLayerSelector: layerSelectorSchema('The layer selector used for the current Artifact.'),
    url: str({ description: 'Download link of the latest Artifact.' }),
  }, { description: 'OCIRepositoryStatus defines the observed state of an OCIRepository.' });
}

export function ociRepositoryCRD(): KubeObject {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: OCI_REPOSITORY_KIND,
    plural: 'ocirepositories',
    singular: 'ocirepository',
    shortNames: ['ocirepo'],
    categories: SOURCE_CATEGORIES,
    annotations: NO_SUBSTITUTE,
    description: 'OCIRepository is the Schema for the ocirepositories API.',
    // Flux orders OCIRepository's columns URL, Ready, Status, Age (unlike the other sources).
    printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, READY_COLUMN, STATUS_COLUMN, AGE_COLUMN],
    spec: specSchema(),
    status: statusSchema(),
  });
}
