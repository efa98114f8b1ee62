// OCI / Docker v2 manifests and indexes: media types, validation of what a registry returns,
// and the child an index resolves to (go-containerregistry's default platform, linux/amd64,
// which Flux inherits through remote.Image).
import { OciError } from './errors.ts';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  fluxConfig: 'application/vnd.cncf.flux.config.v1+json',
  fluxContent: 'application/vnd.cncf.flux.content.v1.tar+gzip',
} as const;

export const MANIFEST_ACCEPT = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList].join(', ');

const IMAGE_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/**
 * Parses and validates a manifest body. The media type comes from Content-Type, falling back to
 * the body's own `mediaType` (some registries answer application/json).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): Manifest {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OciError('InvalidManifest', 'manifest is not valid JSON', { cause: err });
  }
  if (!isObject(body)) throw new OciError('InvalidManifest', 'manifest is not a JSON object');
  const mediaType = manifestMediaType(body, contentType);
  if (body.schemaVersion !== 2) throw new OciError('InvalidManifest', `unsupported manifest schemaVersion ${String(body.schemaVersion)}`);
  const annotations = stringMap(body.annotations, 'annotations');
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(body.manifests)) throw new OciError('InvalidManifest', 'index has no manifests array');
    return { kind: 'index', mediaType, manifests: body.manifests.map((d, i) => descriptor(d, `manifests[${i}]`)), annotations };
  }
  if (!IMAGE_TYPES.has(mediaType)) throw new OciError('InvalidManifest', `unsupported manifest media type ${mediaType}`);
  if (!Array.isArray(body.layers)) throw new OciError('InvalidManifest', 'manifest has no layers array');
  return {
    kind: 'manifest',
    mediaType,
    config: descriptor(body.config, 'config'),
    layers: body.layers.map((d, i) => descriptor(d, `layers[${i}]`)),
    annotations,
  };
}

function manifestMediaType(body: Record<string, unknown>, contentType: string | undefined): string {
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const fallback = declared ?? (Array.isArray(body.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest);
  const mediaType = IMAGE_TYPES.has(header) || INDEX_TYPES.has(header) ? header : fallback;
  if (declared !== undefined && declared !== mediaType) {
    throw new OciError('InvalidManifest', `manifest declares media type ${declared} but was served as ${mediaType}`);
  }
  return mediaType;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * The first child for the platform, a child without a platform counting as linux/amd64 (as in
 * go-containerregistry's childByPlatform); a variant is only compared when one is asked for.
 */
export function selectPlatformChild(index: ImageIndex, platform: Platform = DEFAULT_PLATFORM): Descriptor {
  const child = index.manifests.find((d) => {
    const p = d.platform ?? DEFAULT_PLATFORM;
    return p.os === platform.os && p.architecture === platform.architecture && (platform.variant === undefined || p.variant === platform.variant);
  });
  if (!child) throw new OciError('InvalidManifest', `no child with platform ${platform.os}/${platform.architecture} in index`);
  return child;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new OciError('InvalidManifest', `${where} is not a descriptor`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw new OciError('InvalidManifest', `${where} has no mediaType`);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new OciError('InvalidManifest', `${where} has an unsupported digest ${JSON.stringify(digest)} (only sha256 is supported)`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new OciError('InvalidManifest', `${where} has an invalid size`);
  const out: Descriptor = { mediaType, digest, size };
  if (value.annotations !== undefined) out.annotations = stringMap(value.annotations, `${where}.annotations`);
  if (isObject(value.platform) && typeof value.platform.os === 'string' && typeof value.platform.architecture === 'string') {
    out.platform = { os: value.platform.os, architecture: value.platform.architecture };
    if (typeof value.platform.variant === 'string') out.platform.variant = value.platform.variant;
  }
  return out;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new OciError('InvalidManifest', `${where} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new OciError('InvalidManifest', `${where}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
