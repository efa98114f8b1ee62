import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ArtifactStorage, type Artifact } from '../../artifact/index.ts';
import { Semaphore } from '../../runtime/semaphore.ts';
import { makeTempDir, type TempDir } from '../../../test/tools/tmp.ts';
import { fetchSource, SMALL_ARTIFACT_BYTES } from './fetch.ts';
import type { ResolvedSource } from './source-ref.ts';

describe('fetchSource', () => {
  let tmp: TempDir;
  let storage: ArtifactStorage;
  let small: Artifact;
  let large: Artifact;
  const source = (artifact: Artifact): ResolvedSource => ({ source: { apiVersion: 'v1', kind: 'X', metadata: {} }, artifact, id: 'GitRepository/default/app' });

  before(async () => {
    tmp = await makeTempDir('eddy-ks-fetch-');
    storage = new ArtifactStorage({ root: tmp.path, advertisedBaseUrl: 'http://127.0.0.1:1' });
    const put = async (name: string, content: string) => {
      const stored = await storage.archive('GitRepository', 'default', name, { entries: [{ path: 'app.yaml', content }] });
      return storage.artifactFor('GitRepository', 'default', name, 'main@sha1:0123', stored.digest, stored.size);
    };
    small = await put('small', 'kind: ConfigMap\n');
    // Random text barely compresses: over the free size, so it takes a slot.
    large = await put('large', randomBytes(SMALL_ARTIFACT_BYTES).toString('base64'));
    assert.ok((large.size ?? 0) > SMALL_ARTIFACT_BYTES);
  });
  after(() => tmp.remove());

  it('reads its own storage in process, a large artifact holding a slot until released', async () => {
    const slots = new Semaphore(1);
    const signal = new AbortController().signal;
    const first = await fetchSource(source(large), slots, signal, storage);
    assert.equal(first.tree.isFile('app.yaml'), true);
    // The only slot is held: a second large fetch waits, a small one does not.
    let waited = true;
    const pending = fetchSource(source(large), slots, signal, storage).finally(() => (waited = false));
    const free = await fetchSource(source(small), slots, signal, storage);
    assert.equal(free.tree.readFile('app.yaml').toString(), 'kind: ConfigMap\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(waited, true);
    first.release();
    (await pending).release();
  });

  it('gives the slot back when the fetch fails (a missing file waits, as a 404 does)', async () => {
    const slots = new Semaphore(1);
    const gone = { ...large, url: large.url.replace(/[0-9a-f]{64}/, '0'.repeat(64)) };
    await assert.rejects(fetchSource(source(gone), slots, new AbortController().signal, storage), (err: Error & { policy?: string }) => err.policy === 'waiting' && /not found/.test(err.message));
    const again = await fetchSource(source(large), slots, new AbortController().signal, storage);
    again.release();
  });
});
