import assert from 'node:assert/strict';
import { thrownGitReason } from '../../../test/sources/git/helpers.ts';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { authFromSecret, prepareAuth } from './auth.ts';
import { gitEnvironment } from './git-command.ts';
import { moveUrlCredentials } from './operation.ts';

const reason = thrownGitReason;

void test('Secret keys map to HTTP credentials as in Flux', () => {
  assert.deepEqual(authFromSecret('https://h/r', { username: 'u', password: Buffer.from('p') }).http, { type: 'basic', username: 'u', password: 'p' });
  assert.deepEqual(authFromSecret('https://h/r', { bearerToken: 't0k' }).http, { type: 'bearer', token: 't0k' });
  assert.equal(authFromSecret('https://h/r', { 'ca.crt': 'CA1', caFile: 'CA2' }).caCert, 'CA1');
  assert.equal(authFromSecret('https://h/r', { caFile: 'CA2' }).caCert, 'CA2');
  assert.deepEqual(authFromSecret('http://h/r', {}, { address: 'http://proxy:3128', username: 'pu', password: 'pp' }).proxy, {
    address: 'http://proxy:3128', username: 'pu', password: 'pp',
  });
  assert.equal(reason(() => authFromSecret('https://h/r', { password: 'p' })), 'InvalidSecret');
  assert.equal(reason(() => authFromSecret('https://h/r', { username: 'u', bearerToken: 't' })), 'InvalidSecret');
  assert.equal(reason(() => authFromSecret('https://h/r', {}, { username: 'x' })), 'InvalidSecret');
});

void test('SSH needs known_hosts and an identity; other schemes are refused', () => {
  assert.equal(reason(() => authFromSecret('ssh://git@h/r', { identity: 'k' })), 'MissingKnownHosts');
  assert.equal(reason(() => authFromSecret('ssh://git@h/r')), 'MissingKnownHosts');
  assert.equal(reason(() => authFromSecret('ssh://git@h/r', { known_hosts: 'h ssh-ed25519 AAAA' })), 'InvalidSecret');
  assert.equal(reason(() => authFromSecret('file:///tmp/x')), 'InvalidUrl');
  assert.equal(reason(() => authFromSecret('ext::sh -c touch% /tmp/pwned')), 'InvalidUrl');
  assert.equal(reason(() => authFromSecret('git@github.com:org/repo.git')), 'InvalidUrl');
});

void test('prepared credentials travel in env config and 0600 files, never in argv', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eddy-auth-test-'));
  try {
    const auth = authFromSecret('https://h/r', { username: 'u', password: 'pw-secret', 'ca.crt': 'PEM' });
    const prepared = await prepareAuth(auth, { dir, pathEnv: '/usr/bin:/bin', deadline: Date.now() + 5000 });
    const header = prepared.config.find(([k]) => k === 'http.extraHeader')?.[1];
    assert.equal(header, `Authorization: Basic ${Buffer.from('u:pw-secret').toString('base64')}`);
    assert.ok(prepared.secrets.includes('pw-secret'));
    const ca = prepared.config.find(([k]) => k === 'http.sslCAInfo')?.[1] ?? '';
    assert.equal((await fs.stat(ca)).mode & 0o777, 0o600);
    const env = gitEnvironment({
      gitBinary: 'git', pathEnv: '/usr/bin', home: dir, config: prepared.config, env: prepared.env, secrets: [], deadline: 0,
    });
    assert.equal(env.GIT_CONFIG_NOSYSTEM, '1');
    assert.equal(env.GIT_SSL_CAINFO, undefined);
    const keys = Object.keys(env).filter((k) => k.startsWith('GIT_CONFIG_KEY_')).map((k) => env[k]);
    assert.equal(keys.length, Number(env.GIT_CONFIG_COUNT));
    assert.ok(keys.includes('protocol.ext.allow') && keys.includes('core.hooksPath') && keys.includes('http.extraHeader'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

void test('credentials in an http URL move into a Basic header', () => {
  const moved = moveUrlCredentials('https://bot:p%40ss@h/r.git', 'https', {});
  assert.equal(moved.url, 'https://h/r.git');
  assert.deepEqual(moved.auth.http, { type: 'basic', username: 'bot', password: 'p@ss' });
  assert.equal(moveUrlCredentials('ssh://git@h/r', 'ssh', {}).url, 'ssh://git@h/r');
});

void test('the proxy reaches git only as http.proxy config: credentials URL-encoded, no proxy variables in the environment', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eddy-auth-test-'));
  try {
    const auth = authFromSecret('https://h/r', {}, { address: 'http://proxy.example:3128', username: 'pu', password: 'p@ss:w/rd' });
    const prepared = await prepareAuth(auth, { dir, pathEnv: '/usr/bin', deadline: Date.now() + 5000 });
    assert.deepEqual(prepared.config, [['http.proxy', 'http://pu:p%40ss%3Aw%2Frd@proxy.example:3128']]);
    assert.ok(prepared.secrets.includes('p@ss:w/rd'));
    const env = gitEnvironment({ gitBinary: 'git', pathEnv: '/usr/bin', home: dir, config: prepared.config, env: prepared.env, secrets: [], deadline: 0 });
    // curl reads http_proxy, https_proxy, all_proxy and no_proxy (which would bypass the configured proxy).
    assert.deepEqual(Object.keys(env).filter((k) => /proxy/i.test(k)), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
