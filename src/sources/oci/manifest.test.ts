import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { isOciError } from './errors.ts';
import { nextLink } from './http.ts';
import { MediaTypes, parseManifest, selectPlatformChild } from './manifest.ts';
import type { ImageIndex } from './manifest.ts';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from './retry.ts';
import { checkPayload, loadPublicKeys, signatureTag } from './verify.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, extra: object = {}) => ({ mediaType: 'application/octet-stream', digest: d(c), size: 1, ...extra });
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

void describe('parseManifest', () => {
  void test('OCI and Docker image manifests, by header or by the body', () => {
    const body = { schemaVersion: 2, config: desc('a'), layers: [desc('b')], annotations: { x: 'y' } };
    const m = parseManifest(json(body), `${MediaTypes.ociManifest}; charset=utf-8`);
    assert.equal(m.kind, 'manifest');
    assert.equal(m.mediaType, MediaTypes.ociManifest);
    assert.equal(parseManifest(json({ ...body, mediaType: MediaTypes.dockerManifest }), 'application/json').mediaType, MediaTypes.dockerManifest);
  });
  void test('indexes and manifest lists', () => {
    const m = parseManifest(json({ schemaVersion: 2, manifests: [desc('a')] }), MediaTypes.dockerManifestList);
    assert.equal(m.kind, 'index');
  });
  void test('rejects malformed manifests', () => {
    const bad: [unknown, string | undefined][] = [
      ['not json', undefined],
      [{ schemaVersion: 1, layers: [] }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, config: desc('a') }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, config: desc('a'), layers: [{ ...desc('b'), digest: 'sha512:abc' }] }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, config: desc('a'), layers: [{ ...desc('b'), size: -1 }] }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, mediaType: MediaTypes.ociIndex, config: desc('a'), layers: [] }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, config: desc('a'), layers: [], annotations: { n: 1 } }, MediaTypes.ociManifest],
      [{ schemaVersion: 2, mediaType: 'application/vnd.foo', config: desc('a'), layers: [] }, undefined],
    ];
    for (const [body, type] of bad) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : json(body);
      assert.throws(() => parseManifest(bytes, type), (e: unknown) => isOciError(e, 'InvalidManifest'), JSON.stringify(body));
    }
  });
  void test('platform child: linux/amd64, a child without platform counts as linux/amd64', () => {
    const index = (manifests: object[]): ImageIndex => ({ kind: 'index', mediaType: MediaTypes.ociIndex, annotations: {}, manifests: manifests as never });
    const arm = desc('1', { platform: { os: 'linux', architecture: 'arm64' } });
    const amd = desc('2', { platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } });
    assert.equal(selectPlatformChild(index([arm, amd])).digest, d('2'));
    assert.equal(selectPlatformChild(index([arm, desc('3')])).digest, d('3'));
    assert.equal(selectPlatformChild(index([arm, amd]), { os: 'linux', architecture: 'arm64' }).digest, d('1'));
    assert.throws(() => selectPlatformChild(index([arm])), (e: unknown) => isOciError(e, 'InvalidManifest'));
  });
});

void describe('HTTP helpers', () => {
  void test('Link rel="next"', () => {
    const base = new URL('http://r.io/v2/a/tags/list?n=2');
    assert.equal(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"', base)?.href, 'http://r.io/v2/a/tags/list?last=b&n=2');
    assert.equal(nextLink('<http://r.io/x>; rel=prev, <http://r.io/y>; rel=next', base)?.href, 'http://r.io/y');
    assert.equal(nextLink(undefined, base), undefined);
    assert.equal(nextLink('</x>; rel="nextish"', base), undefined);
  });
  void test('Retry-After and backoff', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(backoffDelay(1, DEFAULT_RETRY, () => 0), 125);
    assert.equal(backoffDelay(3, DEFAULT_RETRY, () => 1), 1000);
    assert.equal(backoffDelay(30, DEFAULT_RETRY, () => 1), DEFAULT_RETRY.maxDelayMs);
  });
});

void describe('cosign payload checks', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const payload = (digest: string, type = 'cosign container image signature') =>
    json({ critical: { identity: { 'docker-reference': 'r.io/a' }, image: { 'docker-manifest-digest': digest }, type }, optional: null });
  const keys = loadPublicKeys([pem]);
  void test('valid signature over the right digest', () => {
    const p = payload(d('a'));
    const result = checkPayload(p, sign('sha256', p, privateKey).toString('base64'), keys, d('a'));
    assert.deepEqual(result, { ok: true, keyIndex: 0, dockerReference: 'r.io/a' });
  });
  void test('wrong digest, wrong key, tampered payload, wrong type', () => {
    const p = payload(d('a'));
    const sig = sign('sha256', p, privateKey).toString('base64');
    assert.deepEqual(checkPayload(p, sig, keys, d('b')), { ok: false, why: 'DigestMismatch' });
    const other = loadPublicKeys([generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' })]);
    assert.deepEqual(checkPayload(p, sig, other, d('a')), { ok: false, why: 'InvalidSignature' });
    assert.deepEqual(checkPayload(payload(d('c')), sig, keys, d('c')), { ok: false, why: 'InvalidSignature' });
    const wrongType = payload(d('a'), 'something else');
    assert.deepEqual(checkPayload(wrongType, sign('sha256', wrongType, privateKey).toString('base64'), keys, d('a')), { ok: false, why: 'InvalidSignature' });
    assert.deepEqual(checkPayload(p, 'not base64 !!', keys, d('a')), { ok: false, why: 'InvalidSignature' });
  });
  void test('keys and tags', () => {
    assert.throws(() => loadPublicKeys([]), (e: unknown) => isOciError(e, 'InvalidKey'));
    assert.throws(() => loadPublicKeys(['-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n']), (e: unknown) => isOciError(e, 'InvalidKey'));
    assert.equal(signatureTag(d('f')), `sha256-${'f'.repeat(64)}.sig`);
  });
});
