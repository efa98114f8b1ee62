import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIndex, indexRevision, trimEtag } from './index-digest.ts';

// Expected digests computed with `printf … | sha256sum`, independent of this code.
void describe('Bucket index revision (Flux internal/index)', () => {
  it('hashes "<key> <etag>\\n" lines in key order, like Flux Digester', () => {
    const index = new Map([['foo', 'bar'], ['bar', 'baz']]);
    assert.equal(formatIndex(index), 'bar baz\nfoo bar\n');
    assert.equal(indexRevision(index), 'sha256:5da7dfe37b54ea1d5ebffb643d67b09d888635b2fe031763fbb856ea5290fda0');
  });

  it('an empty index is the digest of nothing', () => {
    assert.equal(indexRevision(new Map()), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('orders keys bytewise in UTF-8 (Go sort.Strings), not by UTF-16 code units', () => {
    const index = new Map([['\u{1F600}', '2'], ['deploy/app.yaml', '0123'], ['\uFF41', '1']]);
    assert.equal(formatIndex(index), 'deploy/app.yaml 0123\n\uFF41 1\n\u{1F600} 2\n');
    assert.equal(indexRevision(index), 'sha256:fc4721ae70c9dede18c8eb8f71608aafa230f0a8fa2f2d91ae65b7dac85601a2');
  });

  it('trims quotes from ETags as minio-go does', () => {
    assert.equal(trimEtag('"abc-2"'), 'abc-2');
    assert.equal(trimEtag('&quot;abc&quot;'), 'abc');
    assert.equal(trimEtag('abc'), 'abc');
  });
});
