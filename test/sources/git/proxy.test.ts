// The git client through a forward HTTP proxy, as a GitRepository's spec.proxySecretRef asks
// (`address`, `username`, `password`): plain http forwarded by the proxy, https tunnelled with
// CONNECT (TLS stays end to end), submodules too; a refused proxy password is a clear error that
// names no credential. The test process carries proxy variables pointing nowhere and a
// NO_PROXY of `*`: git must see neither, only the configured proxy.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { authFromSecret, checkout, listRemoteRefs } from '../../../src/sources/git/index.ts';
import type { GitAuth, GitError } from '../../../src/sources/git/index.ts';
import { startGitHttpServer } from '../../servers/git-http.ts';
import type { GitHttpServer } from '../../servers/git-http.ts';
import { startHttpProxy } from '../../servers/http-proxy.ts';
import type { HttpProxy } from '../../servers/http-proxy.ts';
import { commitFiles } from '../../tools/git-repo.ts';
import { freePort } from '../../tools/ports.ts';
import { makeTempDir } from '../../tools/tmp.ts';
import type { TempDir } from '../../tools/tmp.ts';
import { bareGit, dirFactory, expectGitError, writeObject } from './helpers.ts';

const REPO_USER = 'bot';
const REPO_PASSWORD = 'repo-pa55-9c1e';
const PROXY_USER = 'proxy-bot';
const PROXY_PASSWORD = 'proxy-pa55-7d2b';
const WRONG_PROXY_PASSWORD = 'wrong-pr0xy-4a6f';
const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];

let basic: GitHttpServer;
let tls: GitHttpServer;
let proxy: HttpProxy;
let work: TempDir;
let nextDir: () => string;
const saved: Record<string, string | undefined> = {};
const sha: Record<string, string> = {};

before(async () => {
  work = await makeTempDir('eddy-git-proxy-');
  nextDir = dirFactory(work.path);
  [basic, tls, proxy] = await Promise.all([
    startGitHttpServer({ auth: { type: 'basic', username: REPO_USER, password: REPO_PASSWORD } }),
    startGitHttpServer({ tls: true }),
    startHttpProxy({ auth: { username: PROXY_USER, password: PROXY_PASSWORD } }),
  ]);
  sha.basic = await commitFiles(await basic.createRepo('repo'), { files: { 'app.yaml': 'basic\n' }, config: basic.gitConfig });
  sha.tls = await commitFiles(await tls.createRepo('repo'), { files: { 'app.yaml': 'tls\n' }, config: tls.gitConfig });
  // Set after the fixtures are pushed (the test tools' git inherits this environment).
  const dead = `http://127.0.0.1:${String(await freePort())}`;
  for (const name of PROXY_VARS) {
    saved[name] = process.env[name];
    process.env[name] = /no_proxy/i.test(name) ? '*' : dead;
  }
});
after(async () => {
  for (const name of PROXY_VARS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await Promise.all([basic.stop(), tls.stop(), proxy.stop()]);
  await work.remove();
});

function proxied(url: string, secret: Record<string, string>, password = PROXY_PASSWORD): GitAuth {
  return authFromSecret(url, secret, { address: proxy.url, username: PROXY_USER, password });
}

/** No password of the repository or the proxy, plain or as a Basic token, in the message. */
function assertNoCredentials(err: GitError): void {
  const basicToken = (user: string, pw: string) => Buffer.from(`${user}:${pw}`).toString('base64');
  const leaks = [REPO_PASSWORD, PROXY_PASSWORD, WRONG_PROXY_PASSWORD, basicToken(REPO_USER, REPO_PASSWORD), basicToken(PROXY_USER, WRONG_PROXY_PASSWORD)];
  for (const leak of leaks) assert.ok(!err.message.includes(leak), `${leak} in ${err.message}`);
}

void test('plain http: ls-remote and checkout go through the proxy, with proxy and repository credentials', async () => {
  const url = basic.repoUrl('repo');
  const host = new URL(url).host;
  const auth = proxied(url, { username: REPO_USER, password: REPO_PASSWORD });
  const start = proxy.count(host);
  const refs = await listRemoteRefs({ url, auth });
  assert.equal(refs.get('refs/heads/main'), sha.basic);
  const afterLsRemote = proxy.count(host);
  assert.ok(afterLsRemote > start, 'ls-remote went through the proxy');

  const dir = nextDir();
  const result = await checkout({ url, dir, ref: { branch: 'main' }, auth });
  assert.equal(result.revision, `main@sha1:${sha.basic}`);
  assert.equal(await fs.readFile(path.join(dir, 'app.yaml'), 'utf8'), 'basic\n');
  assert.ok(proxy.count(host) > afterLsRemote, 'checkout went through the proxy');
  // The pack itself came through the proxy: a POST body one way, the pack the other.
  assert.ok(proxy.log.includes(`POST ${url}/git-upload-pack`), proxy.log.join('\n'));

  // Without proxySecretRef git goes direct, the inherited (dead) proxy variables ignored.
  const untouched = proxy.count(host);
  const direct = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, auth: authFromSecret(url, { username: REPO_USER, password: REPO_PASSWORD }) });
  assert.equal(direct.revision, `main@sha1:${sha.basic}`);
  assert.equal(proxy.count(host), untouched);
});

void test('a wrong or missing proxy password is ProxyAuthenticationFailed and names no credential', async () => {
  const url = basic.repoUrl('repo');
  const refused = proxy.refused();
  const wrong = proxied(url, { username: REPO_USER, password: REPO_PASSWORD }, WRONG_PROXY_PASSWORD);
  const lsErr = await expectGitError(listRemoteRefs({ url, auth: wrong }), 'ProxyAuthenticationFailed');
  assertNoCredentials(lsErr);
  assert.match(lsErr.message, /407/);
  assertNoCredentials(await expectGitError(checkout({ url, dir: nextDir(), auth: wrong }), 'ProxyAuthenticationFailed'));
  // No credentials at all: the proxy's challenge is the answer.
  const anonymous = authFromSecret(url, { username: REPO_USER, password: REPO_PASSWORD }, { address: proxy.url });
  assertNoCredentials(await expectGitError(listRemoteRefs({ url, auth: anonymous }), 'ProxyAuthenticationFailed'));
  assert.ok(proxy.refused() > refused, 'the proxy refused the requests');

  // https: the 407 answers the CONNECT.
  const tlsUrl = tls.repoUrl('repo');
  const tlsErr = await expectGitError(listRemoteRefs({ url: tlsUrl, auth: proxied(tlsUrl, { 'ca.crt': tls.tls?.ca.cert ?? '' }, WRONG_PROXY_PASSWORD) }), 'ProxyAuthenticationFailed');
  assertNoCredentials(tlsErr);
});

void test('https is tunnelled with CONNECT: the CA from ca.crt verifies the git server end to end', async () => {
  const url = tls.repoUrl('repo');
  const host = new URL(url).host;
  const ca = tls.tls?.ca.cert ?? '';
  const start = proxy.count(host);
  const dir = nextDir();
  const result = await checkout({ url, dir, ref: { branch: 'main' }, auth: proxied(url, { 'ca.crt': ca }) });
  assert.equal(result.revision, `main@sha1:${sha.tls}`);
  assert.equal(await fs.readFile(path.join(dir, 'app.yaml'), 'utf8'), 'tls\n');
  assert.ok(proxy.count(host) > start, 'tunnelled through the proxy');
  assert.ok(proxy.log.includes(`CONNECT ${host}`));
  // The proxy only tunnels: without the CA the git server's certificate is still refused.
  await expectGitError(listRemoteRefs({ url, auth: proxied(url, {}) }), 'TlsVerificationFailed');
});

void test('submodules are fetched through the proxy too', async () => {
  const libUrl = await basic.createRepo('lib');
  const libCommit = await commitFiles(libUrl, { files: { 'lib.yaml': 'lib: true\n' }, config: basic.gitConfig });
  await basic.createRepo('app');
  const modulesBlob = await writeObject(basic.reposDir, 'app', 'blob', `[submodule "lib"]\n\tpath = vendor/lib\n\turl = ${libUrl}\n`);
  const vendor = await bareGit(basic.reposDir, 'app', ['mktree'], `160000 commit ${libCommit}\tlib\n`);
  const tree = await bareGit(basic.reposDir, 'app', ['mktree'], `100644 blob ${modulesBlob}\t.gitmodules\n040000 tree ${vendor}\tvendor\n`);
  const commit = await bareGit(basic.reposDir, 'app', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit-tree', tree, '-m', 'with submodule']);
  await bareGit(basic.reposDir, 'app', ['update-ref', 'refs/heads/main', commit]);

  const url = basic.repoUrl('app');
  const dir = nextDir();
  await checkout({ url, dir, ref: { branch: 'main' }, recurseSubmodules: true, auth: proxied(url, { username: REPO_USER, password: REPO_PASSWORD }) });
  assert.equal(await fs.readFile(path.join(dir, 'vendor', 'lib', 'lib.yaml'), 'utf8'), 'lib: true\n');
  assert.ok(proxy.log.includes(`POST ${libUrl}/git-upload-pack`), proxy.log.join('\n'));
});
