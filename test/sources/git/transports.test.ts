// The git client's transports and failures against real servers: HTTP basic and bearer auth,
// HTTPS with a private CA, SSH with strict known_hosts (plain and encrypted keys), wrong
// credentials, closed ports, hanging servers, and credentials scrubbed from every error.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { authFromSecret, checkout, listRemoteRefs } from '../../../src/sources/git/index.ts';
import { startGitHttpServer } from '../../servers/git-http.ts';
import type { GitHttpServer } from '../../servers/git-http.ts';
import { startGitSshServer } from '../../servers/git-ssh.ts';
import type { GitSshServer } from '../../servers/git-ssh.ts';
import { run } from '../../tools/exec.ts';
import { commitFiles } from '../../tools/git-repo.ts';
import { freePort } from '../../tools/ports.ts';
import { makeTempDir } from '../../tools/tmp.ts';
import type { TempDir } from '../../tools/tmp.ts';
import { dirFactory, expectGitError } from './helpers.ts';

const PASSWORD = 'b4sic-secret-pw';
const TOKEN = 'bearer-t0ken-abcdef';
let basic: GitHttpServer;
let bearer: GitHttpServer;
let tls: GitHttpServer;
let ssh: GitSshServer;
let work: TempDir;
let nextDir: () => string;
const sha: Record<string, string> = {};

before(async () => {
  work = await makeTempDir('eddy-git-transport-');
  nextDir = dirFactory(work.path);
  [basic, bearer, tls] = await Promise.all([
    startGitHttpServer({ auth: { type: 'basic', username: 'bot', password: PASSWORD } }),
    startGitHttpServer({ auth: { type: 'bearer', token: TOKEN } }),
    startGitHttpServer({ tls: true }),
  ]);
  ssh = await startGitSshServer({ reposDir: tls.reposDir });
  const servers: Array<[string, GitHttpServer]> = [['basic', basic], ['bearer', bearer], ['tls', tls]];
  await Promise.all(
    servers.map(async ([name, server]) => {
      const url = await server.createRepo('repo');
      sha[name] = await commitFiles(url, { files: { 'app.yaml': `${name}\n` }, config: server.gitConfig });
    }),
  );
});
after(async () => {
  await ssh.stop();
  await Promise.all([basic.stop(), bearer.stop(), tls.stop()]);
  await work.remove();
});

void test('HTTP basic auth from a Secret; a wrong password is AuthenticationFailed and never shown', async () => {
  const url = basic.repoUrl('repo');
  const auth = authFromSecret(url, { username: 'bot', password: PASSWORD });
  const result = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, auth });
  assert.equal(result.revision, `main@sha1:${sha.basic}`);
  const err = await expectGitError(checkout({ url, dir: nextDir(), auth: authFromSecret(url, { username: 'bot', password: 'wr0ng-password' }) }), 'AuthenticationFailed');
  assert.ok(!err.message.includes('wr0ng-password'), err.message);
  await expectGitError(listRemoteRefs({ url }), 'AuthenticationFailed');
  // Credentials typed into the URL work too, and leave the URL git sees.
  const inUrl = await listRemoteRefs({ url: basic.repoUrlWithCredentials('repo') });
  assert.equal(inUrl.get('refs/heads/main'), sha.basic);
});

void test('bearer token auth; a wrong token is AuthenticationFailed', async () => {
  const url = bearer.repoUrl('repo');
  const result = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, auth: authFromSecret(url, { bearerToken: TOKEN }) });
  assert.equal(result.revision, `main@sha1:${sha.bearer}`);
  const err = await expectGitError(checkout({ url, dir: nextDir(), auth: authFromSecret(url, { bearerToken: 'not-the-t0ken' }) }), 'AuthenticationFailed');
  assert.ok(!err.message.includes('not-the-t0ken'));
});

void test('HTTPS with the CA from ca.crt; without it the certificate is refused', async () => {
  const url = tls.repoUrl('repo');
  assert.match(url, /^https:/);
  const result = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, auth: authFromSecret(url, { 'ca.crt': tls.tls?.ca.cert ?? '' }) });
  assert.equal(result.revision, `main@sha1:${sha.tls}`);
  // The machine's GIT_SSL_CAINFO (system bundle) must not leak in: without ca.crt, no trust.
  await expectGitError(checkout({ url, dir: nextDir(), ref: { branch: 'main' } }), 'TlsVerificationFailed');
});

void test('SSH with known_hosts: plain and passphrase-protected keys; wrong host key and unknown client key refused', async () => {
  const url = ssh.repoUrl('repo');
  const ok = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, auth: authFromSecret(url, { identity: ssh.clientKeys.ed25519.privateKey, known_hosts: ssh.knownHosts }) });
  assert.equal(ok.revision, `main@sha1:${sha.tls}`);
  const enc = ssh.clientKeys.ed25519Passphrase;
  const refs = await listRemoteRefs({ url, auth: authFromSecret(url, { identity: enc.privateKey, password: enc.passphrase ?? '', known_hosts: ssh.knownHosts }) });
  assert.equal(refs.get('refs/heads/main'), sha.tls);
  const badPass = await expectGitError(listRemoteRefs({ url, auth: authFromSecret(url, { identity: enc.privateKey, password: 'n0t-the-passphrase', known_hosts: ssh.knownHosts }) }), 'InvalidSecret');
  assert.ok(!badPass.message.includes('n0t-the-passphrase'));

  const other = path.join(work.path, 'other_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const otherPub = (await fs.readFile(`${other}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  const wrongHosts = `[127.0.0.1]:${String(ssh.port)} ${otherPub}\n`;
  const hostErr = await expectGitError(
    listRemoteRefs({ url, auth: authFromSecret(url, { identity: ssh.clientKeys.ed25519.privateKey, known_hosts: wrongHosts }) }),
    'HostKeyVerificationFailed',
  );
  assert.match(hostErr.message, /host key/i);
  await expectGitError(
    listRemoteRefs({ url, auth: authFromSecret(url, { identity: await fs.readFile(other, 'utf8'), known_hosts: ssh.knownHosts }) }),
    'AuthenticationFailed',
  );
  assert.throws(() => authFromSecret(url, { identity: ssh.clientKeys.ed25519.privateKey }), { name: 'GitError', reason: 'MissingKnownHosts' });
});

void test('a closed port is Unreachable at once; a silent server is a Timeout', async () => {
  const port = await freePort();
  const started = Date.now();
  await expectGitError(listRemoteRefs({ url: `http://127.0.0.1:${String(port)}/x.git` }), 'Unreachable');
  // Proxy credentials are masked even when git names the proxy.
  const proxied = await expectGitError(
    listRemoteRefs({ url: 'http://git.invalid/x.git', auth: authFromSecret('http://git.invalid/x.git', {}, { address: `http://127.0.0.1:${String(port)}`, username: 'pu', password: 'pr0xy-pass' }) }),
    'Unreachable',
  );
  assert.ok(!proxied.message.includes('pr0xy-pass'), proxied.message);
  assert.ok(Date.now() - started < 5_000);

  const silent = net.createServer(() => {}); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const address = silent.address() as net.AddressInfo;
    const t0 = Date.now();
    await expectGitError(checkout({ url: `http://127.0.0.1:${String(address.port)}/x.git`, dir: nextDir(), timeoutMs: 1_500 }), 'Timeout');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 1_400 && elapsed < 5_000, `timed out after ${String(elapsed)} ms`);
  } finally {
    silent.close();
  }
});

void test('credentials in git stderr are scrubbed from errors', async () => {
  // A hostile server that echoes the Authorization header back: git prints it in its error.
  const echo = http.createServer((req, res) => {
    const body = `ERR you sent ${req.headers.authorization ?? 'nothing'}\n`;
    const pkt = (Buffer.byteLength(body) + 4).toString(16).padStart(4, '0') + body;
    res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
    res.end(pkt);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${String((echo.address() as net.AddressInfo).port)}/x.git`;
    const bearerErr = await expectGitError(listRemoteRefs({ url, auth: authFromSecret(url, { bearerToken: TOKEN }) }), 'GitCommandFailed');
    assert.match(bearerErr.message, /you sent Bearer \*\*\*/);
    assert.ok(!bearerErr.message.includes(TOKEN), bearerErr.message);
    const basicErr = await expectGitError(listRemoteRefs({ url, auth: authFromSecret(url, { username: 'bot', password: PASSWORD }) }), 'GitCommandFailed');
    assert.ok(!basicErr.message.includes(PASSWORD) && !basicErr.message.includes(Buffer.from(`bot:${PASSWORD}`).toString('base64')), basicErr.message);
    assert.match(basicErr.message, /\*\*\*/);
  } finally {
    echo.close();
  }
});
