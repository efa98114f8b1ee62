// The bucket client against a real S3 server (moto): listing, prefix, ignore rules, Flux's
// revision, downloads with bounds and path safety, and the typed failures.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BucketClient, fetchIndex, listObjects, type BucketConnection, type BucketError, type BucketErrorReason,
} from '../../../src/sources/bucket/index.ts';
import { startS3Server, type S3Server } from '../../servers/s3.ts';
import { freePort } from '../../tools/ports.ts';
import { startTcpProxy } from '../../tools/tcp-proxy.ts';
import { makeTempDir, type TempDir } from '../../tools/tmp.ts';

function connection(s3: S3Server, bucketName: string, extra: Partial<BucketConnection> = {}): BucketConnection {
  const url = new URL(s3.endpoint);
  return {
    endpoint: url.host,
    bucketName,
    region: s3.region,
    insecure: url.protocol === 'http:',
    ca: s3.tls?.ca.cert,
    accessKey: s3.credentials.accessKeyId,
    secretKey: s3.credentials.secretAccessKey,
    timeoutMs: 10_000,
    ...extra,
  };
}

/** Flux's revision computed here from the test server's own listing, independently of the client. */
async function expectedRevision(s3: S3Server, bucket: string, keep: (key: string) => boolean): Promise<string> {
  const lines = (await s3.listObjects(bucket))
    .filter((o) => keep(o.key))
    .map((o) => `${o.key} ${o.etag.replace(/^"|"$/g, '')}\n`)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}

function rejectsWith(reason: BucketErrorReason, secret?: string) {
  return (err: unknown): boolean => {
    assert.equal((err as BucketError).reason, reason, String(err));
    if (secret) assert.ok(!String((err as Error).message).includes(secret), 'no secret in the message');
    return true;
  };
}

void describe('Bucket client (generic provider) against moto', () => {
  let s3: S3Server;
  let tmp: TempDir;
  before(async () => {
    s3 = await startS3Server();
    tmp = await makeTempDir('eddy-bucket-');
    await s3.createBucket('podinfo');
    await s3.putObject('podinfo', 'deploy/app.yaml', 'kind: ConfigMap\n');
    await s3.putObject('podinfo', 'deploy/svc.yaml', 'kind: Service\n');
    await s3.putObject('podinfo', 'deploy/', '');
    await s3.putObject('podinfo', 'docs/README.md', '# docs\n');
    await s3.putObject('podinfo', 'other/x.yaml', 'x: 1\n');
    await s3.putObject('podinfo', '.sourceignore', '# from the bucket\n*.md\n');
  });
  after(async () => {
    await s3.stop();
    await tmp.remove();
  });

  it('lists objects with etag and size, skipping directory placeholders, and filters by prefix', async () => {
    const all = await listObjects(connection(s3, 'podinfo'));
    assert.deepEqual(all.map((o) => o.key), ['.sourceignore', 'deploy/app.yaml', 'deploy/svc.yaml', 'docs/README.md', 'other/x.yaml']);
    const app = all.find((o) => o.key === 'deploy/app.yaml');
    assert.equal(app?.size, 16);
    assert.match(app?.etag ?? '', /^[0-9a-f]{32}$/, 'ETag without quotes');
    const prefixed = await listObjects({ ...connection(s3, 'podinfo'), prefix: 'deploy/' });
    assert.deepEqual(prefixed.map((o) => o.key), ['deploy/app.yaml', 'deploy/svc.yaml']);
  });

  it('applies the bucket .sourceignore and spec.ignore, and computes Flux revision of the selection', async () => {
    const index = await fetchIndex({ ...connection(s3, 'podinfo'), ignore: 'other/\n' });
    assert.deepEqual(index.objects.map((o) => o.key), ['deploy/app.yaml', 'deploy/svc.yaml']);
    const keep = (k: string) => k.startsWith('deploy/') && !k.endsWith('/');
    assert.equal(index.revision, await expectedRevision(s3, 'podinfo', keep));
    const withPrefix = await fetchIndex({ ...connection(s3, 'podinfo'), prefix: 'docs/' });
    assert.deepEqual(withPrefix.objects, [], 'the root .sourceignore applies under a prefix too');
  });

  it('keeps the revision while nothing changes, changes it when an object changes', async () => {
    await s3.createBucket('revisions');
    await s3.putObject('revisions', 'a.yaml', 'a: 1\n');
    await s3.putObject('revisions', 'b.yaml', 'b: 1\n');
    const client = new BucketClient(connection(s3, 'revisions'));
    try {
      const first = await client.fetchIndex({ ignore: '*.tmp' });
      assert.match(first.revision, /^sha256:[0-9a-f]{64}$/);
      assert.equal((await client.fetchIndex({ ignore: '*.tmp' })).revision, first.revision);
      await s3.putObject('revisions', 'scratch.tmp', 'ignored');
      assert.equal((await client.fetchIndex({ ignore: '*.tmp' })).revision, first.revision, 'ignored objects do not count');
      await s3.putObject('revisions', 'b.yaml', 'b: 2\n');
      const changed = await client.fetchIndex({ ignore: '*.tmp' });
      assert.notEqual(changed.revision, first.revision);
      assert.equal(changed.revision, await expectedRevision(s3, 'revisions', (k) => k.endsWith('.yaml')));
    } finally {
      client.close();
    }
  });

  it('downloads the selection below the directory, bounded in size', async () => {
    const client = new BucketClient(connection(s3, 'podinfo'));
    try {
      const index = await client.fetchIndex();
      const dest = path.join(tmp.path, 'download');
      const result = await client.download(index, dest, { maxTotalBytes: 1024 });
      assert.equal(result.revision, index.revision);
      assert.equal(result.bytes, 16 + 14 + 5);
      assert.deepEqual((await readdir(dest, { recursive: true })).sort(), ['deploy', 'deploy/app.yaml', 'deploy/svc.yaml', 'other', 'other/x.yaml']);
      assert.equal(await readFile(path.join(dest, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
      await assert.rejects(client.download(index, path.join(tmp.path, 'small'), { maxTotalBytes: 20 }), rejectsWith('TooLarge'));
      // Listed sizes that lie (an object grown since the listing) are caught while streaming.
      const lying = { ...index, objects: index.objects.map((o) => ({ ...o, size: 1 })) };
      await assert.rejects(client.download(lying, path.join(tmp.path, 'lying'), { maxTotalBytes: 20, concurrency: 1 }), rejectsWith('TooLarge'));
    } finally {
      client.close();
    }
  });

  it('refuses keys that would leave the directory before writing anything', async () => {
    await s3.createBucket('hostile');
    await s3.putObject('hostile', 'ok.yaml', 'ok: 1\n');
    await s3.putObject('hostile', '/abs.yaml', 'abs: 1\n');
    const client = new BucketClient(connection(s3, 'hostile'));
    try {
      const index = await client.fetchIndex();
      assert.ok(index.objects.some((o) => o.key === '/abs.yaml'), 'moto keeps the leading slash');
      const dest = path.join(tmp.path, 'hostile');
      await assert.rejects(client.download(index, dest, { maxTotalBytes: 1024 }), rejectsWith('IllegalPath'));
      await assert.rejects(readdir(dest), { code: 'ENOENT' });
      const crafted = { ...index, objects: [{ key: 'a/../../evil.yaml', etag: 'x', size: 1 }] };
      await assert.rejects(client.download(crafted, dest, { maxTotalBytes: 1024 }), rejectsWith('IllegalPath'));
    } finally {
      client.close();
    }
  });

  it('reports a missing bucket', async () => {
    await assert.rejects(fetchIndex(connection(s3, 'no-such-bucket')), rejectsWith('BucketNotFound'));
  });

  it('reports an unreachable endpoint and a server that never answers', async () => {
    const port = await freePort();
    await assert.rejects(listObjects({ ...connection(s3, 'podinfo'), endpoint: `127.0.0.1:${port}` }), rejectsWith('Unreachable'));
    const proxy = await startTcpProxy(Number(new URL(s3.endpoint).port));
    proxy.setHolding(true);
    try {
      const started = Date.now();
      await assert.rejects(listObjects({ ...connection(s3, 'podinfo'), endpoint: `127.0.0.1:${proxy.port}`, timeoutMs: 500 }), (err: unknown) => {
        rejectsWith('Unreachable')(err);
        assert.match(String(err), /timed out after 500 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 5000);
    } finally {
      await proxy.stop();
    }
  });
});

void describe('Bucket client with TLS and enforced authentication', () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3Server({ enforceAuth: true, tls: true });
    await s3.createBucket('secure');
    await s3.putObject('secure', 'x.yaml', 'x: 1\n');
  });
  after(() => s3.stop());

  it('lists over HTTPS trusting the given CA', async () => {
    assert.deepEqual((await listObjects(connection(s3, 'secure'))).map((o) => o.key), ['x.yaml']);
  });

  it('refuses an endpoint whose certificate is not trusted', async () => {
    await assert.rejects(listObjects(connection(s3, 'secure', { ca: undefined })), rejectsWith('Unreachable'));
  });

  it('reports wrong credentials as AuthenticationFailed without leaking them', async () => {
    const secret = 'not-the-secret-value';
    await assert.rejects(listObjects(connection(s3, 'secure', { secretKey: secret })), rejectsWith('AuthenticationFailed', secret));
    await assert.rejects(
      fetchIndex(connection(s3, 'secure', { accessKey: 'AKIAUNKNOWN000000000', secretKey: secret })),
      rejectsWith('AuthenticationFailed', secret),
    );
  });
});
