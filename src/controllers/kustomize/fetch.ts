// Step 4: download the source artifact, verify its digest, extract it safely (the artifact
// fetcher shared with the helm controller). A 404 means the source is rebuilding its storage:
// wait and keep the last applied state.
import { join } from 'node:path';
import { fetchArtifact } from '../../artifact/fetch.ts';
import { isArtifactError } from '../../artifact/errors.ts';
import { generic, waiting } from '../shared/errors.ts';
import { Reason } from './reasons.ts';
import type { ResolvedSource } from './source-ref.ts';

const NOT_FOUND_RETRY_MS = 10_000;

export async function fetchSource(source: ResolvedSource, tmp: string, signal: AbortSignal): Promise<string> {
  const { artifact } = source;
  const root = join(tmp, 'source');
  if (!artifact.digest) throw generic(Reason.ArtifactFailed, `artifact of ${source.id} has no digest`);
  try {
    await fetchArtifact({ url: artifact.url, digest: artifact.digest, dest: root, signal, retries: 3, tmpDir: tmp });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (isArtifactError(err, 'NotFound')) throw waiting(Reason.ArtifactFailed, `failed to download artifact of ${source.id}, not found: ${why}`, NOT_FOUND_RETRY_MS, err);
    throw generic(Reason.ArtifactFailed, `failed to fetch artifact of ${source.id}: ${why}`, err);
  }
  return root;
}
