import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import { Credentials } from './config.ts';
import { KubeconfigError } from './kubeconfig-error.ts';
import { reduceKubeconfig } from './kubeconfig-allowlist.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const V1 = 'client.authentication.k8s.io/v1';

function single(user: object, cluster: object = { server: 'https://api.example:6443/' }): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  });
}

/** A plugin that counts its runs, records KUBERNETES_EXEC_INFO and prints $CRED (or fails as told). */
const PLUGIN = `#!/bin/sh
echo run >> "$COUNT_FILE"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"
if [ -n "$FAIL" ]; then echo "token s3cret-token leaked on stderr" >&2; exit 3; fi
printf '%s' "$CRED"
`;

describe('Credentials', () => {
  let tmp: TempDir;
  let plugin: string;
  before(async () => {
    tmp = await makeTempDir('eddy-credentials-');
    plugin = path.join(tmp.path, 'plugin.sh');
    await fs.writeFile(plugin, PLUGIN, { mode: 0o755 });
  });
  after(async () => {
    await tmp.remove();
  });
  const runs = async (f: string) => (await fs.readFile(f, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const noSecret = (e: unknown) => e instanceof KubeconfigError && !e.message.includes('s3cret') && !e.message.includes('\n');

  it('token, basic auth and TLS settings', async () => {
    const ca = b64('CA-PEM');
    const t = Credentials.fromString(single({ token: 'tok' }, { server: 'https://api.example:6443/', 'certificate-authority-data': ca, 'tls-server-name': 'kube' }), {}, {});
    assert.equal(t.server, 'https://api.example:6443');
    assert.deepEqual(await t.forRequest(), { ca: Buffer.from('CA-PEM'), servername: 'kube', authorization: 'Bearer tok' });
    const basic = Credentials.fromString(single({ username: 'admin', password: 'pw' }, { server: 'https://s', 'insecure-skip-tls-verify': true }), {}, {});
    assert.deepEqual(await basic.forRequest(), { rejectUnauthorized: false, authorization: `Basic ${b64('admin:pw')}` });
    const cert = Credentials.fromString(single({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }), {}, {});
    const a = await cert.forRequest();
    assert.equal(String(a.cert), 'CERT');
    assert.equal(String(a.key), 'KEY');
    assert.equal(a.authorization, undefined);
  });

  it('tokenFile is re-read after the refresh period and wins over token; token is the fallback', async () => {
    const tokenFile = path.join(tmp.path, 'token');
    await fs.writeFile(tokenFile, 'first\n');
    let now = 0;
    const host = { now: () => now, tokenFileRefreshMs: 1000 };
    const c = Credentials.fromString(single({ token: 'static', tokenFile }), {}, {}, host);
    assert.equal((await c.forRequest()).authorization, 'Bearer first');
    await fs.writeFile(tokenFile, 'second');
    now = 999;
    assert.equal((await c.forRequest()).authorization, 'Bearer first');
    now = 1000;
    assert.equal((await c.forRequest()).authorization, 'Bearer second');
    await fs.rm(tokenFile);
    now = 5000;
    assert.equal((await c.forRequest()).authorization, 'Bearer second'); // the last good read stays
    const fallback = Credentials.fromString(single({ token: 'static', tokenFile }), {}, {}, host);
    assert.equal((await fallback.forRequest()).authorization, 'Bearer static');
    const none = Credentials.fromString(single({ tokenFile }), {}, {}, host);
    await assert.rejects(none.forRequest(), (e: unknown) => e instanceof KubeconfigError && e.reason === 'FileUnreadable');
  });

  it('in-cluster: service account token (rotating) and CA from the injected directory', async () => {
    const sa = path.join(tmp.path, 'sa');
    await fs.mkdir(sa);
    await fs.writeFile(path.join(sa, 'token'), 'sa-1');
    await fs.writeFile(path.join(sa, 'ca.crt'), 'SA-CA');
    let now = 0;
    const c = Credentials.load({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, { serviceAccountDir: sa, now: () => now });
    assert.equal(c.server, 'https://10.0.0.1:443');
    assert.deepEqual(await c.forRequest(), { ca: Buffer.from('SA-CA'), authorization: 'Bearer sa-1' });
    await fs.writeFile(path.join(sa, 'token'), 'sa-2');
    now = 60_000;
    assert.equal((await c.forRequest()).authorization, 'Bearer sa-2');
  });

  it('exec plugin: env and KUBERNETES_EXEC_INFO as client-go, cached until expiry, one run for concurrent callers', async () => {
    const count = path.join(tmp.path, 'exec-count');
    const info = path.join(tmp.path, 'exec-info');
    let now = Date.parse('2030-01-01T00:00:00Z');
    const cred = JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: { token: 'exec-token', expirationTimestamp: '2030-01-01T01:00:00Z' } });
    const text = single(
      { exec: { apiVersion: V1, command: plugin, args: ['--flag'], interactiveMode: 'IfAvailable', provideClusterInfo: true, env: [{ name: 'CRED', value: cred }, { name: 'INFO_FILE', value: info }] } },
      { server: 'https://api.example', 'certificate-authority-data': b64('CA') },
    );
    const c = Credentials.fromString(text, { allowExec: true }, { COUNT_FILE: count, PATH: process.env['PATH'] }, { now: () => now });
    const [a, b] = await Promise.all([c.forRequest(), c.forRequest()]);
    assert.equal(a.authorization, 'Bearer exec-token');
    assert.equal(b.authorization, 'Bearer exec-token');
    assert.equal(await runs(count), 1);
    assert.deepEqual(JSON.parse(await fs.readFile(info, 'utf8')), {
      apiVersion: V1, kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://api.example', 'certificate-authority-data': b64('CA') } },
    });
    now += 59 * 60_000;
    await c.forRequest();
    assert.equal(await runs(count), 1);
    now += 60_000; // past expirationTimestamp
    await c.forRequest();
    assert.equal(await runs(count), 2);
  });

  it('exec plugin returning a client certificate; without expiry it is cached for good', async () => {
    const count = path.join(tmp.path, 'cert-count');
    const cred = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { clientCertificateData: 'PEM-CERT', clientKeyData: 'PEM-KEY' } });
    const c = Credentials.fromString(single({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin, env: [{ name: 'CRED', value: cred }, { name: 'INFO_FILE', value: '/dev/null' }] } }), { allowExec: true }, { COUNT_FILE: count });
    const a = await c.forRequest();
    assert.equal(a.cert, 'PEM-CERT');
    assert.equal(a.key, 'PEM-KEY');
    assert.equal(a.authorization, undefined);
    await c.forRequest();
    assert.equal(await runs(count), 1);
  });

  it('exec plugin failures name the command, never the output', async () => {
    const env = { COUNT_FILE: '/dev/null' };
    const exec = (extra: object[], more: object = {}) => Credentials.fromString(single({ exec: { apiVersion: V1, command: plugin, env: [{ name: 'INFO_FILE', value: '/dev/null' }, ...extra], ...more } }), { allowExec: true }, env);
    const failing = exec([{ name: 'FAIL', value: '1' }]);
    await assert.rejects(failing.forRequest(), (e: unknown) => noSecret(e) && (e as KubeconfigError).reason === 'ExecFailed' && (e as Error).message.includes(plugin) && (e as Error).message.includes('code 3'));
    const wrongVersion = exec([{ name: 'CRED', value: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 's3cret' } }) }]);
    await assert.rejects(wrongVersion.forRequest(), noSecret);
    const notJson = exec([{ name: 'CRED', value: 'token: s3cret' }]);
    await assert.rejects(notJson.forRequest(), noSecret);
    const badExpiry = exec([{ name: 'CRED', value: JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: { token: 's3cret', expirationTimestamp: 'soon' } }) }]);
    await assert.rejects(badExpiry.forRequest(), noSecret);
    const missing = Credentials.fromString(single({ exec: { apiVersion: V1, command: path.join(tmp.path, 'absent'), installHint: 'install it\nfrom somewhere' } }), { allowExec: true }, {});
    await assert.rejects(missing.forRequest(), (e: unknown) => noSecret(e) && (e as Error).message.includes('install it from somewhere'));
    assert.throws(() => exec([], { interactiveMode: 'Always' }), (e: unknown) => e instanceof KubeconfigError && e.reason === 'ExecFailed');
  });

  it('exec plugins are refused without allowExec; auth-provider is refused', () => {
    const text = single({ exec: { apiVersion: V1, command: plugin } });
    assert.throws(() => Credentials.fromString(text, {}, {}), (e: unknown) => e instanceof KubeconfigError && e.reason === 'ExecRefused');
    const ap = single({ 'auth-provider': { name: 'gcp', config: { 'access-token': 's3cret' } } });
    assert.throws(() => Credentials.fromString(ap, { allowExec: true }, {}), (e: unknown) => noSecret(e) && (e as KubeconfigError).reason === 'AuthProviderUnsupported');
  });

  it('a kubeconfig reduced by reduceKubeconfig loads', async () => {
    const text = single({ token: 'remote-token', exec: undefined }, { server: 'https://remote:6443', 'certificate-authority-data': b64('RCA') });
    const c = Credentials.fromString(reduceKubeconfig(text), {}, {});
    assert.equal(c.server, 'https://remote:6443');
    assert.deepEqual(await c.forRequest(), { ca: Buffer.from('RCA'), authorization: 'Bearer remote-token' });
  });
});
