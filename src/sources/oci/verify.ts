// Cosign signature verification with public keys (what Flux does for `verify.provider: cosign`
// with a `secretRef`): the signature image at tag `sha256-<hex>.sig` holds simple-signing payload
// layers, each signed in its `dev.cosignproject.cosign/signature` annotation; a payload counts
// when a key verifies it and its `critical.image.docker-manifest-digest` is the artifact digest.
// Like Flux with a key, no transparency log is consulted. Keyless (Fulcio certificates, Rekor)
// and cosign v3 bundles (OCI 1.1 referrers) are not implemented.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CallOptions, Registry } from './client.ts';
import { OciError, isOciError } from './errors.ts';
import { validateDigest } from './reference.ts';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface CosignVerifyOptions extends CallOptions {
  registry: Registry;
  repository: string;
  /** Manifest digest of the artifact (what the revision names). */
  digest: string;
  /** PEM public keys (cosign.pub); any one verifying is enough, as Flux loops over `*.pub`. */
  publicKeys: readonly (string | Buffer)[];
  /** Largest signature payload accepted; default 1 MiB. */
  maxPayloadBytes?: number;
}

export interface CosignVerification {
  /** Index into publicKeys of the key that verified. */
  keyIndex: number;
  /** Digest of the payload layer that verified. */
  payloadDigest: string;
  /** `critical.identity.docker-reference` of that payload (not checked, as in cosign). */
  dockerReference: string | undefined;
}

export type PayloadCheck = { ok: true; keyIndex: number; dockerReference: string | undefined } | { ok: false; why: 'InvalidSignature' | 'DigestMismatch' };

/** `sha256-<hex>.sig`, cosign's signature tag for a digest. */
export function signatureTag(digest: string): string {
  validateDigest(digest);
  return `${digest.replace(':', '-')}.sig`;
}

export function loadPublicKeys(pems: readonly (string | Buffer)[]): KeyObject[] {
  if (pems.length === 0) throw new OciError('InvalidKey', 'no cosign public keys given');
  return pems.map((pem, i) => {
    try {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519') {
        throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
      }
      return key;
    } catch (err) {
      throw new OciError('InvalidKey', `cosign public key #${i + 1} is not a PEM ECDSA, RSA or Ed25519 public key`, { cause: err });
    }
  });
}

/** Checks one signed payload against the keys and the expected digest. */
export function checkPayload(payload: Buffer, signatureBase64: string, keys: readonly KeyObject[], digest: string): PayloadCheck {
  const signature = Buffer.from(signatureBase64, 'base64');
  // sigstore's LoadVerifier(…, SHA256): ECDSA (ASN.1 DER) and RSA PKCS#1 v1.5 over SHA-256, Ed25519 pure.
  const keyIndex = keys.findIndex((key) => {
    try {
      return cryptoVerify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, signature);
    } catch {
      return false;
    }
  });
  if (keyIndex === -1) return { ok: false, why: 'InvalidSignature' };
  let critical: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown }; identity?: { 'docker-reference'?: unknown } } | undefined;
  try {
    critical = (JSON.parse(payload.toString('utf8')) as { critical?: typeof critical }).critical;
  } catch {
    return { ok: false, why: 'InvalidSignature' };
  }
  if (critical?.type !== COSIGN_SIGNATURE_TYPE) return { ok: false, why: 'InvalidSignature' };
  if (critical.image?.['docker-manifest-digest'] !== digest) return { ok: false, why: 'DigestMismatch' };
  const ref = critical.identity?.['docker-reference'];
  return { ok: true, keyIndex, dockerReference: typeof ref === 'string' ? ref : undefined };
}

/**
 * Verifies that a key signed `digest`. Throws OciError: NoSignature (no `.sig` image or no signed
 * layer), InvalidSignature (no key verifies), DigestMismatch (a valid signature for another
 * digest), InvalidKey.
 */
export async function verifyCosign(opts: CosignVerifyOptions): Promise<CosignVerification> {
  const keys = loadPublicKeys(opts.publicKeys);
  const tag = signatureTag(opts.digest);
  const call = opts.signal ? { signal: opts.signal } : {};
  let sig;
  try {
    sig = await opts.registry.getManifest(opts.repository, tag, call);
  } catch (err) {
    if (isOciError(err, 'NotFound')) throw new OciError('NoSignature', `no cosign signature found for ${opts.repository}@${opts.digest} (tag ${tag})`, { cause: err });
    throw err;
  }
  if (sig.manifest.kind !== 'manifest') throw new OciError('InvalidSignature', `cosign signature ${tag} is an index, not an image manifest`);
  const signed = sig.manifest.layers.filter((layer) => typeof layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === 'string');
  if (signed.length === 0) throw new OciError('NoSignature', `cosign signature image ${tag} has no signed layers`);
  let sawDigestMismatch = false;
  for (const layer of signed) {
    const payload = await opts.registry.getBlob(opts.repository, layer.digest, {
      ...call,
      maxBytes: opts.maxPayloadBytes ?? 1024 * 1024,
      expectedSize: layer.size,
    });
    const result = checkPayload(payload, layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? '', keys, opts.digest);
    if (result.ok) return { keyIndex: result.keyIndex, payloadDigest: layer.digest, dockerReference: result.dockerReference };
    sawDigestMismatch ||= result.why === 'DigestMismatch';
  }
  if (sawDigestMismatch) {
    throw new OciError('DigestMismatch', `cosign signature for ${opts.repository} is valid but signs another digest than ${opts.digest}`);
  }
  throw new OciError('InvalidSignature', `no cosign signature of ${opts.repository}@${opts.digest} verifies with the given keys`);
}
