import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOciError } from './errors.ts';
import { parseImageReference, parseOciUrl } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

void describe('parseOciUrl', () => {
  const ok: [string, string, string][] = [
    ['oci://ghcr.io/stefanprodan/manifests/podinfo', 'ghcr.io', 'stefanprodan/manifests/podinfo'],
    ['oci://127.0.0.1:5000/app', '127.0.0.1:5000', 'app'],
    ['oci://localhost/a/b', 'localhost', 'a/b'],
    ['oci://GHCR.IO/org/repo', 'ghcr.io', 'org/repo'],
    ['oci://docker.io/stefanprodan/podinfo', 'index.docker.io', 'stefanprodan/podinfo'],
    ['oci://docker.io/alpine', 'index.docker.io', 'library/alpine'],
    ['oci://stefanprodan/podinfo', 'index.docker.io', 'stefanprodan/podinfo'],
    ['oci://podinfo', 'index.docker.io', 'library/podinfo'],
    ['oci://[::1]:5000/x/y_z/a__b/c-d/e.f', '[::1]:5000', 'x/y_z/a__b/c-d/e.f'],
  ];
  for (const [url, host, repository] of ok) {
    void test(`accepts ${url}`, () => assert.deepEqual(parseOciUrl(url), { host, repository }));
  }
  const bad: [string, RegExp][] = [
    ['https://ghcr.io/org/repo', /oci:\/\//],
    ['oci://ghcr.io/org/repo:v1', /must not contain a tag; remove ':v1'/],
    ['oci://ghcr.io/org/repo@' + D, /must not contain a digest/],
    ['oci://ghcr.io/org/Repo', /lower-case/],
    ['oci://ghcr.io/', /no repository path/],
    ['oci://ghcr.io', /no repository path/],
    ['oci://ghcr.io/org//repo', /invalid repository path/],
    ['oci://ghcr.io/org/-repo', /invalid repository path/],
    ['oci://gh_cr.io/org', /invalid registry host/],
    ['oci://ghcr.io:99999/org', /invalid registry host/],
    ['oci://ghcr.io/org/repo?x=1', /invalid repository name/],
    ['oci://', /invalid repository name/],
  ];
  for (const [url, message] of bad) {
    void test(`rejects ${url}`, () => {
      assert.throws(() => parseOciUrl(url), (err: unknown) => isOciError(err, 'InvalidUrl') && message.test(err.message));
    });
  }
  void test('never echoes user info', () => {
    assert.throws(
      () => parseOciUrl('oci://user:s3cret@ghcr.io/org/repo'),
      (err: unknown) => isOciError(err, 'InvalidUrl') && !err.message.includes('s3cret'),
    );
  });
});

void describe('parseImageReference', () => {
  void test('host, path, tag and digest', () => {
    assert.deepEqual(parseImageReference('127.0.0.1:5000/a/b:v1.0'), { host: '127.0.0.1:5000', repository: 'a/b', tag: 'v1.0', digest: undefined });
    assert.deepEqual(parseImageReference(`ghcr.io/a@${D}`), { host: 'ghcr.io', repository: 'a', tag: undefined, digest: D });
    assert.deepEqual(parseImageReference(`ghcr.io/a:t@${D}`), { host: 'ghcr.io', repository: 'a', tag: 't', digest: D });
    assert.deepEqual(parseImageReference('alpine:3'), { host: 'index.docker.io', repository: 'library/alpine', tag: '3', digest: undefined });
    assert.deepEqual(parseImageReference('localhost:5000/x'), { host: 'localhost:5000', repository: 'x', tag: undefined, digest: undefined });
  });
  void test('rejects bad tags and digests', () => {
    assert.throws(() => parseImageReference('ghcr.io/a:-x'), (e: unknown) => isOciError(e, 'InvalidReference'));
    assert.throws(() => parseImageReference('ghcr.io/a:' + 'x'.repeat(129)), (e: unknown) => isOciError(e, 'InvalidReference'));
    assert.throws(() => parseImageReference('ghcr.io/a@sha256:abc'), (e: unknown) => isOciError(e, 'InvalidReference'));
    assert.throws(() => parseImageReference('ghcr.io/a@md5:' + 'a'.repeat(32)), (e: unknown) => isOciError(e, 'InvalidReference'));
  });
});
