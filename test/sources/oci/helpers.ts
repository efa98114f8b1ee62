// Test helpers for OCI: PUT arbitrary manifests (indexes, cosign signature images), sign an
// artifact the way `cosign sign --key` does (simple-signing payload, ECDSA P-256 over SHA-256),
// and a sleep that records delays instead of waiting.
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { HttpStatusError, httpRequest } from '../../tools/http-client.ts';
import { pushBlob, sha256Digest } from '../../tools/oci-push.ts';
import type { RegistryAccess } from '../../tools/oci-push.ts';

export async function putManifest(access: RegistryAccess, repository: string, tag: string, manifest: object): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const mediaType = (manifest as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const res = await httpRequest(new URL(`/v2/${repository}/manifests/${tag}`, access.registryUrl), {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body,
    ca: access.ca,
    basicAuth: access.auth,
  });
  if (res.status !== 201) throw new HttpStatusError(`PUT manifest ${repository}:${tag}`, res);
  return sha256Digest(body);
}

export interface CosignKey {
  publicPem: string;
  privateKey: KeyObject;
}

export function generateCosignKey(): CosignKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

export interface SignOptions {
  /** Digest written into the payload; default the artifact's own. */
  claimedDigest?: string;
  /** Replace the signature annotation (e.g. tampered). */
  signatureOverride?: (signature: string) => string;
}

/** Pushes `sha256-<hex>.sig` for `digest`, as cosign (v2, tag-based) stores signatures. */
export async function pushCosignSignature(access: RegistryAccess, host: string, repository: string, digest: string, key: CosignKey, options: SignOptions = {}): Promise<void> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${host}/${repository}` },
        image: { 'docker-manifest-digest': options.claimedDigest ?? digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  let signature = sign('sha256', payload, key.privateKey).toString('base64');
  if (options.signatureOverride) signature = options.signatureOverride(signature);
  const config = Buffer.from('{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}');
  const payloadDigest = await pushBlob(access, repository, payload);
  const configDigest = await pushBlob(access, repository, config);
  await putManifest(access, repository, `${digest.replace(':', '-')}.sig`, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: payloadDigest,
        size: payload.length,
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
  });
}

/** A sleep for Registry({ sleep }) that returns at once and records what was asked. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: (ms) => (delays.push(ms), Promise.resolve()) };
}
