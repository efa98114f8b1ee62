import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import { ArtifactServer } from './server.ts';
import { ArtifactStorage } from './storage.ts';

describe('ArtifactStorage', () => {
  let tmp: TempDir;
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const now = () => clock;
  before(async () => {
    tmp = await makeTempDir('eddy-storage-');
  });
  after(async () => {
    await tmp.remove();
  });

  const store = (s: ArtifactStorage, name: string, content: string) =>
    s.archive('GitRepository', 'flux-system', name, { entries: [{ path: 'f.yaml', content }] });

  it('stores atomically under <kind>/<ns>/<name>/<digest hex>.tar.gz and describes the artifact', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'a'), advertisedBaseUrl: 'source-controller.flux-system.svc.cluster.local.', now });
    const stored = await store(s, 'podinfo', 'x: 1\n');
    const hex = stored.digest.slice('sha256:'.length);
    assert.equal(stored.path, `gitrepository/flux-system/podinfo/${hex}.tar.gz`);
    assert.deepEqual(await fs.readdir(path.join(s.root, 'gitrepository/flux-system/podinfo')), [`${hex}.tar.gz`], 'no temp file left');
    const artifact = s.artifactFor('GitRepository', 'flux-system', 'podinfo', 'main@sha1:abc', stored.digest, stored.size, { a: 'b' });
    assert.deepEqual(artifact, {
      url: `http://source-controller.flux-system.svc.cluster.local./${stored.path}`,
      path: stored.path,
      revision: 'main@sha1:abc',
      digest: stored.digest,
      size: stored.size,
      lastUpdateTime: '2025-01-01T00:00:00Z',
      metadata: { a: 'b' },
    });
    assert.equal('metadata' in s.artifactFor('GitRepository', 'flux-system', 'podinfo', 'r', stored.digest, 1), false);
    assert.equal(await s.exists(artifact), true);
    assert.equal(await s.verify(artifact), true);
    await fs.appendFile(s.localPath(artifact), 'x');
    assert.equal(await s.verify(artifact), false);
    assert.equal(await s.exists({ path: 'gitrepository/flux-system/podinfo/0000.tar.gz' }), false);

    const https = new ArtifactStorage({ root: tmp.path, advertisedBaseUrl: 'https://eddy.example/' });
    assert.equal(https.artifactFor('Bucket', 'ns', 'b', 'r', stored.digest, 1).url, `https://eddy.example/bucket/ns/b/${hex}.tar.gz`);
  });

  it('stores bytes under a fixed file name', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'b'), advertisedBaseUrl: 'h:9090', now });
    const stored = await s.store('HelmChart', 'ns', 'chart', Buffer.from('tgz'), { fileName: 'podinfo-6.5.3.tgz' });
    assert.equal(stored.path, 'helmchart/ns/chart/podinfo-6.5.3.tgz');
    assert.equal(stored.size, 3);
    assert.equal(await fs.readFile(path.join(s.root, stored.path), 'utf8'), 'tgz');
  });

  it('refuses kinds, namespaces, names and paths that could leave the root', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'c'), advertisedBaseUrl: 'h' });
    const bad: [string, string, string][] = [
      ['../x', 'ns', 'n'],
      ['GitRepository', '..', 'n'],
      ['GitRepository', 'ns', '..'],
      ['GitRepository', 'ns', 'a/b'],
      ['GitRepository', 'ns', '.hidden'],
      ['GitRepository', 'NS', 'n'],
      ['git/repo', 'ns', 'n'],
    ];
    for (const [kind, ns, name] of bad) await assert.rejects(s.archive(kind, ns, name, { entries: [] }), { reason: 'IllegalPath' });
    for (const p of ['../../etc/passwd', 'gitrepository/ns/n/../x', 'gitrepository/ns/n/.tmp-x', '/etc/passwd', 'gitrepository/ns/n/a/b']) {
      assert.throws(() => s.localPath(p), { reason: 'IllegalPath' });
    }
    await assert.rejects(s.store('Bucket', 'ns', 'n', Buffer.from(''), { fileName: '../x' }), { reason: 'IllegalPath' });
    await assert.rejects(s.store('Bucket', 'ns', 'n', Buffer.from(''), { fileName: `${'a'.repeat(64)}.tar.gz` }), { reason: 'IllegalPath' });
    assert.deepEqual(await fs.readdir(path.join(s.root, 'bucket/ns/n')), [], 'the refused temp file is gone');
  });

  it('collects garbage as Flux does: TTL and record count, never the current artifact', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'gc'), advertisedBaseUrl: 'h', retentionRecords: 2, retentionTtlMs: 60_000, now });
    const paths: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock += 1000;
      paths.push((await store(s, 'app', `v${i}`)).path);
    }
    // Four files, all within the TTL: only the newest two (current included) stay.
    assert.deepEqual(await s.garbageCollect({ path: paths[3]! }), [paths[0], paths[1]].sort());
    const left = await fs.readdir(path.join(s.root, 'gitrepository/flux-system/app'));
    assert.deepEqual(left.sort(), [path.basename(paths[2]!), path.basename(paths[3]!)].sort());

    // Past the TTL the previous one goes too, while the current one stays whatever its age.
    clock += 61_000;
    assert.deepEqual(await s.garbageCollect({ path: paths[3]! }), [paths[2]]);
    assert.deepEqual(await s.garbageCollect({ path: paths[3]! }), []);
    assert.equal(await s.exists({ path: paths[3]! }), true);

    // The current artifact is kept even when it is the oldest file.
    clock += 1000;
    const newer = (await store(s, 'app', 'v8')).path;
    clock += 1000;
    const newest = (await store(s, 'app', 'v9')).path;
    assert.deepEqual(await s.garbageCollect({ path: paths[3]! }), [newer]);
    assert.equal(await s.exists({ path: newest }), true);

    // Stale temp files from a crash are collected once past the TTL.
    const stale = path.join(s.root, 'gitrepository/flux-system/app/.tmp-crashed');
    await fs.writeFile(stale, '');
    await fs.utimes(stale, new Date(clock - 120_000), new Date(clock - 120_000));
    assert.deepEqual(await s.garbageCollect({ path: paths[3]! }), ['gitrepository/flux-system/app/.tmp-crashed']);
  });

  it('links latest.tar.gz to the current artifact (Flux status.url); the link is served, moved and never collected', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'link'), advertisedBaseUrl: '127.0.0.1:9', retentionRecords: 1, retentionTtlMs: 60_000, now });
    const server = new ArtifactServer({ root: s.root });
    await fs.mkdir(s.root, { recursive: true });
    const addr = await server.start('127.0.0.1:0');
    try {
      const first = await store(s, 'oci', 'v: 1\n');
      assert.equal(await s.symlink(first, 'latest.tar.gz'), 'http://127.0.0.1:9/gitrepository/flux-system/oci/latest.tar.gz');
      clock += 1_000;
      const second = await store(s, 'oci', 'v: 2\n');
      await s.symlink(second, 'latest.tar.gz');
      const dir = path.join(s.root, 'gitrepository/flux-system/oci');
      assert.equal(await fs.readlink(path.join(dir, 'latest.tar.gz')), path.basename(second.path), 'relative link to the new file');
      const res = await fetch(`http://${addr}/gitrepository/flux-system/oci/latest.tar.gz`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), `"${second.digest}"`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), await fs.readFile(s.localPath(second)));
      // Retention of one record: the older artifact goes, the link stays and is not counted.
      assert.deepEqual(await s.garbageCollect(second), [first.path]);
      assert.deepEqual((await fs.readdir(dir)).sort(), [path.basename(second.path), 'latest.tar.gz'].sort());
      await assert.rejects(s.symlink(second, '../escape'), { reason: 'IllegalPath' });
    } finally {
      await server.stop();
    }
  });

  it('deletes everything of one object for the finalizer', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'del'), advertisedBaseUrl: 'h', now });
    await store(s, 'one', 'a');
    await store(s, 'two', 'b');
    assert.equal(await s.deleteAll('GitRepository', 'flux-system', 'one'), true);
    assert.equal(await s.deleteAll('GitRepository', 'flux-system', 'one'), false);
    assert.deepEqual(await fs.readdir(path.join(s.root, 'gitrepository/flux-system')), ['two']);
  });

  it('serialises work on one object and lets other objects run alongside', async () => {
    const s = new ArtifactStorage({ root: path.join(tmp.path, 'lock'), advertisedBaseUrl: 'h' });
    const log: string[] = [];
    const task = (name: string, tag: string, ms: number) =>
      s.withLock('GitRepository', 'ns', name, async () => {
        log.push(`${tag}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${tag}-`);
      });
    await Promise.all([task('a', 'a1', 30), task('a', 'a2', 1), task('b', 'b1', 1), task('a', 'a3', 1)]);
    assert.deepEqual(log.filter((l) => l.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    assert.ok(log.indexOf('b1-') < log.indexOf('a1-'), 'another object does not wait');

    // Concurrent archives of one object all land, none sees another's temp file.
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => store(s, 'busy', `content ${i}`)));
    const files = await fs.readdir(path.join(s.root, 'gitrepository/flux-system/busy'));
    assert.deepEqual(files.sort(), results.map((r) => path.basename(r.path)).sort());
  });
});
