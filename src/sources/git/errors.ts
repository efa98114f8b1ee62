// Typed failures of the git client. Each reason maps to one clear condition for the user; the
// message never holds a credential (every message passes through scrub() before it gets here).

/** Why a git operation failed. */
export type GitErrorReason =
  /** The URL is not http(s):// or ssh://, or cannot be parsed. */
  | 'InvalidUrl'
  /** The Secret lacks a required key or holds an unusable value. */
  | 'InvalidSecret'
  /** An ssh:// URL without a known_hosts entry to check the server against. */
  | 'MissingKnownHosts'
  /** The server answered 401/403, or refused the SSH key. */
  | 'AuthenticationFailed'
  /** The HTTP proxy (spec.proxySecretRef) answered 407: its credentials are missing or wrong. */
  | 'ProxyAuthenticationFailed'
  /** The SSH host key is not the one in known_hosts. */
  | 'HostKeyVerificationFailed'
  /** The server's TLS certificate could not be verified. */
  | 'TlsVerificationFailed'
  /** DNS, TCP or proxy failure: nothing answered. */
  | 'Unreachable'
  /** The whole operation took longer than its timeout; the git process group was killed. */
  | 'Timeout'
  /** The operation was aborted by its caller. */
  | 'Aborted'
  /** The server has no repository at that URL. */
  | 'RepositoryNotFound'
  /** The branch, tag, name, semver range or commit does not resolve on the remote. */
  | 'RefNotFound'
  /** The ref spec itself is invalid (bad semver range, short commit sha, malformed name). */
  | 'InvalidRef'
  /** A sparse checkout directory does not exist at the checked out commit. */
  | 'SparseCheckoutPathNotFound'
  /** Any other git failure. */
  | 'GitCommandFailed';

export class GitError extends Error {
  readonly reason: GitErrorReason;

  constructor(reason: GitErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'GitError';
    this.reason = reason;
  }
}

/** Why a signature check failed. */
export type SignatureErrorReason =
  /** The commit or tag carries no signature. */
  | 'NoSignature'
  /** None of the given keys made the signature (the signer is not trusted). */
  | 'UnknownKey'
  /** A trusted key made a signature that does not match the object, or the signature is malformed. */
  | 'InvalidSignature'
  /** The verification Secret holds no usable armored PGP public key. */
  | 'InvalidKeys'
  /** Tag verification was asked for, but the checkout did not go through an annotated tag. */
  | 'NoTagReference';

export class SignatureError extends Error {
  readonly reason: SignatureErrorReason;

  constructor(reason: SignatureErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SignatureError';
    this.reason = reason;
  }
}

export function isGitError(err: unknown, reason?: GitErrorReason): err is GitError {
  return err instanceof GitError && (reason === undefined || err.reason === reason);
}
