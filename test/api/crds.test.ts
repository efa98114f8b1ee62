// eddy's source CRDs against the real API server: they apply and become Established, Flux-shaped
// objects validate and get Flux's defaults, bad ones are refused naming the field, and kubectl
// shows Flux's short names and printer columns. CRDs are cluster-scoped and shared with other
// test files, so they are applied (server-side, idempotent) and never deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyCRDs } from '../../src/cli/install.ts';
import { ApiError, KubeClient, NoKindMatchError, type KubeObject } from '../../src/kube/index.ts';
import { createNamespace, kubectl, testCluster } from '../cluster/harness.ts';

const API = 'source.toolkit.fluxcd.io/v1';

function gitRepository(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: 'GitRepository', metadata: { name, namespace: ns }, spec };
}
function ociRepository(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: 'OCIRepository', metadata: { name, namespace: ns }, spec };
}
function bucket(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: 'Bucket', metadata: { name, namespace: ns }, spec };
}

/** Creates `obj`, retrying briefly while discovery catches up with a just-established CRD. */
async function create(client: KubeClient, obj: KubeObject, dryRun = false): Promise<KubeObject> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.create(obj, { fieldManager: 'eddy-test', dryRun });
    } catch (err) {
      if (!(err instanceof NoKindMatchError) || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Asserts the API server refuses `obj` as Invalid with every `expected` pattern in its message. */
async function assertInvalid(client: KubeClient, obj: KubeObject, ...expected: RegExp[]): Promise<void> {
  await assert.rejects(create(client, obj, true), (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.reason, 'Invalid', err.message);
    for (const re of expected) assert.match(err.message, re);
    return true;
  });
}

void describe('source.toolkit.fluxcd.io/v1 CRDs', () => {
  let client: KubeClient;
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  before(async () => {
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
    await applyCRDs(client, { timeoutMs: 60_000 });
    ns = await createNamespace('crds');
  });
  after(async () => {
    await ns.remove();
    await client.close();
  });

  it('accepts Flux-shaped objects and applies Flux defaults', async () => {
    const git = await create(client, gitRepository(ns.name, 'podinfo', {
      url: 'https://github.com/stefanprodan/podinfo', interval: '1m30s', ref: { branch: 'master' },
      verify: { secretRef: { name: 'pgp' } }, include: [{ repository: { name: 'other' }, toPath: 'x' }],
    }));
    const gitSpec = git['spec'] as Record<string, unknown>;
    assert.equal(gitSpec['timeout'], '60s');
    assert.equal(gitSpec['provider'], undefined, 'GitRepository has no provider default in the CRD');
    assert.deepEqual(gitSpec['verify'], { mode: 'HEAD', secretRef: { name: 'pgp' } });
    assert.deepEqual(git['status'], { observedGeneration: -1 });

    const oci = await create(client, ociRepository(ns.name, 'manifests', {
      url: 'oci://ghcr.io/stefanprodan/manifests/podinfo', interval: '10m', ref: { semver: '>=6.0.0' },
      layerSelector: { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'copy' },
      verify: { matchOIDCIdentity: [{ issuer: '^https://token.actions.githubusercontent.com$', subject: '.*' }] },
    }));
    const ociSpec = oci['spec'] as Record<string, unknown>;
    assert.equal(ociSpec['timeout'], '60s');
    assert.equal(ociSpec['provider'], 'generic');
    assert.equal((ociSpec['verify'] as Record<string, unknown>)['provider'], 'cosign');

    const b = await create(client, bucket(ns.name, 'minio', {
      bucketName: 'podinfo', endpoint: 'minio.minio.svc:9000', insecure: true, interval: '5m', secretRef: { name: 'minio' },
    }));
    const bSpec = b['spec'] as Record<string, unknown>;
    assert.equal(bSpec['timeout'], '60s');
    assert.equal(bSpec['provider'], 'generic');
    await create(client, bucket(ns.name, 'ldap', {
      bucketName: 'b', endpoint: 'minio:9000', interval: '5m', sts: { provider: 'ldap', endpoint: 'https://sts.example' },
    }), true);
  });

  it('refuses bad intervals, timeouts, URLs, enums and missing fields, naming the field', async () => {
    const git = (spec: Record<string, unknown>) => gitRepository(ns.name, 'bad', { url: 'https://example.com/r', interval: '1m', ...spec });
    await assertInvalid(client, git({ interval: '1d' }), /spec\.interval/);
    await assertInvalid(client, git({ timeout: '1h' }), /spec\.timeout/);
    await assertInvalid(client, git({ url: 'ftp://example.com/r' }), /spec\.url/);
    await assertInvalid(client, git({ provider: 'gitlab' }), /spec\.provider/, /Unsupported value/);
    await assertInvalid(client, git({ verify: { mode: 'Always', secretRef: { name: 'k' } } }), /spec\.verify\.mode/);
    await assertInvalid(client, gitRepository(ns.name, 'bad', { interval: '1m' }), /spec\.url/, /Required/);
    await assertInvalid(client, git({ serviceAccountName: 'sa' }), /serviceAccountName can only be set when provider is 'azure' or 'aws'/);

    const oci = (spec: Record<string, unknown>) => ociRepository(ns.name, 'bad', { url: 'oci://r.example/x', interval: '1m', ...spec });
    await assertInvalid(client, oci({ url: 'https://r.example/x' }), /spec\.url/);
    await assertInvalid(client, oci({ layerSelector: { operation: 'unpack' } }), /spec\.layerSelector\.operation/);
    await assertInvalid(client, oci({ provider: 'ibm' }), /spec\.provider/);

    const b = (spec: Record<string, unknown>) => bucket(ns.name, 'bad', { bucketName: 'b', endpoint: 'e:9000', interval: '1m', ...spec });
    await assertInvalid(client, b({ provider: 'oracle' }), /spec\.provider/);
    await assertInvalid(client, bucket(ns.name, 'bad', { endpoint: 'e', interval: '1m' }), /spec\.bucketName/);
    await assertInvalid(client, b({ provider: 'gcp', sts: { provider: 'aws', endpoint: 'https://sts' } }), /STS configuration is only supported/);
    await assertInvalid(client, b({ sts: { provider: 'aws', endpoint: 'https://sts' } }), /'ldap' is the only supported STS provider/);
    await assertInvalid(client, b({ sts: { provider: 'ldap', endpoint: 'sts.example' } }), /spec\.sts\.endpoint/);
    await assertInvalid(client, b({ serviceAccountName: 'sa' }), /ServiceAccountName is not supported for the 'generic' Bucket provider/);
    await assertInvalid(client, b({ provider: 'aws', serviceAccountName: 'sa', secretRef: { name: 's' } }), /cannot set both \.spec\.secretRef and \.spec\.serviceAccountName/);
  });

  it('kubectl shows short names, Flux printer columns and the fluxcd-sources category', async () => {
    await create(client, gitRepository(ns.name, 'cols', { url: 'ssh://git@example.com/r', interval: '1m' }));
    const git = await kubectl(['get', 'gitrepo', '-n', ns.name]);
    assert.match(git.stdout.split('\n')[0] ?? '', /^NAME\s+URL\s+AGE\s+READY\s+STATUS\s*$/);
    assert.match(git.stdout, /cols\s+ssh:\/\/git@example\.com\/r/);
    const oci = await kubectl(['get', 'ocirepo', '-n', ns.name]);
    assert.match(oci.stdout.split('\n')[0] ?? '', /^NAME\s+URL\s+READY\s+STATUS\s+AGE\s*$/);
    const buckets = await kubectl(['get', 'buckets', '-n', ns.name]);
    assert.match(buckets.stdout.split('\n')[0] ?? '', /^NAME\s+ENDPOINT\s+AGE\s+READY\s+STATUS\s*$/);
    const sources = await kubectl(['get', 'fluxcd-sources', '-n', ns.name, '-o', 'name']);
    assert.match(sources.stdout, /gitrepository\.source\.toolkit\.fluxcd\.io\/cols/);
  });
});
