// The source controller's failure paths on the real control plane against real servers, each
// test with its own namespace and controller so they run side by side: git over HTTPS with a
// custom CA and a bearer token, through an HTTP proxy (proxySecretRef), missing refs, an
// unreachable host, semver tags; a Bucket with
// prefix and ignore rules and refused credentials. Conditions are asserted as Flux writes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGitHttpServer } from '../servers/git-http.ts';
import { startHttpProxy } from '../servers/http-proxy.ts';
import { startS3Server } from '../servers/s3.ts';
import { eventually } from '../tools/eventually.ts';
import { commitFiles, createTag } from '../tools/git-repo.ts';
import { freePort } from '../tools/ports.ts';
import { createTestTls } from '../tools/tls.ts';
import { makeTempDir } from '../tools/tmp.ts';
import { cond, isReady, withEnv, type Src } from './source-harness.ts';

const failedWith = (o: Src) => cond(o, 'FetchFailed')?.status === 'True';

/** FetchFailed and Ready=False with one reason, no artifact, the message matching `message`. */
function assertFetchFailed(o: Src, reason: string, message: RegExp): void {
  assert.equal(cond(o, 'FetchFailed')?.reason, reason, JSON.stringify(o.status?.conditions));
  assert.match(cond(o, 'FetchFailed')?.message ?? '', message);
  assert.equal(cond(o, 'Ready')?.status, 'False');
  assert.equal(cond(o, 'Ready')?.reason, reason);
}

describe('source controller failures', { concurrency: true }, () => {
  it('GitRepository over HTTPS: ca.crt and bearerToken from secretRef; a foreign CA and a wrong token refused', () => withEnv('src-git-tls', async (env) => {
    const token = 'tok-3f9a1c77e2';
    const git = await startGitHttpServer({ tls: true, auth: { type: 'bearer', token } });
    env.defer(() => git.stop());
    const foreign = await makeTempDir('eddy-foreign-ca-');
    env.defer(() => foreign.remove());
    const other = await createTestTls({ dir: foreign.path });
    const url = await git.createRepo('app');
    const sha = await commitFiles(url, { branch: 'main', config: git.gitConfig, files: { 'deploy/app.yaml': 'kind: ConfigMap\n' } });
    const ca = git.tls?.ca.cert ?? '';
    await env.secret('ok', { bearerToken: token, 'ca.crt': ca });
    await env.secret('foreign-ca', { bearerToken: token, 'ca.crt': other.ca.cert });
    await env.secret('wrong-token', { bearerToken: 'tok-wrong-0000', 'ca.crt': ca });
    for (const name of ['ok', 'foreign-ca', 'wrong-token']) {
      await env.create('GitRepository', name, { url, interval: '10m', timeout: '20s', ref: { branch: 'main' }, secretRef: { name } });
    }
    const ok = await env.waitFor('GitRepository', 'ok', isReady, 'Ready');
    assert.equal(ok.status?.artifact?.revision, `main@sha1:${sha}`);
    assert.deepEqual(await env.artifactFiles(ok.status?.artifact), ['deploy/app.yaml']);

    const badCa = await env.waitFor('GitRepository', 'foreign-ca', failedWith, 'FetchFailed');
    assertFetchFailed(badCa, 'GitOperationFailed', /^failed to checkout and determine revision: .*certificate/i);
    assert.equal(badCa.status?.artifact, undefined);
    const badToken = await env.waitFor('GitRepository', 'wrong-token', failedWith, 'FetchFailed');
    assertFetchFailed(badToken, 'GitOperationFailed', /authentication/i);
    assert.equal(badToken.status?.artifact, undefined);
    const notes = JSON.stringify(await env.events('GitRepository'));
    for (const o of [ok, badCa, badToken]) assert.doesNotMatch(JSON.stringify(o.status), /tok-/, 'no token in status');
    assert.doesNotMatch(notes, /tok-/, 'no token in events');
  }));

  it('GitRepository through an HTTP proxy from proxySecretRef; a wrong proxy password fails without showing any password', () => withEnv('src-git-proxy', async (env) => {
    const repoPassword = 'repo-pw-51f0a';
    const [git, proxy] = await Promise.all([
      startGitHttpServer({ auth: { type: 'basic', username: 'bot', password: repoPassword } }),
      startHttpProxy({ auth: { username: 'proxy-user', password: 'prx-pw-8e21c' } }),
    ]);
    env.defer(() => git.stop());
    env.defer(() => proxy.stop());
    const url = await git.createRepo('app');
    const sha = await commitFiles(url, { branch: 'main', config: git.gitConfig, files: { 'deploy/app.yaml': 'kind: ConfigMap\n' } });
    await env.secret('repo', { username: 'bot', password: repoPassword });
    await env.secret('proxy', { address: proxy.url, username: 'proxy-user', password: 'prx-pw-8e21c' });
    await env.secret('proxy-wrong', { address: proxy.url, username: 'proxy-user', password: 'prx-wrong-3b7d' });
    for (const [name, proxySecret] of [['via-proxy', 'proxy'], ['wrong-proxy', 'proxy-wrong']] as const) {
      await env.create('GitRepository', name, { url, interval: '10m', timeout: '20s', ref: { branch: 'main' }, secretRef: { name: 'repo' }, proxySecretRef: { name: proxySecret } });
    }
    const ok = await env.waitFor('GitRepository', 'via-proxy', isReady, 'Ready');
    assert.equal(ok.status?.artifact?.revision, `main@sha1:${sha}`);
    assert.deepEqual(await env.artifactFiles(ok.status?.artifact), ['deploy/app.yaml']);
    const host = new URL(url).host;
    assert.ok(proxy.count(host) > 0, 'fetched through the proxy');
    assert.ok(proxy.log.includes(`POST ${url}/git-upload-pack`), proxy.log.join('\n'));

    const bad = await env.waitFor('GitRepository', 'wrong-proxy', failedWith, 'FetchFailed');
    assertFetchFailed(bad, 'GitOperationFailed', /^failed to checkout and determine revision: proxy authentication failed: .*407/);
    assert.equal(bad.status?.artifact, undefined);
    assert.ok(proxy.refused() > 0);
    const failureEvents = eventually('the failure event', async () => {
      const events = await env.events('GitRepository');
      return events.some((e) => e.type === 'Warning') ? events : undefined;
    });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const leaks = ['prx-', repoPassword, b64('proxy-user:prx-wrong-3b7d'), b64(`bot:${repoPassword}`)];
    const seen = { status: JSON.stringify([ok.status, bad.status]), events: JSON.stringify(await failureEvents) };
    for (const [where, text] of Object.entries(seen)) for (const leak of leaks) assert.ok(!text.includes(leak), `${leak} in ${where}: ${text}`);
  }));

  it('GitRepository refs: semver picks the highest matching tag; a missing branch, tag or semver match and an unreachable host fail clearly', () => withEnv('src-git-refs', async (env) => {
    const git = await startGitHttpServer();
    env.defer(() => git.stop());
    const url = await git.createRepo('refs');
    const commits: Record<string, string> = {};
    // v1.10.0 must win over v1.2.0 (numeric, not lexical); v2.0.0-rc.1 is out of range.
    for (const [tag, annotated] of [['v1.0.0', false], ['v1.2.0', false], ['v1.10.0', true], ['v2.0.0-rc.1', false]] as const) {
      commits[tag] = await commitFiles(url, { branch: 'main', config: git.gitConfig, files: { 'version.txt': `${tag}\n` } });
      await createTag(url, { name: tag, target: 'main', config: git.gitConfig, ...(annotated ? { message: `release ${tag}` } : {}) });
    }
    const dead = await freePort();
    const specs: Record<string, Record<string, unknown>> = {
      semver: { url, ref: { semver: '>=1.0.0 <2.0.0' } },
      'no-branch': { url, ref: { branch: 'does-not-exist' } },
      'no-tag': { url, ref: { tag: 'v9.9.9' } },
      'no-semver-match': { url, ref: { semver: '>=3.0.0' } },
      unreachable: { url: `http://127.0.0.1:${dead}/refs.git`, ref: { branch: 'main' } },
      'no-known-hosts': { url: `ssh://git@127.0.0.1:${dead}/refs.git`, ref: { branch: 'main' }, secretRef: { name: 'ssh-no-known-hosts' } },
    };
    await env.secret('ssh-no-known-hosts', { identity: 'not used' });
    for (const [name, spec] of Object.entries(specs)) await env.create('GitRepository', name, { interval: '10m', timeout: '15s', ...spec });

    const semver = await env.waitFor('GitRepository', 'semver', isReady, 'Ready');
    assert.equal(semver.status?.artifact?.revision, `v1.10.0@sha1:${commits['v1.10.0']}`);
    assert.deepEqual(await env.artifactFiles(semver.status?.artifact), ['version.txt']);
    const expectations: [string, RegExp][] = [
      ['no-branch', /does-not-exist/],
      ['no-tag', /v9\.9\.9/],
      ['no-semver-match', />=3\.0\.0/],
      ['unreachable', /refused|connect|unreachable/i],
    ];
    await Promise.all(expectations.map(async ([name, message]) => {
      const o = await env.waitFor('GitRepository', name, failedWith, 'FetchFailed');
      assertFetchFailed(o, 'GitOperationFailed', message);
      assert.match(cond(o, 'FetchFailed')?.message ?? '', /^failed to checkout and determine revision: /);
      assert.equal(o.status?.artifact, undefined, `${name}: no artifact`);
      assert.equal(cond(o, 'ArtifactInStorage'), undefined);
    }));
    // An unusable Secret fails before any connection: AuthenticationFailed, as Flux.
    const noKnownHosts = await env.waitFor('GitRepository', 'no-known-hosts', failedWith, 'FetchFailed');
    assertFetchFailed(noKnownHosts, 'AuthenticationFailed', /^failed to configure authentication options: .*known_hosts/);
  }));

  it('Bucket: prefix and ignore shape the artifact; refused credentials keep the last artifact served', () => withEnv('src-bucket', async (env) => {
    const s3 = await startS3Server({ enforceAuth: true });
    env.defer(() => s3.stop());
    await s3.createBucket('app');
    const objects: Record<string, string> = {
      'app/deploy/a.yaml': 'a: 1\n', 'app/deploy/b.yaml': 'b: 2\n', 'app/docs/readme.md': '# docs\n',
      'app/deploy/old.bak': 'x\n', 'app/tmp/scratch.yaml': 's: 1\n', 'other/c.yaml': 'c: 3\n',
    };
    for (const [key, body] of Object.entries(objects)) await s3.putObject('app', key, body);
    const { accessKeyId, secretAccessKey } = s3.credentials;
    await env.secret('s3', { accesskey: accessKeyId, secretkey: secretAccessKey });
    await env.create('Bucket', 'app', {
      bucketName: 'app', endpoint: new URL(s3.endpoint).host, insecure: true, interval: '10m', timeout: '20s',
      secretRef: { name: 's3' }, prefix: 'app/', ignore: '*.md\n*.bak\n/app/tmp/\n',
    });
    const first = await env.waitFor('Bucket', 'app', isReady, 'Ready');
    assert.deepEqual(await env.artifactFiles(first.status?.artifact), ['app/deploy/a.yaml', 'app/deploy/b.yaml']);
    assert.equal(first.status?.['observedIgnore'], '*.md\n*.bak\n/app/tmp/\n');

    // The server refuses the key: BucketOperationFailed (Flux keeps AuthenticationFailed for an
    // unusable Secret), the artifact stays in status and stays downloadable.
    const wrong = 'wrongSecretKey0000000000000000000000000000';
    await env.secret('s3', { accesskey: accessKeyId, secretkey: wrong });
    await env.requestReconcile('Bucket', 'app', 'b1');
    const failed = await env.waitFor('Bucket', 'app', (o) => o.status?.lastHandledReconcileAt === 'b1' && failedWith(o), 'FetchFailed');
    assertFetchFailed(failed, 'BucketOperationFailed', /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|signature/i);
    assert.deepEqual(failed.status?.artifact, first.status?.artifact, 'the last artifact stays');
    assert.deepEqual(await env.artifactFiles(failed.status?.artifact), ['app/deploy/a.yaml', 'app/deploy/b.yaml']);
    // The generated key may hold `+` or `/`: escaped, or the pattern itself would not compile.
    const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const leaks = new RegExp(`${escape(wrong)}|${escape(secretAccessKey)}`);
    assert.doesNotMatch(JSON.stringify(failed.status), leaks, 'no secret key in status');
    assert.doesNotMatch(JSON.stringify(await env.events('Bucket', 'app')), leaks, 'no secret key in events');

    // Missing Secret: AuthenticationFailed, as Flux.
    await env.create('Bucket', 'no-secret', { bucketName: 'app', endpoint: new URL(s3.endpoint).host, insecure: true, interval: '10m', secretRef: { name: 'missing' } });
    const noSecret = await env.waitFor('Bucket', 'no-secret', failedWith, 'FetchFailed');
    assertFetchFailed(noSecret, 'AuthenticationFailed', /missing/);

    await env.secret('s3', { accesskey: accessKeyId, secretkey: secretAccessKey });
    const back = await env.waitFor('Bucket', 'app', (o) => isReady(o) && !cond(o, 'FetchFailed'), 'recovered');
    assert.equal(back.status?.artifact?.revision, first.status?.artifact?.revision);
  }));
});
