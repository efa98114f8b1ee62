/**
 * Typed SOPS failures. Messages name paths, formats, recipients and fingerprints (public), never
 * a cleartext value, a ciphertext or any private key material.
 */
export type SopsErrorReason =
  | 'NoMatchingKey'
  | 'MacMismatch'
  | 'Malformed'
  | 'UnsupportedKeyType'
  | 'DecryptionFailed'
  | 'InvalidKey'
  | 'UnsafePath'
  | 'FileTooLarge';

export class SopsError extends Error {
  readonly reason: SopsErrorReason;

  constructor(reason: SopsErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'SopsError';
    this.reason = reason;
  }
}
