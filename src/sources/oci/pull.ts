// Pulls one layer of an OCI artifact the way Flux's OCIRepository does: resolve the ref, name
// the revision from the manifest digest, verify the signature if asked, then fetch the manifest
// by that digest (an index resolves to its linux/amd64 child), pick the layer (first, or first
// of the selector's media type) and stream it, verified, to `dest` or to a consumer. Extracting
// or repackaging the tar.gz is the artifact machinery's job.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CallOptions, FetchedManifest, Registry } from './client.ts';
import { OciError, isOciError } from './errors.ts';
import { selectPlatformChild } from './manifest.ts';
import type { Descriptor, ImageManifest, Manifest, Platform } from './manifest.ts';
import { parseOciUrl } from './reference.ts';
import type { RepositoryName } from './reference.ts';
import { formatRevision, resolveRef } from './select.ts';
import type { OciRef, ResolvedRef } from './select.ts';
import { verifyCosign } from './verify.ts';
import type { CosignVerification } from './verify.ts';

export const SOURCE_ANNOTATION = 'org.opencontainers.image.source';
export const REVISION_ANNOTATION = 'org.opencontainers.image.revision';

export type LayerOperation = 'extract' | 'copy';

export interface LayerSelector {
  mediaType?: string | undefined;
  /** Default `extract`. */
  operation?: LayerOperation | undefined;
}

export interface CosignVerify {
  provider: 'cosign';
  /** PEM public keys; keyless verification is not supported. */
  publicKeys: readonly (string | Buffer)[];
}

export interface ResolveOptions extends CallOptions {
  registry: Registry;
  /** OCIRepository spec.url, oci://host/path. */
  url: string;
  ref?: OciRef | undefined;
  /**
   * GET the tag's manifest instead of a HEAD: when the artifact is pulled anyway (nothing stored
   * yet) the HEAD is a wasted request, and the manifest is kept for the pull.
   */
  fetchManifest?: boolean;
}

export interface LayerPullOptions extends ResolveOptions {
  /** The manifest `resolveRevision` already fetched, used when it is the one the digest names. */
  known?: FetchedManifest | undefined;
  layerSelector?: LayerSelector | undefined;
  /** Largest layer accepted. */
  maxBytes: number;
  verify?: CosignVerify | undefined;
  /** Child picked from an index; default linux/amd64, as go-containerregistry (and so Flux). */
  platform?: Platform;
}

export interface PullOptions extends LayerPullOptions {
  /** File path the verified layer blob is written to (its directory is created). */
  dest: string;
}

export interface ResolvedRevision {
  name: RepositoryName;
  resolved: ResolvedRef;
  /** Digest of what the ref points at (an index's own digest for an index). */
  digest: string;
  /** `<tag>@sha256:<hex>`, or `sha256:<hex>` for a digest ref. */
  revision: string;
  /** The tag's manifest, when it was fetched to resolve the tag. */
  fetched?: FetchedManifest;
}

/** What was pulled, wherever the layer's bytes went. */
export interface PulledLayer extends ResolvedRevision {
  /** The image manifest the layer came from (an index's platform child). */
  manifest: ImageManifest;
  manifestDigest: string;
  /** The image manifest's annotations (Flux copies them to artifact metadata). */
  annotations: Record<string, string>;
  /** org.opencontainers.image.source and .revision (the origin revision), when present. */
  source: string | undefined;
  originRevision: string | undefined;
  operation: LayerOperation;
  layerDigest: string;
  layerSize: number;
  layerMediaType: string;
  verification: CosignVerification | undefined;
}

export interface PulledArtifact extends PulledLayer {
  layerPath: string;
}

export interface StreamedArtifact<T> extends PulledLayer {
  /** What the consumer made of the verified layer. */
  layer: T;
}

const MAX_INDEX_DEPTH = 3;

/**
 * The revision the ref currently names, without downloading the artifact: a digest ref needs no
 * call; a tag is asked with HEAD, falling back to GET like Flux's getRevision.
 */
export async function resolveRevision(opts: ResolveOptions): Promise<ResolvedRevision> {
  const name = parseOciUrl(opts.url);
  assertSameHost(opts.registry, name);
  const call = opts.signal ? { signal: opts.signal } : {};
  const resolved = await resolveRef(opts.registry, name.repository, opts.ref, call);
  if (resolved.kind === 'digest') return { name, resolved, digest: resolved.digest, revision: formatRevision(resolved, resolved.digest) };
  const head = opts.fetchManifest ? undefined : await opts.registry.headManifest(name.repository, resolved.tag, call).catch((err: unknown) => {
    if (isOciError(err, 'Unauthorized') || isOciError(err, 'Forbidden')) throw err;
    return undefined;
  });
  if (head?.digest) return { name, resolved, digest: head.digest, revision: formatRevision(resolved, head.digest) };
  const manifest = await opts.registry.getManifest(name.repository, resolved.tag, call);
  return { name, resolved, digest: manifest.digest, revision: formatRevision(resolved, manifest.digest), fetched: manifest };
}

/** Pulls the layer to `opts.dest`; with operation extract, a layer that is not gzip is refused (and no file is left). */
export async function pullArtifact(opts: PullOptions): Promise<PulledArtifact> {
  const located = await locateLayer(opts);
  await fs.mkdir(path.dirname(opts.dest), { recursive: true });
  const blob = await opts.registry.downloadBlob(located.repository, located.layer.digest, opts.dest, { ...located.call, maxBytes: opts.maxBytes, expectedSize: located.layer.size });
  if (located.operation === 'extract') await assertGzipFile(blob.path, located.layer.digest);
  return { ...describePull(located, blob.size), layerPath: blob.path };
}

/**
 * Streams the layer into `consume` as it downloads (no file); download retries start it over.
 * With operation extract, a layer that is not gzip is refused before `consume` sees a byte. The
 * consumer's value is returned only once the layer matched its digest: it must not be used if
 * this throws. `consume` also gets the layer's descriptor (size and media type, from the
 * verified manifest).
 */
export async function streamArtifact<T>(opts: LayerPullOptions, consume: (layer: Readable, descriptor: Descriptor) => Promise<T>): Promise<StreamedArtifact<T>> {
  const located = await locateLayer(opts);
  const { digest } = located.layer;
  const take = (layer: Readable) => consume(layer, located.layer);
  const read = located.operation === 'extract' ? (chunks: AsyncIterable<Buffer>) => consumeGzip(chunks, digest, take) : (chunks: AsyncIterable<Buffer>) => take(Readable.from(chunks, { objectMode: false }));
  const blob = await opts.registry.readBlob(located.repository, digest, { ...located.call, maxBytes: opts.maxBytes, expectedSize: located.layer.size }, read);
  return { ...describePull(located, blob.size), layer: blob.value };
}

interface LocatedLayer {
  rev: Omit<ResolvedRevision, 'fetched'>;
  repository: string;
  call: CallOptions;
  manifest: ImageManifest;
  manifestDigest: string;
  layer: Descriptor;
  operation: LayerOperation;
  verification: CosignVerification | undefined;
}

/** Everything before the layer's bytes: revision, signature, image manifest (by digest), layer. */
async function locateLayer(opts: LayerPullOptions): Promise<LocatedLayer> {
  const operation = opts.layerSelector?.operation ?? 'extract';
  if (operation !== 'extract' && operation !== 'copy') throw new OciError('InvalidReference', `unsupported layer operation: ${String(operation)}`);
  const call = opts.signal ? { signal: opts.signal } : {};
  const { fetched, ...rev } = await resolveRevision(opts);
  const repository = rev.name.repository;
  let verification: CosignVerification | undefined;
  if (opts.verify) {
    if (opts.verify.provider !== 'cosign') throw new OciError('InvalidReference', `unsupported verification provider: ${String(opts.verify.provider)}`);
    verification = await verifyCosign({ ...call, registry: opts.registry, repository, digest: rev.digest, publicKeys: opts.verify.publicKeys });
  }
  // By digest from here on: a tag moved meanwhile cannot mix two artifacts.
  const { manifest, digest: manifestDigest } = await imageManifest(opts.registry, repository, rev.digest, opts.platform, call, opts.known ?? fetched);
  const layer = selectLayer(manifest, opts.layerSelector?.mediaType);
  if (layer.size > opts.maxBytes) {
    throw new OciError('TooLarge', `layer ${layer.digest} is ${layer.size} bytes, more than the limit of ${opts.maxBytes}`);
  }
  return { rev, repository, call, manifest, manifestDigest, layer, operation, verification };
}

function describePull(located: LocatedLayer, size: number): PulledLayer {
  const { rev, manifest, manifestDigest, layer, operation, verification } = located;
  return {
    ...rev,
    manifest,
    manifestDigest,
    annotations: manifest.annotations,
    source: manifest.annotations[SOURCE_ANNOTATION],
    originRevision: manifest.annotations[REVISION_ANNOTATION],
    operation,
    layerDigest: layer.digest,
    layerSize: size,
    layerMediaType: layer.mediaType,
    verification,
  };
}

/** Flux's selectLayer: the first layer, or the first with the selector's media type. */
export function selectLayer(manifest: ImageManifest, mediaType: string | undefined): Descriptor {
  if (manifest.layers.length === 0) throw new OciError('LayerNotFound', 'no layers found in artifact');
  if (!mediaType) return manifest.layers[0]!;
  const layer = manifest.layers.find((l) => l.mediaType === mediaType);
  if (!layer) throw new OciError('LayerNotFound', `failed to find layer with media type '${mediaType}' in artifact`);
  return layer;
}

async function imageManifest(
  registry: Registry,
  repository: string,
  digest: string,
  platform: Platform | undefined,
  call: CallOptions,
  known: FetchedManifest | undefined,
): Promise<{ manifest: ImageManifest; digest: string }> {
  let current = digest;
  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    // Manifests are content-addressed: bytes already verified against this digest are the same.
    const fetched = known?.digest === current ? known : await registry.getManifest(repository, current, call);
    const manifest: Manifest = fetched.manifest;
    if (manifest.kind === 'manifest') return { manifest, digest: fetched.digest };
    current = selectPlatformChild(manifest, platform).digest;
  }
  throw new OciError('InvalidManifest', `index nesting deeper than ${MAX_INDEX_DEPTH} levels`);
}

/** Flux extracts the layer as tar+gzip; fail early, and leave no file, when it is not gzip. */
async function assertGzipFile(file: string, digest: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  if (!isGzip(magic)) {
    await fs.rm(file, { force: true });
    throw notGzip(digest);
  }
}

/**
 * The same check on the stream's first two bytes. A layer that is not gzip is still read to its
 * end first, so that a blob that is not the one named fails as such (as a download to a file).
 */
async function consumeGzip<T>(chunks: AsyncIterable<Buffer>, digest: string, consume: (layer: Readable) => Promise<T>): Promise<T> {
  const source = chunks[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await source.next();
    if (next.done === true) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  if (!isGzip(head)) {
    while ((await source.next()).done !== true);
    throw notGzip(digest);
  }
  const rest = { [Symbol.asyncIterator]: () => source };
  return consume(Readable.from(prepend(head, rest), { objectMode: false }));
}

async function* prepend(head: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  yield* rest;
}

const isGzip = (magic: Buffer): boolean => magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;

const notGzip = (digest: string): OciError =>
  new OciError('InvalidLayer', `layer ${digest} is not gzip-compressed; use layerSelector.operation 'copy' to keep it as is`);

function assertSameHost(registry: Registry, name: RepositoryName): void {
  if (registry.host !== name.host) {
    throw new OciError('InvalidUrl', `registry client is for ${registry.host}, the url names ${name.host}`);
  }
}
