import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyError, scrubber } from './failures.ts';
import { ignoreRules } from './ignore-rules.ts';

void describe('Bucket ignore rules', () => {
  it('applies .sourceignore, then spec.ignore (which can re-include)', () => {
    const rules = ignoreRules('# comment\n*.md\nsecrets/\n', '!README.md\n*.tmp\n');
    assert.equal(rules.ignores('docs/guide.md'), true);
    assert.equal(rules.ignores('README.md'), false, 'spec.ignore comes last and wins');
    assert.equal(rules.ignores('secrets/key.yaml'), true, 'a directory pattern covers the keys below it');
    assert.equal(rules.ignores('x.tmp'), true);
    assert.equal(rules.ignores('deploy/app.yaml'), false);
  });

  it('always leaves out directory placeholders and the root .sourceignore, nothing else by default', () => {
    const rules = ignoreRules(undefined, undefined);
    assert.equal(rules.ignores('dir/'), true);
    assert.equal(rules.ignores('.sourceignore'), true);
    assert.equal(rules.ignores('sub/.sourceignore'), false);
    assert.equal(rules.ignores('.git/config'), false, 'no VCS defaults for buckets');
  });

  it('does not throw on hostile keys (the path check refuses them later)', () => {
    const rules = ignoreRules('*.md', undefined);
    assert.equal(rules.ignores('../x.yaml'), false);
    assert.equal(rules.ignores('/abs.yaml'), false);
  });
});

void describe('error classification', () => {
  const scrub = scrubber(['AKIAEXAMPLE', 'sup3rsecret', undefined]);

  it('maps S3 and socket codes to typed reasons without credentials', () => {
    const auth = classifyError(Object.assign(new Error('key AKIAEXAMPLE / sup3rsecret rejected'), { code: 'SignatureDoesNotMatch' }), 'list', scrub);
    assert.equal(auth.reason, 'AuthenticationFailed');
    assert.doesNotMatch(`${auth.message} ${String((auth.cause as Error).message)}`, /AKIAEXAMPLE|sup3rsecret/);
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'NoSuchBucket' }), "list in bucket 'b'", scrub).reason, 'BucketNotFound');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'list', scrub).reason, 'Unreachable');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'list', scrub).reason, 'Unreachable');
    assert.equal(classifyError(new Error('odd'), 'list', scrub).reason, 'BucketOperationFailed');
  });
});
