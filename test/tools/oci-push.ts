// Pushes a Flux-style OCI artifact (what `flux push artifact` produces) over the distribution
// API: one tar.gz layer, an empty JSON config, an OCI image manifest with source/revision
// annotations. Also small read helpers (tags, manifests) for assertions.
import { createHash } from 'node:crypto';
import { HttpStatusError, httpRequest } from './http-client.ts';
import type { HttpRequestOptions, HttpResponse } from './http-client.ts';
import { createTarGz } from './tar.ts';

export const FLUX_LAYER_MEDIA_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';
export const FLUX_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.flux.config.v1+json';
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export interface RegistryAccess {
  /** http(s)://host:port of the registry. */
  registryUrl: string;
  /** Basic credentials, sent on every request (docker-registry's htpasswd mode). */
  auth?: { username: string; password: string } | undefined;
  /** PEM of the registry's CA. */
  ca?: string | undefined;
}

export interface PushArtifactOptions extends RegistryAccess {
  /** Repository name, e.g. "manifests/podinfo". */
  repository: string;
  tag: string;
  /** path → content of the layer's tar.gz; or give `layer` directly. */
  files?: Record<string, string | Buffer>;
  layer?: Buffer;
  /** org.opencontainers.image.source, e.g. the Git URL. */
  source?: string;
  /** org.opencontainers.image.revision, e.g. "main@sha1:<sha>". */
  revision?: string;
  /** More manifest annotations. */
  annotations?: Record<string, string>;
  /** org.opencontainers.image.created; default a fixed time so digests are reproducible. */
  created?: string;
  layerMediaType?: string;
  configMediaType?: string;
}

export interface PushedArtifact {
  /** sha256:… of the manifest. */
  digest: string;
  manifest: Buffer;
  layerDigest: string;
  configDigest: string;
  /** host:port/repository:tag */
  reference: string;
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function pushArtifact(options: PushArtifactOptions): Promise<PushedArtifact> {
  const layer = options.layer ?? createTarGz(Object.entries(options.files ?? {}).map(([path, content]) => ({ path, content })));
  const config = Buffer.from('{}');
  const layerDigest = await pushBlob(options, options.repository, layer);
  const configDigest = await pushBlob(options, options.repository, config);
  const annotations: Record<string, string> = { 'org.opencontainers.image.created': options.created ?? '2024-01-01T00:00:00Z' };
  if (options.source !== undefined) annotations['org.opencontainers.image.source'] = options.source;
  if (options.revision !== undefined) annotations['org.opencontainers.image.revision'] = options.revision;
  Object.assign(annotations, options.annotations);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: options.configMediaType ?? FLUX_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.length },
      layers: [{ mediaType: options.layerMediaType ?? FLUX_LAYER_MEDIA_TYPE, digest: layerDigest, size: layer.length }],
      annotations,
    }),
  );
  const digest = sha256Digest(manifest);
  const res = await registryRequest(options, `/v2/${options.repository}/manifests/${options.tag}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST_MEDIA_TYPE },
    body: manifest,
  });
  expectStatus(res, [201], `PUT manifest ${options.repository}:${options.tag}`);
  const returned = res.headers['docker-content-digest'];
  if (returned !== undefined && returned !== digest) {
    throw new Error(`registry stored the manifest as ${String(returned)}, expected ${digest}`);
  }
  return { digest, manifest, layerDigest, configDigest, reference: `${new URL(options.registryUrl).host}/${options.repository}:${options.tag}` };
}

/** Monolithic upload: POST for an upload session, then PUT the whole blob with its digest. */
export async function pushBlob(access: RegistryAccess, repository: string, blob: Buffer): Promise<string> {
  const digest = sha256Digest(blob);
  const head = await registryRequest(access, `/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return digest;
  const start = await registryRequest(access, `/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expectStatus(start, [202], `start blob upload to ${repository}`);
  const location = start.headers.location;
  if (location === undefined) throw new Error(`registry gave no Location for the upload to ${repository}`);
  const target = new URL(location, access.registryUrl);
  target.searchParams.set('digest', digest);
  const put = await registryRequest(access, target, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob,
  });
  expectStatus(put, [201], `PUT blob ${digest} to ${repository}`);
  return digest;
}

export async function listTags(access: RegistryAccess, repository: string): Promise<string[]> {
  const res = await registryRequest(access, `/v2/${repository}/tags/list`);
  expectStatus(res, [200], `list tags of ${repository}`);
  return (res.json() as { tags: string[] | null }).tags ?? [];
}

export interface FetchedManifest {
  /** Docker-Content-Digest header. */
  digest: string | undefined;
  mediaType: string | undefined;
  body: Buffer;
}

export async function getManifest(access: RegistryAccess, repository: string, reference: string): Promise<FetchedManifest> {
  const res = await registryRequest(access, `/v2/${repository}/manifests/${reference}`, {
    headers: { accept: `${OCI_MANIFEST_MEDIA_TYPE}, application/vnd.oci.image.index.v1+json` },
  });
  expectStatus(res, [200], `GET manifest ${repository}:${reference}`);
  const digest = res.headers['docker-content-digest'];
  return { digest: typeof digest === 'string' ? digest : undefined, mediaType: res.headers['content-type'], body: res.body };
}

export async function getBlob(access: RegistryAccess, repository: string, digest: string): Promise<Buffer> {
  let res = await registryRequest(access, `/v2/${repository}/blobs/${digest}`);
  // Some storage drivers redirect blob reads; follow one hop.
  if ((res.status === 307 || res.status === 302) && res.headers.location !== undefined) {
    res = await httpRequest(new URL(res.headers.location, access.registryUrl), { ca: access.ca });
  }
  expectStatus(res, [200], `GET blob ${digest} from ${repository}`);
  return res.body;
}

function registryRequest(access: RegistryAccess, pathOrUrl: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  return httpRequest(new URL(pathOrUrl, access.registryUrl), { ...options, ca: access.ca, basicAuth: access.auth });
}

function expectStatus(res: HttpResponse, statuses: number[], what: string): void {
  if (!statuses.includes(res.status)) throw new HttpStatusError(what, res);
}
