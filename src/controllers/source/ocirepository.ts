import { join } from 'node:path';
import { isArtifactError } from '../../artifact/errors.ts';
import { extractTarGzToTree } from '../../artifact/tree.ts';
import { API_VERSION } from '../../api/source/v1/group.ts';
import type { OCIRepository } from '../../api/source/v1/ocirepository.ts';
import { credentialsFromDockerConfig, isOciError, parseOciUrl, pullArtifact, resolveRef, resolveRevision, streamArtifact, verifyCosign, type PulledLayer, type Registry, type RegistryLease, type ResolvedRevision } from '../../sources/oci/index.ts';
import { get, markFalse, markTrue, remove } from '../../runtime/status/conditions.ts';
import { generic } from '../shared/errors.ts';
import { FetchError, type FetchContext, type FetchResult, type SourceKind } from './source-kind.ts';

const MAX_LAYER_BYTES = 512 * 1024 * 1024;
const MAX_UNTAR_BYTES = 1024 * 1024 * 1024;
/** Layers up to this size (compressed) are extracted in memory without taking a large-artifact slot. */
const SMALL_LAYER_BYTES = 1024 * 1024;
const REVISION_ANNOTATION = 'org.opencontainers.image.revision';

/**
 * Flux's reasons: an unusable Secret or TLS setting is AuthenticationFailed (before any call); a
 * bad URL stalls (URLInvalid); listing tags for a semver ref is ReadOperationFailed; resolving
 * the digest or pulling — a refused credential included — is OCIArtifactPullFailed.
 */
export function ociFetchError(err: unknown, stage: 'config' | 'tag' | 'pull'): FetchError {
  if (err instanceof FetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const stalling = isOciError(err) && err.stalling;
  if (isOciError(err, 'InvalidUrl')) return new FetchError('URLInvalid', `URL validation failed: ${message}`, { cause: err, stalling: true });
  // Not stalling: the Secret may be fixed without a spec change, so this is retried as in Flux.
  if (stage === 'config' || isOciError(err, 'InvalidCredentials')) return new FetchError('AuthenticationFailed', `failed to get credential: ${message}`, { cause: err });
  if (stage === 'tag') return new FetchError('ReadOperationFailed', `failed to determine the artifact tag: ${message}`, { cause: err, stalling });
  return new FetchError('OCIArtifactPullFailed', `failed to pull artifact: ${message}`, { cause: err, stalling });
}

async function registryFor(obj: OCIRepository, ctx: FetchContext): Promise<RegistryLease> {
  const { spec } = obj;
  const name = parseOciUrl(spec.url);
  const docker = spec.secretRef ? (await ctx.secret(spec.secretRef.name))['.dockerconfigjson'] : undefined;
  const credentials = docker ? credentialsFromDockerConfig(docker, name.host, name.repository) : undefined;
  const certs = spec.certSecretRef ? await ctx.secret(spec.certSecretRef.name) : {};
  return ctx.registries.acquire({
    host: name.host, insecure: spec.insecure ?? false, timeoutMs: ctx.timeoutMs, userAgent: 'eddy-source-controller',
    ...(credentials ? { credentials } : {}),
    ...(certs['ca.crt'] ? { ca: certs['ca.crt'] } : {}),
    ...(certs['tls.crt'] && certs['tls.key'] ? { cert: certs['tls.crt'], key: certs['tls.key'] } : {}),
  });
}

/** A verified revision is verified again only when it changed, the spec changed or it failed before (Flux). */
function needsVerification(obj: OCIRepository, revision: string, ctx: FetchContext): boolean {
  const verified = get(obj, 'SourceVerified');
  return ctx.current?.revision !== revision || verified?.status !== 'True' || verified.observedGeneration !== obj.metadata.generation;
}

/** cosign with the `*.pub` keys of the Secret; a failure is SourceVerified=False, never a new artifact. */
async function verifyOci(obj: OCIRepository, ctx: FetchContext, registry: Registry, resolved: ResolvedRevision): Promise<void> {
  const provider = obj.spec.verify?.provider ?? 'cosign';
  try {
    if (provider !== 'cosign') throw new Error(`unsupported verification provider: ${provider}`);
    if (!obj.spec.verify?.secretRef) throw new Error('keyless verification is not supported: set verify.secretRef');
    const publicKeys = Object.entries(await ctx.secret(obj.spec.verify.secretRef.name)).filter(([k]) => k.endsWith('.pub')).map(([, v]) => v);
    await verifyCosign({ registry, repository: resolved.name.repository, digest: resolved.digest, publicKeys, signal: ctx.signal });
  } catch (err) {
    const message = `failed to verify the signature using provider '${provider}': ${err instanceof Error ? err.message : String(err)}`;
    markFalse(obj, 'SourceVerified', 'VerificationError', '%s', message);
    throw generic('VerificationError', message, err);
  }
  markTrue(obj, 'SourceVerified', 'Succeeded', '%s', `verified signature of revision ${resolved.revision}`);
}

/** A failed extraction of a sound layer is Flux's OCIArtifactLayerOperationFailed; anything else failed the pull. */
export function layerFetchError(err: unknown): FetchError {
  if (!isArtifactError(err)) return ociFetchError(err, 'pull');
  return new FetchError('OCIArtifactLayerOperationFailed', `failed to extract layer contents from artifact: ${err.message}`, { cause: err });
}

/** Every manifest annotation, as Flux records them (created, source, revision, custom ones). */
function pulledCommon(pulled: PulledLayer, revision: string): { revision: string; metadata: Record<string, string>; originRevision?: string } {
  const origin = pulled.annotations[REVISION_ANNOTATION];
  return { revision, metadata: { ...pulled.annotations }, ...(origin ? { originRevision: origin } : {}) };
}

async function fetchOci(obj: OCIRepository, ctx: FetchContext): Promise<FetchResult> {
  const { spec } = obj;
  // A failed verification is worked out again; a successful one stays as the last word.
  if (get(obj, 'SourceVerified')?.status === 'False' || !spec.verify) remove(obj, 'SourceVerified');
  const lease = await registryFor(obj, ctx).catch((err: unknown) => Promise.reject(ociFetchError(err, 'config')));
  const registry = lease.registry;
  try {
    const name = parseOciUrl(spec.url);
    const ref = await resolveRef(registry, name.repository, spec.ref, { signal: ctx.signal }).catch((err: unknown) => Promise.reject(ociFetchError(err, 'tag')));
    // Pinned to the tag the semver range chose: the tags are listed once.
    const target = { registry, url: spec.url, signal: ctx.signal, ref: ref.kind === 'digest' ? { digest: ref.digest } : { tag: ref.tag } };
    // A HEAD of the manifest first: an unchanged tag costs one request and no download. With
    // nothing stored yet the artifact is pulled anyway, so the manifest is fetched at once.
    const resolved = await resolveRevision({ ...target, fetchManifest: !(ctx.inputsUnchanged && ctx.current) }).catch((err: unknown) => Promise.reject(ociFetchError(err, 'pull')));
    if (spec.verify && needsVerification(obj, resolved.revision, ctx)) await verifyOci(obj, ctx, registry, resolved);
    if (ctx.inputsUnchanged && ctx.current?.revision === resolved.revision) return { kind: 'unchanged', revision: resolved.revision };
    const pull = { ...target, ref: { digest: resolved.digest }, known: resolved.fetched, layerSelector: spec.layerSelector, maxBytes: MAX_LAYER_BYTES };
    if (spec.layerSelector?.operation === 'copy') {
      // Rare: the blob is stored as is, through a file.
      const pulled = await pullArtifact({ ...pull, dest: join(await ctx.tmpDir(), 'layer.tgz') }).catch((err: unknown) => Promise.reject(ociFetchError(err, 'pull')));
      return { kind: 'tarball', file: pulled.layerPath, ...pulledCommon(pulled, resolved.revision) };
    }
    // Extracted in memory as it downloads: no temp dir, no file per entry. A large layer first
    // takes a slot (once, whatever the retries), held until its tree is stored.
    let release: (() => void) | undefined;
    const pulled = await streamArtifact(pull, async (layer, descriptor) => {
      if (descriptor.size > SMALL_LAYER_BYTES) release ??= await ctx.largeArtifacts.acquire(ctx.signal);
      return extractTarGzToTree(layer, { maxUntarBytes: MAX_UNTAR_BYTES, maxFiles: 100_000 });
    }).catch((err: unknown) => {
      release?.();
      return Promise.reject(layerFetchError(err));
    });
    return { kind: 'tree', tree: pulled.layer.tree, ignore: spec.ignore, ...pulledCommon(pulled, resolved.revision), ...(release ? { release } : {}) };
  } finally {
    lease.release();
  }
}

export const ociRepositoryKind: SourceKind<OCIRepository> = {
  ref: { apiVersion: API_VERSION, kind: 'OCIRepository' },
  storageKind: 'ocirepository',
  url: (o) => o.spec.url,
  // status.url is the latest.tar.gz link, not spec.url: a new URL serving the same manifest
  // digest is the same content, as in Flux.
  observedInputs: (o) => ({ observedIgnore: o.spec.ignore, observedLayerSelector: o.spec.layerSelector }),
  fetch: fetchOci,
  latestLink: true,
  storedMessage: (revision) => `stored artifact for digest '${revision}'`,
};
