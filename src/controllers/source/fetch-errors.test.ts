// The condition reasons the source kinds give fetch failures, as Flux's source-controller does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArtifactError } from '../../artifact/errors.ts';
import { GitError } from '../../sources/git/index.ts';
import { OciError } from '../../sources/oci/index.ts';
import { gitFetchError } from './gitrepository.ts';
import { layerFetchError, ociFetchError } from './ocirepository.ts';

void test('git: an unusable Secret is AuthenticationFailed, whatever the server refuses is GitOperationFailed', () => {
  const cases: [GitError, string, RegExp, boolean][] = [
    [new GitError('InvalidSecret', "'identity' is required"), 'AuthenticationFailed', /^failed to configure authentication options: /, false],
    [new GitError('MissingKnownHosts', 'no known_hosts'), 'AuthenticationFailed', /^failed to configure authentication options: /, false],
    [new GitError('AuthenticationFailed', "could not read Username for 'https://h'"), 'GitOperationFailed', /^failed to checkout and determine revision: authentication failed: could not read/, false],
    [new GitError('TlsVerificationFailed', 'SSL certificate problem'), 'GitOperationFailed', /TLS certificate verification failed: SSL/, false],
    [new GitError('HostKeyVerificationFailed', 'Host key verification failed.'), 'GitOperationFailed', /SSH host key verification failed/, false],
    [new GitError('RefNotFound', "couldn't find remote ref refs/heads/x"), 'GitOperationFailed', /reference not found: couldn't/, false],
    [new GitError('GitCommandFailed', 'odd'), 'GitOperationFailed', /^failed to checkout and determine revision: odd$/, false],
    [new GitError('InvalidUrl', 'unsupported git URL scheme'), 'URLInvalid', /unsupported/, true],
  ];
  for (const [err, reason, message, stalling] of cases) {
    const fe = gitFetchError(err);
    assert.equal(fe.reason, reason, err.reason);
    assert.match(fe.message, message);
    assert.equal(fe.stalling, stalling, err.reason);
    assert.equal(fe.cause, err);
  }
  assert.equal(gitFetchError(new Error('boom')).reason, 'GitOperationFailed');
});

void test('oci: credentials the registry refuses are OCIArtifactPullFailed, semver listing ReadOperationFailed, config AuthenticationFailed', () => {
  const unauthorized = new OciError('Unauthorized', 'GET /v2/app/manifests/v1: 401', { status: 401 });
  assert.equal(ociFetchError(unauthorized, 'pull').reason, 'OCIArtifactPullFailed');
  assert.match(ociFetchError(unauthorized, 'pull').message, /^failed to pull artifact: .*401/);
  assert.equal(ociFetchError(unauthorized, 'tag').reason, 'ReadOperationFailed');
  assert.equal(ociFetchError(new OciError('TooManyRequests', '429'), 'pull').reason, 'OCIArtifactPullFailed');
  assert.equal(ociFetchError(new OciError('InvalidCredentials', 'bad .dockerconfigjson'), 'pull').reason, 'AuthenticationFailed');
  assert.equal(ociFetchError(new OciError('InvalidCredentials', 'bad .dockerconfigjson'), 'config').stalling, false, 'a fixed Secret must be picked up');
  assert.equal(ociFetchError(new Error('bad PEM'), 'config').reason, 'AuthenticationFailed');
  const url = ociFetchError(new OciError('InvalidUrl', 'URL must start with oci://'), 'config');
  assert.deepEqual([url.reason, url.stalling], ['URLInvalid', true]);
  assert.equal(ociFetchError(new OciError('InvalidReference', "semver 'x' parse error"), 'tag').stalling, true);
});

void test('oci: a layer that does not extract is OCIArtifactLayerOperationFailed; the blob\'s own failures stay OCIArtifactPullFailed', () => {
  const extract = layerFetchError(new ArtifactError('IllegalLink', "symlink 'a' points outside the destination ('../x')"));
  assert.deepEqual([extract.reason, extract.message], ['OCIArtifactLayerOperationFailed', "failed to extract layer contents from artifact: symlink 'a' points outside the destination ('../x')"]);
  const notGzip = layerFetchError(new OciError('InvalidLayer', 'layer sha256:ab is not gzip-compressed'));
  assert.deepEqual([notGzip.reason, notGzip.message], ['OCIArtifactPullFailed', 'failed to pull artifact: layer sha256:ab is not gzip-compressed']);
  assert.equal(layerFetchError(new OciError('DigestMismatch', 'content has digest sha256:cd')).reason, 'OCIArtifactPullFailed');
});
