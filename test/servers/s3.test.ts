import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpStatusError } from '../tools/http-client.ts';
import { getObject, listBuckets, listObjects } from '../tools/s3-client.ts';
import { startS3Server } from './s3.ts';

void describe('S3 (moto)', () => {
  void test('create a bucket, upload two objects, list them with signed requests', async (t) => {
    const s3 = await startS3Server();
    t.after(() => s3.stop());
    await s3.createBucket('artifacts');
    const etag = await s3.putObject('artifacts', 'deploy/app.yaml', 'kind: ConfigMap\n', 'text/yaml');
    await s3.putObject('artifacts', 'a file+(1).txt', Buffer.from([0, 1, 2, 3]));
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.deepEqual(await listBuckets(s3.access), ['artifacts']);
    const objects = await s3.listObjects('artifacts');
    assert.deepEqual(objects.map((o) => [o.key, o.size]), [['a file+(1).txt', 4], ['deploy/app.yaml', 16]]);
    assert.equal(objects[1]?.etag, etag);
    assert.deepEqual((await s3.listObjects('artifacts', 'deploy/')).map((o) => o.key), ['deploy/app.yaml']);
    assert.equal((await getObject(s3.access, 'artifacts', 'a file+(1).txt')).toString('hex'), '00010203');
  });

  void test('TLS and enforced SigV4 auth: a wrong secret is refused', async (t) => {
    const s3 = await startS3Server({ enforceAuth: true, tls: true });
    t.after(() => s3.stop());
    assert.match(s3.endpoint, /^https:/);
    assert.match(s3.credentials.accessKeyId, /^[A-Z0-9]{16,}$/);
    await s3.createBucket('secure');
    await s3.putObject('secure', 'x.yaml', 'x: 1\n');
    assert.deepEqual((await s3.listObjects('secure')).map((o) => o.key), ['x.yaml']);
    const wrong = { ...s3.access, credentials: { ...s3.credentials, secretAccessKey: 'not-the-secret' } };
    await assert.rejects(listObjects(wrong, 'secure'), (err: unknown) => {
      assert.ok(err instanceof HttpStatusError);
      assert.equal(err.status, 403);
      assert.match(err.body, /SignatureDoesNotMatch/);
      return true;
    });
    const unknown = { ...s3.access, credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } };
    await assert.rejects(listObjects(unknown, 'secure'), /InvalidAccessKeyId|403/);
  });
});
