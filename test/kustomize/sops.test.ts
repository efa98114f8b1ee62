// SOPS through the controller, with fixtures encrypted by the real sops 3.10.2
// (test/testdata/sops): an age-encrypted Secret plus a secretGenerator over an encrypted dotenv
// file, a PGP-encrypted Secret, and a wrong key that fails without echoing any value.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commitFiles } from '../tools/git-repo.ts';
import { cond, failedWith, readyAt, startFlux, type Flux } from './harness.ts';

const FIXTURES = join(import.meta.dirname, '..', 'testdata', 'sops');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;

describe('kustomize controller: SOPS decryption', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-sops');
  });
  after(async () => f.stop());

  const keySecret = (name: string, data: Record<string, string>) =>
    f.client.apply({ ...SECRET, metadata: { name, namespace: f.ns }, stringData: data }, { fieldManager: 'test', force: true });
  const decoded = async (name: string, ns: string) => {
    const s = await f.client.get(SECRET, name, ns);
    return Object.fromEntries(Object.entries((s['data'] ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  };

  it('decrypts age-encrypted Secrets and generator files, and PGP-encrypted Secrets', async () => {
    const target = await f.namespace('ks-sops-app');
    const url = await f.repo('sops');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: {
      'age/secret.yaml': await fixture('age-secret.enc.yaml'),
      'age/app.env': await fixture('app.enc.env'),
      'age/kustomization.yaml': 'resources:\n- secret.yaml\nsecretGenerator:\n- name: app-env\n  envs:\n  - app.env\ngeneratorOptions:\n  disableNameSuffixHash: true\n',
      'pgp/secret.yaml': await fixture('regex-secret.enc.yaml'),
    } });
    await f.gitRepository('sops', url);
    await keySecret('sops-age', { 'identity.agekey': await fixture('age.agekey') });
    await keySecret('sops-pgp', { 'private.asc': await fixture('pgp.asc') });
    const base = { sourceRef: { kind: 'GitRepository', name: 'sops' }, targetNamespace: target };
    await f.kustomization('age', { ...base, path: './age', decryption: { provider: 'sops', secretRef: { name: 'sops-age' } } });
    await f.kustomization('pgp', { ...base, path: './pgp', decryption: { provider: 'sops', secretRef: { name: 'sops-pgp' } } });
    await f.waitKs('age', 'Ready', readyAt(`main@sha1:${sha}`));
    await f.waitKs('pgp', 'Ready', readyAt(`main@sha1:${sha}`));
    assert.deepEqual(await decoded('age-secret', target), { username: 'admin', password: 'age-s3cr3t' });
    const env = await decoded('app-env', target);
    assert.equal(env['DB_USER'], 'admin');
    assert.equal(env['DB_PASSWORD'], 'p@ss=word');
    const pgp = await decoded('regex-secret', target);
    assert.ok(Object.keys(pgp).length > 0 && !JSON.stringify(pgp).includes('ENC['), 'PGP values decrypted');
  });

  it('a key that matches nothing fails with DecryptionFailed and no value in the message', async () => {
    const target = await f.namespace('ks-sops-bad');
    const url = await f.repo('sops-bad');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'secret.yaml': await fixture('age-secret.enc.yaml') } });
    await f.gitRepository('sops-bad', url);
    await keySecret('sops-other', { 'other.agekey': await fixture('other.agekey') });
    await f.kustomization('bad', { sourceRef: { kind: 'GitRepository', name: 'sops-bad' }, targetNamespace: target, decryption: { provider: 'sops', secretRef: { name: 'sops-other' } } });
    const ks = await f.waitKs('bad', 'DecryptionFailed', (k) => failedWith('DecryptionFailed')(k) && k.status?.lastAttemptedRevision === `main@sha1:${sha}`);
    assert.doesNotMatch(JSON.stringify(ks.status), /age-s3cr3t|AGE-SECRET-KEY/);
    assert.match(cond(ks, 'Ready')?.message ?? '', /age-secret/);
    await assert.rejects(f.client.get(SECRET, 'age-secret', target), 'nothing applied');
  });
});
