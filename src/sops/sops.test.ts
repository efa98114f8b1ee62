import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ArtifactTree } from '../artifact/tree.ts';
import { decryptDocument, decryptKubeObject, decryptSources, formatFromPath, isSopsEncrypted, keysFromSecretData, SopsError, type SopsFormat, type SopsKeys } from './index.ts';
import { formatFloatF } from './tree.ts';
import type { KubeObject } from '../kube/types.ts';

// Fixtures made with the real sops v3.10.2: see test/testdata/sops/README.md.
const dir = join(import.meta.dirname, '../../test/testdata/sops');
const read = (f: string) => readFileSync(join(dir, f));
const ageKeys = (): SopsKeys => keysFromSecretData({ 'age.agekey': read('age.agekey') });
const pgpKeys = (): SopsKeys => keysFromSecretData({ 'sops.asc': read('pgp.asc') });
const otherKeys = (): SopsKeys => keysFromSecretData({ 'other.agekey': read('other.agekey') });

async function rejects(p: Promise<unknown>, reason: string, secrets: string[] = []): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SopsError, String(err));
    assert.equal(err.reason, reason);
    for (const s of secrets) assert.ok(!err.message.includes(s), `message leaks '${s}': ${err.message}`);
    return true;
  });
}

describe('decryptDocument against sops -d output', () => {
  const cases: Array<[string, SopsFormat, string]> = [
    ['config.enc.json', 'json', 'config.json'],
    ['app.enc.env', 'dotenv', 'app.env'],
    ['app.enc.ini', 'ini', 'app.ini'],
    ['blob.enc.bin', 'binary', 'blob.bin'],
  ];
  for (const [file, format, expected] of cases) {
    it(`${format}: byte-identical to sops -d (${file})`, async () => {
      const out = await decryptDocument(read(file), format, ageKeys());
      assert.ok(out.equals(read(`expected/${expected}`)), out.toString('utf8'));
    });
  }

  it('yaml: same data as sops -d, comments decrypted, typed values, suffix respected', async () => {
    const out = (await decryptDocument(read('secret.enc.yaml'), 'yaml', ageKeys())).toString('utf8');
    assert.deepEqual(parse(out), parse(read('expected/secret.yaml').toString('utf8')));
    assert.match(out, /^# A Secret as users commit it\n/);
    assert.match(out, /# the admin account\n {4}username: admin/);
    const doc = parse(out) as { settings: Record<string, unknown>; stringData: Record<string, string> };
    assert.equal(doc.settings.replicas, 3);
    assert.equal(doc.settings.enabled, true);
    assert.equal(doc.settings.public_unencrypted, 'visible');
    assert.equal(doc.stringData.password, 's3cr3t <&> ünïcode');
  });

  it('yaml: the same file opens with the PGP key alone', async () => {
    const out = await decryptDocument(read('secret.enc.yaml'), 'yaml', pgpKeys());
    assert.deepEqual(parse(out.toString('utf8')), parse(read('expected/secret.yaml').toString('utf8')));
  });

  it('encrypted_regex: only data/stringData were encrypted; PGP-only document', async () => {
    const out = await decryptDocument(read('regex-secret.enc.yaml'), 'yaml', pgpKeys());
    assert.deepEqual(parse(out.toString('utf8')), parse(read('expected/regex-secret.yaml').toString('utf8')));
    assert.match(read('regex-secret.enc.yaml').toString(), /name: regex-secret\n/);
  });

  it('a tampered document fails the MAC check with MacMismatch', async () => {
    await rejects(decryptDocument(read('tampered-mac.enc.yaml'), 'yaml', pgpKeys()), 'MacMismatch', ['key-123', 'certificate']);
  });

  it('the MAC check can be skipped', async () => {
    const out = await decryptDocument(read('tampered-mac.enc.yaml'), 'yaml', pgpKeys(), { verifyMac: false });
    assert.match(out.toString(), /api-key: key-123/);
  });

  it('no matching key → NoMatchingKey without key material', async () => {
    const secret = read('other.agekey').toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY')) as string;
    await rejects(decryptDocument(read('config.enc.json'), 'json', otherKeys()), 'NoMatchingKey', [secret, 'p<a>ss']);
    await rejects(decryptDocument(read('config.enc.json'), 'json', pgpKeys()), 'NoMatchingKey');
  });

  it('a document with only cloud KMS keys → UnsupportedKeyType', async () => {
    const doc = JSON.parse(read('config.enc.json').toString()) as { sops: Record<string, unknown> };
    delete doc.sops.age;
    doc.sops.kms = [{ arn: 'arn:aws:kms:eu-west-1:1:key/x', enc: 'AQICAH', created_at: '2024-01-01T00:00:00Z', aws_profile: '' }];
    await rejects(decryptDocument(JSON.stringify(doc), 'json', ageKeys()), 'UnsupportedKeyType');
  });

  it('a value changed in place → DecryptionFailed naming the path only', async () => {
    const text = read('app.enc.env').toString().replace(/DB_USER=ENC\[AES256_GCM,data:[^,]+/, 'DB_USER=ENC[AES256_GCM,data:AAAAAAA=');
    await rejects(decryptDocument(text, 'dotenv', ageKeys()), 'DecryptionFailed', ['admin']);
  });

  it('missing metadata → Malformed', async () => {
    await rejects(decryptDocument('a: 1\n', 'yaml', ageKeys()), 'Malformed');
  });
});

describe('keysFromSecretData', () => {
  it('reads .agekey (several lines, comments) and .asc entries, ignores KMS credentials', () => {
    const a = read('age.agekey').toString();
    const b = read('other.agekey').toString();
    const keys = keysFromSecretData({ 'x.agekey': Buffer.from(a + b), 'k.asc': read('pgp.asc'), 'sops.aws-kms': Buffer.from('aws_access_key_id: x') });
    assert.equal(keys.age.length, 2);
    assert.equal(keys.pgp.length, 1);
  });
  it('rejects a malformed age entry without echoing it', () => {
    assert.throws(() => keysFromSecretData({ 'bad.agekey': Buffer.from('AGE-SECRET-KEY-NOPE-secretish') }), (err: unknown) => {
      assert.ok(err instanceof SopsError && err.reason === 'InvalidKey' && !err.message.includes('secretish'));
      return true;
    });
  });
});

describe('helpers', () => {
  it('formatFromPath follows sops (and Flux for .dockerconfigjson)', () => {
    const table: Array<[string, SopsFormat]> = [['a.yaml', 'yaml'], ['a.yml', 'yaml'], ['a.json', 'json'], ['.env', 'binary'], ['x.env', 'dotenv'], ['a.ini', 'ini'], ['a.txt', 'binary'], ['.dockerconfigjson', 'json']];
    for (const [p, f] of table) assert.equal(formatFromPath(p), f, p);
  });
  it('isSopsEncrypted needs sops.mac', () => {
    assert.equal(isSopsEncrypted({ sops: { mac: 'ENC[x]' } }), true);
    assert.equal(isSopsEncrypted({ sops: { mac: '' } }), false);
    assert.equal(isSopsEncrypted({ sops: {} }), false);
    assert.equal(isSopsEncrypted({ a: 1 }), false);
  });
  it('formatFloatF matches Go strconv.FormatFloat(f, f, -1, 64)', () => {
    const table: Array<[number, string]> = [[1e-7, '0.0000001'], [0.25, '0.25'], [3, '3'], [1e21, '1000000000000000000000'], [-1.5e-8, '-0.000000015'], [1.25e22, '12500000000000000000000']];
    for (const [n, s] of table) assert.equal(formatFloatF(n), s);
  });
});

describe('decryptKubeObject', () => {
  it('decrypts a whole encrypted Secret (MAC not checked, as Flux) and returns undefined for plain objects', async () => {
    const obj = JSON.parse(read('regex-secret.enc.json').toString()) as KubeObject;
    obj.metadata.namespace = 'changed-by-kustomize';
    const out = await decryptKubeObject(obj, ageKeys());
    assert.ok(out);
    assert.equal((out.stringData as Record<string, string>)['api-key'], 'key-123');
    assert.equal((out.data as Record<string, string>).cert, 'Y2VydGlmaWNhdGU=');
    assert.equal(out.sops, undefined);
    assert.equal(out.metadata.namespace, 'changed-by-kustomize');
    assert.equal(await decryptKubeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, ageKeys()), undefined);
  });

  it('honours kustomize.toolkit.fluxcd.io/decrypt: disabled', async () => {
    const obj = JSON.parse(read('regex-secret.enc.json').toString()) as KubeObject;
    obj.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/decrypt': 'Disabled' };
    assert.equal(await decryptKubeObject(obj, ageKeys()), undefined);
  });

  it('decrypts Secret data values that are encrypted files, in the format of their key', async () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gen', namespace: 'apps' },
      data: {
        'app.env': read('app.enc.env').toString('base64'),
        'config.json': read('config.enc.json').toString('base64'),
        'config.yaml': read('config.enc.json').toString('base64'),
        plain: Buffer.from('not encrypted').toString('base64'),
      },
    };
    const out = await decryptKubeObject(secret, ageKeys());
    assert.ok(out);
    const data = out.data as Record<string, string>;
    assert.equal(Buffer.from(data['app.env'] as string, 'base64').toString(), read('expected/app.env').toString());
    assert.equal(Buffer.from(data['config.json'] as string, 'base64').toString(), read('expected/config.json').toString());
    assert.deepEqual(parse(Buffer.from(data['config.yaml'] as string, 'base64').toString()), JSON.parse(read('expected/config.json').toString()));
    assert.equal(data.plain, secret.data && (secret.data as Record<string, string>).plain);
  });

  it('errors name the object and field, not the values', async () => {
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gen', namespace: 'apps' }, data: { 'app.env': read('app.enc.env').toString('base64') } };
    await assert.rejects(decryptKubeObject(secret, otherKeys()), (err: unknown) => {
      assert.ok(err instanceof SopsError && err.reason === 'NoMatchingKey');
      assert.match(err.message, /'apps\/gen' Secret field 'app.env'/);
      return true;
    });
  });
});

describe('decryptSources', () => {
  function tree(): ArtifactTree {
    const t = new ArtifactTree();
    t.writeFile('apps/base/secret.env', read('app.enc.env'));
    t.writeFile('apps/base/config.json', read('config.enc.json'));
    t.writeFile('apps/comp/settings.ini', read('app.enc.ini'));
    t.writeFile('apps/base/plain.txt', 'plain');
    t.writeFile('apps/base/kustomization.yaml', 'resources: [../comp, https://example.com/x.yaml, ../../../../etc]\nsecretGenerator:\n  - name: s\n    envs: [secret.env]\n    files: [cfg.json=config.json, plain.txt]\n');
    t.writeFile('apps/comp/kustomization.yaml', 'secretGenerator:\n  - name: c\n    files: [settings.ini]\n');
    return t;
  }

  it('decrypts generator sources in place across resources, returns their paths', async () => {
    const t = tree();
    const done = await decryptSources(t, 'apps/base', ageKeys());
    assert.deepEqual(done, ['apps/base/config.json', 'apps/base/secret.env', 'apps/comp/settings.ini']);
    assert.equal(t.readFile('apps/base/secret.env').toString(), read('expected/app.env').toString());
    assert.equal(t.readFile('apps/base/config.json').toString(), read('expected/config.json').toString());
    assert.equal(t.readFile('apps/comp/settings.ini').toString(), read('expected/app.ini').toString());
    assert.deepEqual(await decryptSources(t, 'apps/base', ageKeys()), []);
  });

  it('never leaves root: links and parent references resolve inside root, as securejoin does', async () => {
    const t = tree();
    // An absolute link target and a climb past the root both land inside it, where nothing is.
    t.symlink('apps/base/link.env', '/tmp/victim.env');
    t.writeFile('apps/base/kustomization.yaml', 'secretGenerator:\n  - name: s\n    envs: [link.env]\n');
    await assert.rejects(decryptSources(t, 'apps/base', ageKeys()), (err: unknown) => err instanceof SopsError && /does not exist/.test(err.message));
    t.writeFile('apps/base/kustomization.yaml', 'secretGenerator:\n  - name: s\n    envs: [../../../outside.env]\n');
    await assert.rejects(decryptSources(t, 'apps/base', ageKeys()), (err: unknown) => err instanceof SopsError);
    // A link that stays inside is followed to the file it names.
    t.symlink('apps/base/inside.ini', '../comp/settings.ini');
    t.writeFile('apps/base/kustomization.yaml', 'secretGenerator:\n  - name: s\n    files: [inside.ini]\n');
    assert.deepEqual(await decryptSources(t, 'apps/base', ageKeys()), ['apps/comp/settings.ini']);
  });
});
