// Step 4: download the source artifact, verify its digest and extract it safely into memory
// (the artifact fetcher shared with the helm controller). A 404 means the source is rebuilding
// its storage: wait and keep the last applied state.
import { fetchArtifactTree, readArtifactTree } from '../../artifact/fetch.ts';
import { isArtifactError } from '../../artifact/errors.ts';
import type { ArtifactTree } from '../../artifact/tree.ts';
import type { Semaphore } from '../../runtime/semaphore.ts';
import { generic, waiting } from '../shared/errors.ts';
import { Reason } from './reasons.ts';
import type { ResolvedSource } from './source-ref.ts';

const NOT_FOUND_RETRY_MS = 10_000;

/**
 * Artifacts up to this size (compressed, as the source reports it) are held in memory freely;
 * larger ones (or of unknown size) take one of LARGE_IN_FLIGHT slots from download to the end of
 * the build, so ten concurrent reconciles of a 50 MiB monorepo cannot hold ten copies at once.
 */
export const SMALL_ARTIFACT_BYTES = 256 * 1024;
export const LARGE_IN_FLIGHT = 2;

export interface FetchedSource {
  tree: ArtifactTree;
  /** Frees the large-artifact slot, if one was taken; call once the tree is no longer needed. */
  release: () => void;
}

/** Artifacts this process stores itself (the source controller beside it): URL → file, or undefined. */
export interface LocalArtifacts {
  fileForUrl(url: string): string | undefined;
}

export async function fetchSource(source: ResolvedSource, large: Semaphore, signal: AbortSignal, local?: LocalArtifacts): Promise<FetchedSource> {
  const { artifact } = source;
  if (!artifact.digest) throw generic(Reason.ArtifactFailed, `artifact of ${source.id} has no digest`);
  const release = artifact.size !== undefined && artifact.size <= SMALL_ARTIFACT_BYTES ? () => {} : await large.acquire(signal);
  try {
    const file = local?.fileForUrl(artifact.url);
    const { tree } = file
      ? await readArtifactTree({ file, url: artifact.url, digest: artifact.digest, signal })
      : await fetchArtifactTree({ url: artifact.url, digest: artifact.digest, signal, retries: 3 });
    return { tree, release };
  } catch (err) {
    release();
    const why = err instanceof Error ? err.message : String(err);
    if (isArtifactError(err, 'NotFound')) throw waiting(Reason.ArtifactFailed, `failed to download artifact of ${source.id}, not found: ${why}`, NOT_FOUND_RETRY_MS, err);
    throw generic(Reason.ArtifactFailed, `failed to fetch artifact of ${source.id}: ${why}`, err);
  }
}
