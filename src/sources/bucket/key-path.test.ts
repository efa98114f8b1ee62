import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseEndpoint } from './endpoint.ts';
import { IllegalPath, InvalidEndpoint } from './errors.ts';
import { keyToPath } from './key-path.ts';

void describe('object key -> path', () => {
  const dest = path.resolve('/tmp/dest');

  it('maps keys to paths below the directory', () => {
    assert.equal(keyToPath(dest, 'deploy/app.yaml'), path.join(dest, 'deploy', 'app.yaml'));
    assert.equal(keyToPath(dest, 'a//b/./c.txt'), path.join(dest, 'a', 'b', 'c.txt'));
    assert.equal(keyToPath(dest, '..foo/bar..'), path.join(dest, '..foo', 'bar..'));
  });

  for (const key of ['../x', 'a/../../x', 'a/..', '/etc/passwd', '\\x', 'a\\..\\..\\x', 'C:/x', '', 'a\0b', 'dir/', '.', './']) {
    it(`refuses ${JSON.stringify(key)}`, () => {
      assert.throws(() => keyToPath(dest, key), (err: unknown) => err instanceof IllegalPath && err.reason === 'IllegalPath');
    });
  }
});

void describe('endpoint', () => {
  it('parses host[:port] and bracketed IPv6', () => {
    assert.deepEqual(parseEndpoint('minio.minio.svc:9000'), { host: 'minio.minio.svc', port: 9000 });
    assert.deepEqual(parseEndpoint('s3.amazonaws.com'), { host: 's3.amazonaws.com' });
    assert.deepEqual(parseEndpoint('[::1]:9000'), { host: '::1', port: 9000 });
  });

  for (const bad of ['http://127.0.0.1:9000', 'host:0', 'host:99999', 'a b', 'host/path', '']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseEndpoint(bad), InvalidEndpoint);
    });
  }
});
