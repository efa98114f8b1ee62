// PGP signature verification of the checked out commit and/or the annotated tag it came
// through (GitRepository spec.verify), with openpgp over the exact signed bytes of the raw
// objects. Like Flux, every value of the verification Secret is an armored key ring, and the
// result names the key ID (16 hex digits, upper case) of the primary key that signed.
// openpgp is imported on first use: it costs ~20 MiB of RSS that unverified sources never need.
import type { Key } from 'openpgp';
import type { SecretData } from './auth.ts';
import { parseCommitObject, parseTagObject } from './commit-object.ts';
import type { ParsedObject } from './commit-object.ts';
import { SignatureError } from './errors.ts';

/** GitRepository spec.verify.mode (`head` is the older spelling of `HEAD`). */
export type VerificationMode = 'HEAD' | 'head' | 'Tag' | 'TagAndHEAD';

export interface VerifiedSignature {
  /** Key ID of the signer's primary key, as Flux reports it (`3CB12BA185C47B67`). */
  keyId: string;
  /** Fingerprint of the signer's primary key, upper case hex. */
  fingerprint: string;
  /** Key ID of the (sub)key that made the signature. */
  signingKeyId: string;
}

export interface SourceVerification {
  tag?: VerifiedSignature;
  commit?: VerifiedSignature;
  /** Flux's SourceVerified condition message. */
  message: string;
}

/** Reads every value of the Secret as an armored key ring. */
export async function loadVerificationKeys(secret: SecretData): Promise<Key[]> {
  const keys: Key[] = [];
  for (const [name, value] of Object.entries(secret)) {
    const armored = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      const { readKeys } = await import('openpgp');
      keys.push(...(await readKeys({ armoredKeys: armored })));
    } catch (cause) {
      throw new SignatureError('InvalidKeys', `unable to read armored key ring from key '${name}'`, { cause });
    }
  }
  if (keys.length === 0) throw new SignatureError('InvalidKeys', 'the verification Secret holds no PGP public keys');
  return keys;
}

export function verifyCommitSignature(commitObject: Buffer, keys: readonly Key[]): Promise<VerifiedSignature> {
  return verifyObject(parseCommitObject(commitObject), keys, 'commit');
}

export function verifyTagSignature(tagObject: Buffer, keys: readonly Key[]): Promise<VerifiedSignature> {
  return verifyObject(parseTagObject(tagObject), keys, 'tag');
}

export interface VerifiableCheckout {
  commit: string;
  commitObject: Buffer;
  tagName?: string;
  tagObject?: Buffer;
}

/** Verifies what `mode` asks for, tag first, as Flux does. */
export async function verifySource(result: VerifiableCheckout, mode: VerificationMode, keys: readonly Key[]): Promise<SourceVerification> {
  const out: SourceVerification = { message: 'verified signature of' };
  if (mode === 'Tag' || mode === 'TagAndHEAD') {
    if (result.tagObject === undefined) {
      throw new SignatureError('NoTagReference', 'cannot verify tag object\'s signature if a tag reference is not specified');
    }
    out.tag = await verifyTagSignature(result.tagObject, keys);
    out.message += `\n\t- tag '${result.tagName ?? ''}' with key '${out.tag.keyId}'`;
  }
  if (mode === 'HEAD' || mode === 'head' || mode === 'TagAndHEAD') {
    out.commit = await verifyCommitSignature(result.commitObject, keys);
    out.message += `\n\t- commit '${result.commit}' with key '${out.commit.keyId}'`;
  }
  return out;
}

async function verifyObject(obj: ParsedObject, keys: readonly Key[], what: 'commit' | 'tag'): Promise<VerifiedSignature> {
  if (obj.signature === undefined) throw new SignatureError('NoSignature', `${what} does not have a signature`);
  if (!obj.signature.startsWith('-----BEGIN PGP SIGNATURE-----')) {
    throw new SignatureError('InvalidSignature', `${what} signature is not an OpenPGP signature`);
  }
  let signature;
  try {
    const { readSignature } = await import('openpgp');
    signature = await readSignature({ armoredSignature: obj.signature });
  } catch (cause) {
    throw new SignatureError('InvalidSignature', `${what} signature cannot be read`, { cause });
  }
  const ids = signature.getSigningKeyIDs();
  const candidates = keys.filter((k) => ids.some((id) => k.getKeys(id).length > 0));
  if (candidates.length === 0) {
    throw new SignatureError('UnknownKey', `${what} is signed by key ${ids.map((id) => id.toHex().toUpperCase()).join(', ')}, which is not among the trusted keys`);
  }
  const { createMessage, verify } = await import('openpgp');
  const message = await createMessage({ binary: new Uint8Array(obj.payload) });
  const { signatures } = await verify({ message, signature, verificationKeys: [...candidates], format: 'binary' });
  for (const sig of signatures) {
    try {
      await sig.verified;
    } catch {
      continue;
    }
    const signer = candidates.find((k) => k.getKeys(sig.keyID).length > 0)!;
    return {
      keyId: signer.getKeyID().toHex().toUpperCase(),
      fingerprint: signer.getFingerprint().toUpperCase(),
      signingKeyId: sig.keyID.toHex().toUpperCase(),
    };
  }
  throw new SignatureError('InvalidSignature', `${what} signature does not match: the ${what} was changed after signing or the signature is corrupt`);
}
