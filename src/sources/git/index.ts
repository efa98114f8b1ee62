// eddy's git client for the source controller, without Kubernetes: resolve a GitRepository ref,
// check out exactly that commit, verify signatures. The git CLI runs behind git-command.ts.
export { authFromSecret, transportOf, type GitAuth, type HttpCredentials, type ProxySettings, type SecretData, type SshCredentials, type Transport } from './auth.ts';
export { checkout, listRemoteRefs, normalizeSparseDir, resolveRemote, type CheckoutOptions, type CheckoutResult } from './checkout.ts';
export { parseCommitObject, parseTagObject, type ParsedObject, type Signature } from './commit-object.ts';
export { GitError, SignatureError, isGitError, type GitErrorReason, type SignatureErrorReason } from './errors.ts';
export { classifyGitError } from './git-command.ts';
export { Constraint, ConstraintError, parseTagVersion, parseVersion, compareVersions, type Version } from './masterminds-semver.ts';
export { DEFAULT_TIMEOUT_MS, type GitClientOptions, type RemoteOptions } from './operation.ts';
export { DEFAULT_BRANCH, effectiveRef, hashDigest, parseLsRemote, resolveRef, type GitRef, type RemoteRefs, type ResolvedRef } from './refs.ts';
export { scrub } from './scrub.ts';
export {
  loadVerificationKeys, verifyCommitSignature, verifySource, verifyTagSignature,
  type SourceVerification, type VerifiableCheckout, type VerificationMode, type VerifiedSignature,
} from './verify.ts';
