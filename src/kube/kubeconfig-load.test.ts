import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import { KubeconfigError } from './kubeconfig-error.ts';
import { loadKubeconfig, mergeKubeconfigs, parseKubeconfig, selectContext } from './kubeconfig-load.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const isReason = (reason: string) => (e: unknown) => e instanceof KubeconfigError && e.reason === reason;

function kubeconfig(o: { current?: string; clusters?: Record<string, object>; users?: Record<string, object>; contexts?: Record<string, object> }): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    ...(o.current ? { 'current-context': o.current } : {}),
    clusters: Object.entries(o.clusters ?? {}).map(([name, cluster]) => ({ name, cluster })),
    users: Object.entries(o.users ?? {}).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(o.contexts ?? {}).map(([name, context]) => ({ name, context })),
  });
}

describe('kubeconfig loading', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('eddy-kubeconfig-');
  });
  after(async () => {
    await tmp.remove();
  });
  const write = async (rel: string, text: string) => {
    const p = path.join(tmp.path, rel);
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, text);
    return p;
  };

  it('merges KUBECONFIG as client-go: first file to set a name or current-context wins, missing files skipped', async () => {
    const a = await write('merge/a.yaml', kubeconfig({
      clusters: { shared: { server: 'https://a.example' } },
      users: { u: { token: 'token-a' } },
      contexts: { ctx: { cluster: 'shared', user: 'u' } },
    }));
    const b = await write('merge/b.yaml', kubeconfig({
      current: 'ctx',
      clusters: { shared: { server: 'https://b.example' }, other: { server: 'https://other.example' } },
      users: { u: { token: 'token-b' } },
      contexts: { ctx: { cluster: 'other', user: 'u' }, second: { cluster: 'other' } },
    }));
    const c = await write('merge/c.yaml', kubeconfig({ current: 'second' }));
    const env = { KUBECONFIG: [path.join(tmp.path, 'merge/missing.yaml'), a, b, c, a].join(path.delimiter) };
    const r = loadKubeconfig({}, env);
    assert.equal(r.context, 'ctx'); // b is the first to set current-context
    assert.equal(r.cluster.server, 'https://a.example'); // a's context and cluster win over b's
    assert.equal(r.user.token, 'token-a');
    assert.equal(loadKubeconfig({ context: 'second' }, env).cluster.server, 'https://other.example');
    assert.throws(() => loadKubeconfig({}, { KUBECONFIG: path.join(tmp.path, 'nope') }), isReason('NoConfiguration'));
  });

  it('an explicit file wins over KUBECONFIG and must exist', async () => {
    const f = await write('explicit.yaml', kubeconfig({ current: 'x', clusters: { x: { server: 'https://x' } }, contexts: { x: { cluster: 'x' } } }));
    assert.equal(loadKubeconfig({ kubeconfig: f }, { KUBECONFIG: '/nonexistent' }).cluster.server, 'https://x');
    assert.throws(() => loadKubeconfig({ kubeconfig: path.join(tmp.path, 'absent.yaml') }, {}), isReason('FileUnreadable'));
  });

  it('resolves relative file references against the kubeconfig directory; -data wins over a file', async () => {
    await write('rel/certs/ca.crt', 'CA-FROM-FILE');
    await write('rel/certs/client.crt', 'CERT-FROM-FILE');
    await write('rel/certs/client.key', 'KEY-FROM-FILE');
    const f = await write('rel/config', kubeconfig({
      current: 'files',
      clusters: {
        files: { server: 'https://f', 'certificate-authority': 'certs/ca.crt', 'tls-server-name': 'api.internal' },
        both: { server: 'https://b', 'certificate-authority': 'certs/missing.crt', 'certificate-authority-data': b64('CA-FROM-DATA') },
      },
      users: {
        files: { 'client-certificate': 'certs/client.crt', 'client-key': './certs/client.key', tokenFile: 'token', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/plugin' } },
        data: { 'client-certificate-data': b64('CERT-DATA'), 'client-key-data': b64('KEY-DATA') },
      },
      contexts: { files: { cluster: 'files', user: 'files' }, data: { cluster: 'both', user: 'data' } },
    }));
    const r = loadKubeconfig({ kubeconfig: f }, {});
    assert.equal(r.cluster.ca?.toString(), 'CA-FROM-FILE');
    assert.equal(r.cluster.tlsServerName, 'api.internal');
    assert.equal(r.user.cert?.toString(), 'CERT-FROM-FILE');
    assert.equal(r.user.key?.toString(), 'KEY-FROM-FILE');
    assert.equal(r.user.tokenFile, path.join(tmp.path, 'rel/token'));
    assert.equal(r.user.exec?.command, path.join(tmp.path, 'rel/bin/plugin'));
    const d = loadKubeconfig({ kubeconfig: f, context: 'data' }, {});
    assert.equal(d.cluster.ca?.toString(), 'CA-FROM-DATA');
    assert.equal(d.user.cert?.toString(), 'CERT-DATA');
    assert.equal(d.user.key?.toString(), 'KEY-DATA');
  });

  it('in-cluster when the service env and token file exist; KUBECONFIG first, ~/.kube/config last', async () => {
    const sa = path.join(tmp.path, 'sa');
    await write('sa/token', 'sa-token\n');
    await write('sa/ca.crt', 'SA-CA');
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', HOME: path.join(tmp.path, 'home') };
    const r = loadKubeconfig({ serviceAccountDir: sa }, env);
    assert.equal(r.origin, 'in-cluster');
    assert.equal(r.cluster.server, 'https://[fd00::1]:443');
    assert.equal(r.cluster.ca?.toString(), 'SA-CA');
    assert.equal(r.user.tokenFile, path.join(sa, 'token'));
    await write('home/.kube/config', kubeconfig({ current: 'h', clusters: { h: { server: 'https://home' } }, contexts: { h: { cluster: 'h' } } }));
    assert.equal(loadKubeconfig({ serviceAccountDir: path.join(tmp.path, 'no-sa') }, env).cluster.server, 'https://home');
    assert.equal(loadKubeconfig({ serviceAccountDir: sa }, { ...env, KUBERNETES_SERVICE_HOST: '' }).cluster.server, 'https://home');
    assert.throws(() => loadKubeconfig({ serviceAccountDir: sa }, { ...env, KUBECONFIG: path.join(tmp.path, 'none') }), isReason('NoConfiguration'));
    assert.throws(() => loadKubeconfig({ serviceAccountDir: path.join(tmp.path, 'no-sa') }, { HOME: path.join(tmp.path, 'nohome') }), isReason('NoConfiguration'));
  });

  it('selects contexts and reports what is missing', () => {
    const doc = parseKubeconfig(kubeconfig({
      clusters: { c: { server: 'https://c' } },
      contexts: { ok: { cluster: 'c' }, nocluster: { cluster: 'gone' }, nouser: { cluster: 'c', user: 'gone' } },
    }), 'test');
    assert.throws(() => selectContext(doc, undefined, 'test'), isReason('ContextNotFound'));
    assert.equal(selectContext(doc, 'ok', 'test').cluster.server, 'https://c');
    assert.deepEqual(selectContext(doc, 'ok', 'test').user, {});
    for (const ctx of ['absent', 'nocluster', 'nouser']) assert.throws(() => selectContext(doc, ctx, 'test'), isReason('ContextNotFound'));
    assert.throws(() => parseKubeconfig('a: [', 'test'), isReason('InvalidKubeconfig'));
    assert.equal(mergeKubeconfigs([]).currentContext, undefined);
  });

  it('refuses contradictory or unsupported users without quoting secrets', () => {
    const one = (user: object, cluster: object = { server: 'https://s' }) =>
      () => selectContext(parseKubeconfig(kubeconfig({ current: 'x', clusters: { x: cluster }, users: { x: user }, contexts: { x: { cluster: 'x', user: 'x' } } }), 'test'), undefined, 'test');
    const check = (fn: () => unknown, reason: string) =>
      assert.throws(fn, (e: unknown) => isReason(reason)(e) && !(e as Error).message.includes('s3cret') && !(e as Error).message.includes('\n'));
    check(one({ token: 's3cret', username: 'admin', password: 's3cret' }), 'InvalidKubeconfig');
    check(one({ 'client-certificate-data': b64('s3cret') }), 'InvalidKubeconfig');
    check(one({ 'auth-provider': { name: 'oidc', config: { 'id-token': 's3cret' } } }), 'AuthProviderUnsupported');
    check(one({ exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } }), 'InvalidKubeconfig');
    check(one({ exec: { apiVersion: 'client.authentication.k8s.io/v1' } }), 'InvalidKubeconfig');
    check(one({}, { server: 'https://s', 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64('CA') }), 'InvalidKubeconfig');
    check(one({}, { 'certificate-authority-data': b64('CA') }), 'InvalidKubeconfig');
    check(one({ 'client-certificate': '/nonexistent/client.crt', 'client-key-data': b64('k') }), 'FileUnreadable');
    assert.equal(one({ username: 'admin', password: 'pw' })().user.username, 'admin');
    assert.equal(one({ token: 't', tokenFile: '/f' })().user.tokenFile, '/f');
  });
});
