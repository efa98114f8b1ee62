// The artifact server and the fetcher against each other, over real HTTP on loopback.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArtifactServer, ArtifactStorage, fetchArtifact, fetchArtifactTree, readArtifactTree, type Artifact } from '../../src/artifact/index.ts';
import { createTarGz } from '../tools/tar.ts';
import { makeTempDir, type TempDir } from '../tools/tmp.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as given (no normalisation by a client library). */
function rawRequest(address: string, rawPath: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('artifact server and fetcher', () => {
  let tmp: TempDir;
  let storage: ArtifactStorage;
  let server: ArtifactServer;
  let address = '';
  let artifact: Artifact;
  const files = { 'deploy/app.yaml': 'kind: ConfigMap\n', 'deploy/kustomization.yaml': 'resources: [app.yaml]\n', 'README.md': '# hi\n' };

  before(async () => {
    tmp = await makeTempDir('eddy-artifact-http-');
    const root = path.join(tmp.path, 'storage');
    await fs.mkdir(root);
    server = new ArtifactServer({ root, shutdownGraceMs: 100 });
    address = await server.start('127.0.0.1:0');
    storage = new ArtifactStorage({ root, advertisedBaseUrl: `http://${address}` });
    const src = path.join(tmp.path, 'src');
    for (const [rel, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await fs.writeFile(path.join(src, rel), content);
    }
    const stored = await storage.archive('GitRepository', 'default', 'app', { dir: src });
    artifact = storage.artifactFor('GitRepository', 'default', 'app', 'main@sha1:0123', stored.digest, stored.size);
  });
  after(async () => {
    await server.stop();
    await tmp.remove();
  });

  it('serves artifacts with length, type, ETag, 304 and HEAD', async () => {
    const get = await rawRequest(address, `/${artifact.path}`);
    assert.equal(get.status, 200);
    assert.equal(get.headers['content-type'], 'application/x-gzip');
    assert.equal(Number(get.headers['content-length']), artifact.size);
    assert.equal(get.headers.etag, `"${artifact.digest}"`);
    assert.deepEqual(get.body, await fs.readFile(storage.localPath(artifact)));

    const head = await rawRequest(address, `/${artifact.path}`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), artifact.size);
    assert.equal(head.body.length, 0);

    const cached = await rawRequest(address, `/${artifact.path}`, 'GET', { 'If-None-Match': `"other", "${artifact.digest}"` });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
    assert.equal((await rawRequest(address, `/${artifact.path}`, 'GET', { 'If-None-Match': '"other"' })).status, 200);
    const since = await rawRequest(address, `/${artifact.path}`, 'GET', { 'If-Modified-Since': String(get.headers['last-modified']) });
    assert.equal(since.status, 304);

    assert.equal((await rawRequest(address, `/${artifact.path}`, 'POST')).status, 405);
    assert.equal((await rawRequest(address, '/gitrepository/default/app/missing.tar.gz')).status, 404);
  });

  it('lists no directories, hides dot-files and refuses traversal in every spelling', async () => {
    await fs.writeFile(path.join(tmp.path, 'secret.txt'), 'secret');
    await fs.writeFile(path.join(storage.root, 'gitrepository/default/app/.tmp-partial'), 'partial');
    await fs.symlink(path.join(tmp.path, 'secret.txt'), path.join(storage.root, 'escape.txt'));
    await fs.symlink(tmp.path, path.join(storage.root, 'escape-dir'));
    const attempts = [
      '/',
      '/gitrepository/',
      '/gitrepository/default/app',
      '/gitrepository/default/app/.tmp-partial',
      '/../secret.txt',
      '/gitrepository/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
      '/%zz',
      'http://evil/../secret.txt',
      '//etc/passwd',
      '/etc/passwd',
      '/escape.txt',
      '/escape-dir/secret.txt',
    ];
    for (const attempt of attempts) {
      const reply = await rawRequest(address, attempt);
      assert.ok([400, 404].includes(reply.status), `${attempt} -> ${reply.status}`);
      assert.ok(!reply.body.toString().includes('secret') && !reply.body.toString().includes('root:'), attempt);
    }
  });

  it('fetches, verifies and extracts end to end', async () => {
    const dest = path.join(tmp.path, 'fetched');
    const result = await fetchArtifact({ url: artifact.url, digest: artifact.digest, dest, retries: 0 });
    assert.equal(result.digest, artifact.digest);
    assert.equal(result.size, artifact.size);
    assert.equal(result.attempts, 1);
    for (const [rel, content] of Object.entries(files)) assert.equal(await fs.readFile(path.join(dest, rel), 'utf8'), content);

    // In the same process as the storage: the file behind the URL, read with the same checks.
    const file = storage.fileForUrl(artifact.url);
    assert.equal(file, storage.localPath(artifact));
    assert.equal(storage.fileForUrl(artifact.url.replace('127.0.0.1', 'example.com')), undefined);
    assert.equal(storage.fileForUrl(`${storage.baseUrl}/gitrepository/default/../../etc/passwd`), undefined);
    const local = await readArtifactTree({ file: file ?? '', url: artifact.url, digest: artifact.digest });
    assert.equal(local.digest, artifact.digest);
    for (const [rel, content] of Object.entries(files)) assert.equal(local.tree.readFile(rel).toString(), content);
    await assert.rejects(readArtifactTree({ file: file ?? '', url: artifact.url, digest: `sha256:${'0'.repeat(64)}` }), { reason: 'DigestMismatch' });
    await assert.rejects(readArtifactTree({ file: path.join(tmp.path, 'gone.tar.gz'), url: artifact.url, digest: artifact.digest }), { reason: 'NotFound' });
    await assert.rejects(readArtifactTree({ file: file ?? '', url: artifact.url, digest: artifact.digest, maxDownloadBytes: 10 }), { reason: 'TooLarge' });

    const inMemory = await fetchArtifactTree({ url: artifact.url, digest: artifact.digest, retries: 0 });
    assert.equal(inMemory.digest, artifact.digest);
    assert.equal(inMemory.size, artifact.size);
    for (const [rel, content] of Object.entries(files)) assert.equal(inMemory.tree.readFile(rel).toString(), content);
  });

  it('types 404, digest mismatch, size limits and hostile content', async () => {
    const dest = (name: string) => path.join(tmp.path, name);
    await assert.rejects(fetchArtifact({ url: `http://${address}/gitrepository/default/app/gone.tar.gz`, digest: artifact.digest, dest: dest('nf'), retries: 3 }), {
      reason: 'NotFound',
    });
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(fetchArtifact({ url: artifact.url, digest: wrong, dest: dest('dm'), retries: 0 }), { reason: 'DigestMismatch' });
    assert.deepEqual(await fs.readdir(dest('dm')).catch(() => []), []);
    await assert.rejects(fetchArtifact({ url: artifact.url, digest: artifact.digest, dest: dest('big'), maxDownloadBytes: 100, retries: 0 }), { reason: 'TooLarge' });
    await assert.rejects(fetchArtifact({ url: artifact.url, digest: artifact.digest, dest: dest('many'), maxFiles: 2, retries: 0 }), { reason: 'TooManyFiles' });

    const hostile = await storage.store('Bucket', 'default', 'evil', createTarGz([{ path: '../escape', content: 'x' }]));
    await assert.rejects(fetchArtifact({ url: `http://${address}/${hostile.path}`, digest: hostile.digest, dest: dest('evil'), retries: 0 }), { reason: 'IllegalPath' });
    assert.equal(await fs.stat(path.join(tmp.path, 'escape')).catch(() => undefined), undefined);

    // In memory, the same reasons.
    await assert.rejects(fetchArtifactTree({ url: `http://${address}/gitrepository/default/app/gone.tar.gz`, digest: artifact.digest, retries: 3 }), { reason: 'NotFound' });
    await assert.rejects(fetchArtifactTree({ url: artifact.url, digest: wrong, retries: 0 }), { reason: 'DigestMismatch' });
    await assert.rejects(fetchArtifactTree({ url: artifact.url, digest: artifact.digest, maxDownloadBytes: 100, retries: 0 }), { reason: 'TooLarge' });
    await assert.rejects(fetchArtifactTree({ url: artifact.url, digest: artifact.digest, maxFiles: 2, retries: 0 }), { reason: 'TooManyFiles' });
    await assert.rejects(fetchArtifactTree({ url: `http://${address}/${hostile.path}`, digest: hostile.digest, retries: 0 }), { reason: 'IllegalPath' });
  });

  it('retries 5xx and network errors with backoff, then gives up typed', async () => {
    let calls = 0;
    let cuts = 0;
    const body = await fs.readFile(storage.localPath(artifact));
    const flaky = http.createServer((req, res) => {
      if (req.url === '/cut.tar.gz') {
        // Half the body, then the connection drops: a network failure, retried.
        cuts++;
        res.setHeader('Content-Length', body.length);
        if (cuts === 1) {
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
          return;
        }
        res.end(body);
        return;
      }
      if (req.url === '/chunked.tar.gz') {
        // No Content-Length: only the streaming count can stop it.
        res.write(body);
        res.end(body);
        return;
      }
      calls++;
      if (calls <= 2) {
        res.statusCode = 503;
        res.end('busy');
        return;
      }
      res.setHeader('Content-Length', body.length);
      res.end(body);
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const port = (flaky.address() as AddressInfo).port;
    try {
      const ok = await fetchArtifact({
        url: `http://127.0.0.1:${port}/a.tar.gz`,
        digest: artifact.digest,
        dest: path.join(tmp.path, 'flaky'),
        retries: 3,
        backoff: { initialMs: 10 },
      });
      assert.equal(ok.attempts, 3);
      const resumed = await fetchArtifactTree({ url: `http://127.0.0.1:${port}/cut.tar.gz`, digest: artifact.digest, retries: 2, backoff: { initialMs: 5 } });
      assert.equal(resumed.attempts, 2);
      assert.equal(resumed.tree.readFile(Object.keys(files)[0] ?? '').toString(), Object.values(files)[0]);
      await assert.rejects(
        fetchArtifactTree({ url: `http://127.0.0.1:${port}/chunked.tar.gz`, digest: artifact.digest, maxDownloadBytes: body.length + 10, retries: 2 }),
        { reason: 'TooLarge' },
      );
      calls = -100;
      await assert.rejects(
        fetchArtifact({ url: `http://127.0.0.1:${port}/a.tar.gz`, digest: artifact.digest, dest: path.join(tmp.path, 'flaky2'), retries: 2, backoff: { initialMs: 5 } }),
        (err: Error & { reason?: string }) => err.reason === 'Network' && /HTTP 503/.test(err.message),
      );
      assert.equal(calls, -97, 'one attempt and two retries');
      await assert.rejects(
        fetchArtifact({ url: `http://127.0.0.1:${port}/chunked.tar.gz`, digest: artifact.digest, dest: path.join(tmp.path, 'chunked'), maxDownloadBytes: body.length + 10, retries: 2 }),
        { reason: 'TooLarge' },
      );
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
    // Nothing listens any more: connection refused, retried, then Network; credentials never echoed.
    const started = Date.now();
    await assert.rejects(
      fetchArtifact({ url: `http://user:hunter2@127.0.0.1:${port}/a.tar.gz?token=t0ken`, digest: artifact.digest, dest: path.join(tmp.path, 'down'), retries: 2, backoff: { initialMs: 5 } }),
      (err: Error & { reason?: string }) => err.reason === 'Network' && !/hunter2|t0ken/.test(err.message),
    );
    assert.ok(Date.now() - started < 5000);
  });
});
