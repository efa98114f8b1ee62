// OCI source client (no Kubernetes): parse OCIRepository urls, pick credentials from a docker
// config, talk to a registry, resolve refs to Flux revisions, pull a verified layer, verify cosign.
export { OciError, isOciError } from './errors.ts';
export type { OciErrorReason, OciErrorDetails } from './errors.ts';
export { DOCKER_HUB_HOST, OCI_URL_PREFIX, parseImageReference, parseOciUrl, repositoryString, validateDigest, validateRepositoryPath, validateTag } from './reference.ts';
export type { ImageReference, RepositoryName } from './reference.ts';
export { credentialsFromDockerConfig, parseAuthChallenges } from './auth.ts';
export type { AuthChallenge, RegistryCredentials } from './auth.ts';
export { Registry, sha256 } from './client.ts';
export { RegistryPool } from './registry-pool.ts';
export type { RegistryLease, RegistryPoolOptions } from './registry-pool.ts';
export type { BlobOptions, CallOptions, DownloadedBlob, FetchedManifest, ManifestHead, ReadBlob, RegistryOptions } from './client.ts';
export { DEFAULT_RETRY } from './retry.ts';
export type { RetryPolicy, Sleep } from './retry.ts';
export { DEFAULT_PLATFORM, MANIFEST_ACCEPT, MediaTypes, isIndexMediaType, parseManifest, selectPlatformChild } from './manifest.ts';
export type { Descriptor, ImageIndex, ImageManifest, Manifest, Platform } from './manifest.ts';
export { parseConstraint, parseTagVersion } from './semver.ts';
export type { Constraint } from './semver.ts';
export { DEFAULT_TAG, digestFromRevision, formatRevision, resolveRef, selectSemverTag } from './select.ts';
export type { OciRef, ResolvedRef } from './select.ts';
export { REVISION_ANNOTATION, SOURCE_ANNOTATION, pullArtifact, resolveRevision, selectLayer, streamArtifact } from './pull.ts';
export type { CosignVerify, LayerOperation, LayerPullOptions, LayerSelector, PullOptions, PulledArtifact, PulledLayer, ResolveOptions, ResolvedRevision, StreamedArtifact } from './pull.ts';
export { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, checkPayload, loadPublicKeys, signatureTag, verifyCosign } from './verify.ts';
export type { CosignVerification, CosignVerifyOptions, PayloadCheck } from './verify.ts';
