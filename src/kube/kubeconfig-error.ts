// One error type for everything that can go wrong between a kubeconfig and a request's
// credentials. Messages are one line and never carry tokens, keys or plugin output.

export type KubeconfigErrorReason =
  /** Not YAML, wrong shape, conflicting or missing fields. */
  | 'InvalidKubeconfig'
  /** No kubeconfig file, no KUBECONFIG, not in a Pod. */
  | 'NoConfiguration'
  /** A file the kubeconfig refers to (CA, certificate, key, tokenFile) cannot be read. */
  | 'FileUnreadable'
  /** The requested or current context, or what it names, is not in the kubeconfig. */
  | 'ContextNotFound'
  /** An exec plugin without --insecure-kubeconfig-exec. */
  | 'ExecRefused'
  /** An exec plugin failed to run or returned an unusable ExecCredential. */
  | 'ExecFailed'
  /** auth-provider (oidc, gcp, azure): deprecated upstream and not implemented. */
  | 'AuthProviderUnsupported';

export class KubeconfigError extends Error {
  readonly reason: KubeconfigErrorReason;
  constructor(reason: KubeconfigErrorReason, message: string, options?: ErrorOptions) {
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.name = 'KubeconfigError';
    this.reason = reason;
  }
}
