import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { extractTarGz } from '../../artifact/extract.ts';
import { API_VERSION } from '../../api/source/v1/group.ts';
import type { OCIRepository } from '../../api/source/v1/ocirepository.ts';
import { Registry, credentialsFromDockerConfig, isOciError, parseOciUrl, pullArtifact, resolveRevision } from '../../sources/oci/index.ts';
import { markTrue, remove } from '../../runtime/status/conditions.ts';
import { FetchError, type FetchContext, type FetchResult, type SourceKind } from './source-kind.ts';

const MAX_LAYER_BYTES = 512 * 1024 * 1024;
const MAX_UNTAR_BYTES = 1024 * 1024 * 1024;
const REVISION_ANNOTATION = 'org.opencontainers.image.revision';

function fetchError(err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isOciError(err, 'Unauthorized') || isOciError(err, 'Forbidden') || isOciError(err, 'InvalidCredentials')) return new FetchError('AuthenticationFailed', message, { cause: err });
  if (isOciError(err, 'InvalidUrl')) return new FetchError('URLInvalid', message, { cause: err, stalling: true });
  return new FetchError('OCIArtifactPullFailed', message, { cause: err });
}

async function registryFor(obj: OCIRepository, ctx: FetchContext): Promise<Registry> {
  const { spec } = obj;
  const name = parseOciUrl(spec.url);
  const docker = spec.secretRef ? (await ctx.secret(spec.secretRef.name))['.dockerconfigjson'] : undefined;
  const credentials = docker ? credentialsFromDockerConfig(docker, name.host, name.repository) : undefined;
  const certs = spec.certSecretRef ? await ctx.secret(spec.certSecretRef.name) : {};
  return new Registry({
    host: name.host, insecure: spec.insecure ?? false, timeoutMs: ctx.timeoutMs, userAgent: 'eddy-source-controller',
    ...(credentials ? { credentials } : {}),
    ...(certs['ca.crt'] ? { ca: certs['ca.crt'] } : {}),
    ...(certs['tls.crt'] && certs['tls.key'] ? { cert: certs['tls.crt'], key: certs['tls.key'] } : {}),
  });
}

async function fetchOci(obj: OCIRepository, ctx: FetchContext): Promise<FetchResult> {
  const { spec } = obj;
  const registry = await registryFor(obj, ctx).catch((err: unknown) => Promise.reject(fetchError(err)));
  try {
    const target = { registry, url: spec.url, signal: ctx.signal, ...(spec.ref ? { ref: spec.ref } : {}) };
    // A HEAD of the manifest first: an unchanged tag costs one request and no download.
    const resolved = await resolveRevision(target);
    if (ctx.inputsUnchanged && ctx.current?.revision === resolved.revision) return { kind: 'unchanged', revision: resolved.revision };
    const verify = spec.verify ? { provider: 'cosign' as const, publicKeys: Object.entries(await ctx.secret(spec.verify.secretRef?.name ?? '')).filter(([k]) => k.endsWith('.pub')).map(([, v]) => v) } : undefined;
    const pulled = await pullArtifact({ ...target, layerSelector: spec.layerSelector, dest: join(ctx.tmpDir, 'layer.tgz'), maxBytes: MAX_LAYER_BYTES, verify });
    if (spec.verify) markTrue(obj, 'SourceVerified', 'Succeeded', `verified signature of revision ${pulled.revision}`);
    else remove(obj, 'SourceVerified');
    // Every manifest annotation, as Flux records them (created, source, revision, custom ones).
    const metadata = { ...pulled.annotations };
    const origin = pulled.annotations?.[REVISION_ANNOTATION];
    const common = { revision: pulled.revision, metadata, ...(origin ? { originRevision: origin } : {}) };
    if (spec.layerSelector?.operation === 'copy') return { kind: 'tarball', file: pulled.layerPath, ...common };
    const dir = join(ctx.tmpDir, 'content');
    await extractTarGz(createReadStream(pulled.layerPath), dir, { maxUntarBytes: MAX_UNTAR_BYTES, maxFiles: 100_000 });
    return { kind: 'dir', dir, ignore: spec.ignore, ...common };
  } catch (err) {
    throw fetchError(err);
  } finally {
    await registry.close();
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
