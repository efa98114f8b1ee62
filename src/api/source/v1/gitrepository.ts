// GitRepository (source.toolkit.fluxcd.io/v1): types and CRD, per Flux's api/v1 markers.
import type { KubeObject, ObjectMeta } from '../../../kube/types.ts';
import { AGE_COLUMN, buildCRD, READY_COLUMN, STATUS_COLUMN } from '../../crd.ts';
import type { Artifact, LocalObjectReference, SourceStatusCommon } from '../../meta.ts';
import { artifactSchema, intervalSchema, localObjectReference, statusCommon, timeoutSchema } from '../../meta-schema.ts';
import { arrayOf, bool, enumOf, obj, str, type JSONSchemaProps } from '../../schema.ts';
import type { API_VERSION } from './group.ts';
import { GROUP, NO_SUBSTITUTE, SOURCE_CATEGORIES, VERSION } from './group.ts';

export const GIT_REPOSITORY_KIND = 'GitRepository';
export const GIT_PROVIDERS = ['generic', 'aws', 'azure', 'github'] as const;
export type GitProvider = (typeof GIT_PROVIDERS)[number];
export const GIT_VERIFICATION_MODES = ['head', 'HEAD', 'Tag', 'TagAndHEAD'] as const;
export type GitVerificationMode = (typeof GIT_VERIFICATION_MODES)[number];

export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

export interface GitRepositoryVerification {
  /** Default HEAD. */
  mode?: GitVerificationMode;
  secretRef: LocalObjectReference;
}

export interface GitRepositoryInclude {
  repository: LocalObjectReference;
  fromPath?: string;
  toPath?: string;
}

export interface GitRepositorySpec {
  url: string;
  secretRef?: LocalObjectReference;
  /** No CRD default; the controller treats absent as `generic`. */
  provider?: GitProvider;
  serviceAccountName?: string;
  interval: string;
  /** Default 60s. */
  timeout?: string;
  /** Absent: the `master` branch. */
  ref?: GitRepositoryRef;
  verify?: GitRepositoryVerification;
  proxySecretRef?: LocalObjectReference;
  ignore?: string;
  suspend?: boolean;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

export interface GitRepositoryStatus extends SourceStatusCommon {
  includedArtifacts?: Artifact[];
  observedIgnore?: string;
  observedRecurseSubmodules?: boolean;
  observedInclude?: GitRepositoryInclude[];
  observedSparseCheckout?: string[];
  sourceVerificationMode?: GitVerificationMode;
}

export interface GitRepository extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof GIT_REPOSITORY_KIND;
  metadata: ObjectMeta;
  spec: GitRepositorySpec;
  status?: GitRepositoryStatus;
}

function includeSchema(): JSONSchemaProps {
  return obj(
    {
      fromPath: str({ description: 'Path to copy contents from, defaults to the root of the Artifact.' }),
      repository: localObjectReference('The GitRepository whose Artifact contents are included.'),
      toPath: str({ description: 'Path to copy contents to, defaults to the name of the GitRepository.' }),
    },
    { description: 'A GitRepository whose Artifact is included, and where.', required: ['repository'] },
  );
}

function specSchema(): JSONSchemaProps {
  return obj(
    {
      ignore: str({ description: 'Exclusion patterns in .sourceignore (gitignore) format.' }),
      include: arrayOf(includeSchema(), { description: 'GitRepositories whose Artifacts are included in this one.' }),
      interval: intervalSchema('Interval at which the URL is checked for updates.'),
      provider: enumOf(GIT_PROVIDERS, { description: "Authentication provider; absent means 'generic'." }),
      proxySecretRef: localObjectReference('Secret with the proxy configuration.'),
      recurseSubmodules: bool({ description: 'Initialise all submodules.' }),
      ref: obj(
        {
          branch: str({ description: "Branch to check out, defaults to 'master' if no other field is defined." }),
          commit: str({ description: 'Commit SHA to check out, takes precedence over all reference fields.' }),
          name: str({ description: 'Name of the reference to check out; takes precedence over branch, tag and semver.' }),
          semver: str({ description: 'SemVer tag expression to check out, takes precedence over tag.' }),
          tag: str({ description: 'Tag to check out, takes precedence over branch.' }),
        },
        { description: "The Git reference to resolve and monitor, defaults to the 'master' branch." },
      ),
      secretRef: localObjectReference('Secret with credentials: username/password or bearerToken (HTTPS), identity and known_hosts (SSH).'),
      serviceAccountName: str({ description: "ServiceAccount to authenticate with; only for the 'azure' and 'aws' providers." }),
      sparseCheckout: arrayOf(str(), { description: 'Directories to check out; only these are in the Artifact.' }),
      suspend: bool({ description: 'Suspend reconciliation.' }),
      timeout: timeoutSchema('Timeout for Git operations like cloning, defaults to 60s.'),
      url: str({ pattern: '^(http|https|ssh)://.*$', description: 'HTTP/S or SSH address of the repository.' }),
      verify: obj(
        {
          mode: enumOf(GIT_VERIFICATION_MODES, { default: 'HEAD', description: 'Which Git object(s) to verify.' }),
          secretRef: localObjectReference('Secret with the trusted public keys (.asc PGP, .sshpub SSH).'),
        },
        { description: 'Commit signature verification.', required: ['secretRef'] },
      ),
    },
    {
      description: 'GitRepositorySpec specifies how to produce an Artifact for a Git repository.',
      required: ['interval', 'url'],
      rules: [{
        rule: "!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))",
        message: "serviceAccountName can only be set when provider is 'azure' or 'aws'",
      }],
    },
  );
}

function statusSchema(): JSONSchemaProps {
  return obj({
    ...statusCommon(GIT_REPOSITORY_KIND),
    artifact: artifactSchema('The last successful GitRepository reconciliation.'),
    includedArtifacts: arrayOf(artifactSchema('An included Artifact.'), { description: 'The last successfully included Artifacts.' }),
    observedIgnore: str({ description: 'The exclusion patterns used for the current Artifact.' }),
    observedInclude: arrayOf(includeSchema(), { description: 'The includes used for the current Artifact.' }),
    observedRecurseSubmodules: bool({ description: 'The submodule setting used for the current Artifact.' }),
    observedSparseCheckout: arrayOf(str(), { description: 'The sparse checkout used for the current Artifact.' }),
    sourceVerificationMode: str({ description: 'The verification mode last used.' }),
  }, { description: 'GitRepositoryStatus records the observed state of a Git repository.' });
}

export function gitRepositoryCRD(): KubeObject {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: GIT_REPOSITORY_KIND,
    plural: 'gitrepositories',
    singular: 'gitrepository',
    shortNames: ['gitrepo'],
    categories: SOURCE_CATEGORIES,
    annotations: NO_SUBSTITUTE,
    description: 'GitRepository is the Schema for the gitrepositories API.',
    printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, AGE_COLUMN, READY_COLUMN, STATUS_COLUMN],
    spec: specSchema(),
    status: statusSchema(),
  });
}
