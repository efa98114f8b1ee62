import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { credentialsFromDockerConfig, parseAuthChallenges } from './auth.ts';
import { isOciError } from './errors.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const config = (auths: Record<string, unknown>) => JSON.stringify({ auths });

void describe('credentialsFromDockerConfig', () => {
  void test('auth field (password may contain colons) wins over username/password', () => {
    const json = config({ 'ghcr.io': { auth: b64('flux:p:a:ss'), username: 'x', password: 'y' } });
    assert.deepEqual(credentialsFromDockerConfig(json, 'ghcr.io'), { kind: 'basic', username: 'flux', password: 'p:a:ss' });
  });
  void test('username/password, identitytoken, registrytoken', () => {
    assert.deepEqual(credentialsFromDockerConfig(config({ 'r.io': { username: 'u', password: 'p' } }), 'r.io'), { kind: 'basic', username: 'u', password: 'p' });
    assert.deepEqual(credentialsFromDockerConfig(config({ 'r.io': { username: '<token>', identitytoken: 'rt' } }), 'r.io'), {
      kind: 'identityToken',
      token: 'rt',
      username: '<token>',
    });
    assert.deepEqual(credentialsFromDockerConfig(config({ 'r.io': { registrytoken: 'bt' } }), 'r.io'), { kind: 'registryToken', token: 'bt' });
  });
  void test('keys with scheme, path and port match the host as Docker does', () => {
    const json = config({ 'https://127.0.0.1:5000/': { auth: b64('a:1') }, 'http://other.io/v2/': { auth: b64('b:2') } });
    assert.equal(credentialsFromDockerConfig(json, '127.0.0.1:5000')?.kind, 'basic');
    assert.equal(credentialsFromDockerConfig(json, '127.0.0.1'), undefined, 'the port must match');
    assert.equal(credentialsFromDockerConfig(json, '127.0.0.1:5001'), undefined);
    const other = credentialsFromDockerConfig(json, 'OTHER.io');
    assert.ok(other?.kind === 'basic' && other.username === 'b');
  });
  void test('Docker Hub aliases', () => {
    for (const key of ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      const got = credentialsFromDockerConfig(config({ [key]: { auth: b64('hub:pw') } }), 'index.docker.io', 'library/alpine');
      assert.ok(got?.kind === 'basic' && got.username === 'hub', key);
    }
  });
  void test('path-scoped keys and globs, most specific first', () => {
    const json = config({
      'r.io': { auth: b64('any:1') },
      'r.io/team-a': { auth: b64('a:2') },
      '*.example.com': { auth: b64('glob:3') },
    });
    const user = (host: string, repo: string) => {
      const c = credentialsFromDockerConfig(json, host, repo);
      return c?.kind === 'basic' ? c.username : undefined;
    };
    assert.equal(user('r.io', 'team-a/app'), 'a');
    assert.equal(user('r.io', 'team-ab/app'), 'any');
    assert.equal(user('reg.example.com', 'x'), 'glob');
    assert.equal(user('a.b.example.com', 'x'), undefined);
  });
  void test('legacy .dockercfg and anonymous fallbacks', () => {
    assert.equal(credentialsFromDockerConfig(JSON.stringify({ 'r.io': { auth: b64('u:p') } }), 'r.io')?.kind, 'basic');
    assert.equal(credentialsFromDockerConfig(config({}), 'r.io'), undefined);
    assert.equal(credentialsFromDockerConfig(config({ 'r.io': {} }), 'r.io'), undefined);
  });
  void test('malformed configs fail without echoing secrets', () => {
    const bad = ['{"auths": {"r.io": {"auth": "s3cretnocolon"', '[]', '{"auths": []}'];
    for (const json of bad) {
      assert.throws(() => credentialsFromDockerConfig(json, 'r.io'), (e: unknown) => isOciError(e, 'InvalidCredentials') && !e.message.includes('s3cret'));
    }
    assert.throws(
      () => credentialsFromDockerConfig(config({ 'r.io': { auth: b64('s3cretnocolon') } }), 'r.io'),
      (e: unknown) => isOciError(e, 'InvalidCredentials') && !e.message.includes('s3cret'),
    );
  });
});

void describe('parseAuthChallenges', () => {
  void test('Bearer with quoted params, Basic, several challenges', () => {
    assert.deepEqual(parseAuthChallenges('Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a/b:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.io/token', service: 'registry.io', scope: 'repository:a/b:pull,push' } },
    ]);
    assert.deepEqual(parseAuthChallenges('Basic realm="eddy-test"'), [{ scheme: 'basic', params: { realm: 'eddy-test' } }]);
    assert.deepEqual(parseAuthChallenges('Basic realm=x, Bearer realm="a\\"b", error=invalid_token'), [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'a"b', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseAuthChallenges(''), []);
  });
});
