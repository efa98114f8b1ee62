// Bucket (source.toolkit.fluxcd.io/v1): types and CRD, per Flux's api/v1 markers, including the
// CEL rules on STS and serviceAccountName.
import type { KubeObject, ObjectMeta } from '../../../kube/types.ts';
import { AGE_COLUMN, buildCRD, READY_COLUMN, STATUS_COLUMN } from '../../crd.ts';
import type { LocalObjectReference, SourceStatusCommon } from '../../meta.ts';
import { artifactSchema, intervalSchema, localObjectReference, statusCommon, timeoutSchema } from '../../meta-schema.ts';
import { bool, enumOf, obj, str, type JSONSchemaProps, type ValidationRule } from '../../schema.ts';
import type { API_VERSION } from './group.ts';
import { GROUP, SOURCE_CATEGORIES, VERSION } from './group.ts';

export const BUCKET_KIND = 'Bucket';
export const BUCKET_PROVIDERS = ['generic', 'aws', 'gcp', 'azure'] as const;
export type BucketProvider = (typeof BUCKET_PROVIDERS)[number];
export const BUCKET_STS_PROVIDERS = ['aws', 'ldap'] as const;

export interface BucketSTSSpec {
  provider: (typeof BUCKET_STS_PROVIDERS)[number];
  endpoint: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
}

export interface BucketSpec {
  /** Default generic. */
  provider?: BucketProvider;
  bucketName: string;
  endpoint: string;
  sts?: BucketSTSSpec;
  insecure?: boolean;
  region?: string;
  prefix?: string;
  /** Secret with `accesskey` and `secretkey`. */
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  interval: string;
  /** Default 60s. */
  timeout?: string;
  ignore?: string;
  suspend?: boolean;
}

export interface BucketStatus extends SourceStatusCommon {
  url?: string;
  observedIgnore?: string;
}

export interface Bucket extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof BUCKET_KIND;
  metadata: ObjectMeta;
  spec: BucketSpec;
  status?: BucketStatus;
}

/** Flux's BucketSpec XValidation markers, rule for rule. */
export const BUCKET_SPEC_RULES: ValidationRule[] = [
  { rule: "self.provider == 'aws' || self.provider == 'generic' || !has(self.sts)", message: "STS configuration is only supported for the 'aws' and 'generic' Bucket providers" },
  { rule: "self.provider != 'aws' || !has(self.sts) || self.sts.provider == 'aws'", message: "'aws' is the only supported STS provider for the 'aws' Bucket provider" },
  { rule: "self.provider != 'generic' || !has(self.sts) || self.sts.provider == 'ldap'", message: "'ldap' is the only supported STS provider for the 'generic' Bucket provider" },
  { rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.secretRef)", message: "spec.sts.secretRef is not required for the 'aws' STS provider" },
  { rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.certSecretRef)", message: "spec.sts.certSecretRef is not required for the 'aws' STS provider" },
  { rule: "self.provider != 'generic' || !has(self.serviceAccountName)", message: "ServiceAccountName is not supported for the 'generic' Bucket provider" },
  { rule: '!has(self.secretRef) || !has(self.serviceAccountName)', message: 'cannot set both .spec.secretRef and .spec.serviceAccountName' },
];

function specSchema(): JSONSchemaProps {
  return obj({
    bucketName: str({ description: 'Name of the object storage bucket.' }),
    certSecretRef: localObjectReference("Secret with tls.crt/tls.key and/or ca.crt; only for the 'generic' provider."),
    endpoint: str({ description: 'Object storage address (host[:port]) the bucket is located at.' }),
    ignore: str({ description: 'Exclusion patterns in .sourceignore (gitignore) format.' }),
    insecure: bool({ description: 'Allow a non-TLS HTTP endpoint.' }),
    interval: intervalSchema('Interval at which the endpoint is checked for updates.'),
    prefix: str({ description: 'Prefix for server-side filtering of the objects.' }),
    provider: enumOf(BUCKET_PROVIDERS, { default: 'generic', description: "Object storage provider; 'generic' is any S3-compatible API." }),
    proxySecretRef: localObjectReference('Secret with the proxy configuration.'),
    region: str({ description: 'Region of the endpoint.' }),
    secretRef: localObjectReference('Secret with the credentials (accesskey, secretkey).'),
    serviceAccountName: str({ description: "ServiceAccount to authenticate with; only for the 'gcp' and 'aws' providers." }),
    sts: obj({
      certSecretRef: localObjectReference("Secret with TLS material for the STS endpoint; only for the 'ldap' provider."),
      endpoint: str({ pattern: '^(http|https)://.*$', description: 'HTTP/S endpoint of the Security Token Service.' }),
      provider: enumOf(BUCKET_STS_PROVIDERS, { description: 'Provider of the Security Token Service.' }),
      secretRef: localObjectReference("Secret with username and password; only for the 'ldap' provider."),
    }, { description: "Security Token Service for temporary credentials; only for the 'aws' and 'generic' providers.", required: ['endpoint', 'provider'] }),
    suspend: bool({ description: 'Suspend reconciliation.' }),
    timeout: timeoutSchema('Timeout for fetch operations, defaults to 60s.'),
  }, {
    description: 'BucketSpec specifies how to produce an Artifact for an object storage bucket.',
    required: ['bucketName', 'endpoint', 'interval'],
    rules: BUCKET_SPEC_RULES,
  });
}

function statusSchema(): JSONSchemaProps {
  return obj({
    ...statusCommon(BUCKET_KIND),
    artifact: artifactSchema('The last successful Bucket reconciliation.'),
    observedIgnore: str({ description: 'The exclusion patterns used for the current Artifact.' }),
    url: str({ description: 'Download link of the latest Artifact.' }),
  }, { description: 'BucketStatus records the observed state of a Bucket.' });
}

export function bucketCRD(): KubeObject {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: BUCKET_KIND,
    plural: 'buckets',
    singular: 'bucket',
    // Flux gives Bucket no short name.
    categories: SOURCE_CATEGORIES,
    description: 'Bucket is the Schema for the buckets API.',
    printerColumns: [{ name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' }, AGE_COLUMN, READY_COLUMN, STATUS_COLUMN],
    spec: specSchema(),
    status: statusSchema(),
  });
}
