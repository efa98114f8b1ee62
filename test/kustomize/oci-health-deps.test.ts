// From an OCI source: lifecycle with origin revision, a CRD and its custom resources in one
// source, dependsOn ordering across three Kustomizations, a failing rollout reported as
// HealthCheckFailed and its recovery, a health check cancelled by a new revision.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound } from '../../src/kube/index.ts';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry.ts';
import { eventually } from '../tools/eventually.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { pushArtifact } from '../tools/oci-push.ts';
import { cond, configMap, deployment, failedWith, isReady, OCIREPO, readyAt, startFlux, type Flux } from './harness.ts';

describe('kustomize controller: OCI sources, CRDs, dependencies, health', () => {
  let f: Flux;
  let registry: OciRegistry;
  before(async () => {
    f = await startFlux('ks-oci', { artifactsOverHttp: true });
    registry = await startOciRegistry();
  });
  after(async () => {
    await f.stop();
    await registry.stop();
  });

  const push = (repository: string, tag: string, files: Record<string, string>, revision = 'main@sha1:1111111111111111111111111111111111111111') =>
    pushArtifact({ registryUrl: registry.url, repository, tag, files, source: 'https://example.com/app.git', revision });
  const ociRepository = (name: string, repository: string) =>
    f.client.apply({ ...OCIREPO, metadata: { name, namespace: f.ns }, spec: { url: `oci://${registry.host}/${repository}`, interval: '10m', insecure: true, ref: { tag: 'latest' } } }, { fieldManager: 'test', force: true });

  it('applies an OCI artifact, records the origin revision, updates on a new push', async () => {
    const target = await f.namespace('ks-oci-app');
    const first = await push('app/oci', 'latest', { 'cm.yaml': configMap('cfg', { v: '1' }) });
    await ociRepository('oci', 'app/oci');
    await f.kustomization('oci', { sourceRef: { kind: 'OCIRepository', name: 'oci' }, targetNamespace: target });
    let ks = await f.waitKs('oci', 'Ready', readyAt(`latest@${first.digest}`));
    assert.equal(ks.status?.lastAppliedOriginRevision, 'main@sha1:1111111111111111111111111111111111111111');
    const second = await push('app/oci', 'latest', { 'cm.yaml': configMap('cfg', { v: '2' }) }, 'main@sha1:2222222222222222222222222222222222222222');
    await f.requestReconcile('oci', OCIREPO);
    ks = await f.waitKs('oci', 'Ready at the new digest', readyAt(`latest@${second.digest}`));
    assert.equal(ks.status?.lastAppliedOriginRevision, 'main@sha1:2222222222222222222222222222222222222222');
    const cm = await f.client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cfg', target);
    assert.equal((cm['data'] as Record<string, string>)['v'], '2');
    assert.ok((ks.status?.history?.length ?? 0) >= 2, 'history records both digests');
  });

  it('a CRD and its custom resources in one source are applied in stages', async () => {
    const target = await f.namespace('ks-crd-app');
    const group = `${f.ns}.eddy.test`;
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;
    const cr = `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n`;
    const pushed = await push('app/crd', 'latest', { 'crd.yaml': crd, 'widget.yaml': cr });
    await ociRepository('crd', 'app/crd');
    await f.kustomization('crd', { sourceRef: { kind: 'OCIRepository', name: 'crd' }, targetNamespace: target });
    const ks = await f.waitKs('crd', 'Ready', readyAt(`latest@${pushed.digest}`));
    assert.ok(ks.status?.inventory?.entries.some((e) => e.id === `_widgets.${group}_apiextensions.k8s.io_CustomResourceDefinition`));
    const w = await f.client.get({ apiVersion: `${group}/v1`, kind: 'Widget' }, 'w1', target);
    assert.equal((w['spec'] as { size: number }).size, 3);
    await f.client.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' }, 'crd', f.ns);
    await f.waitKs('crd', 'deleted', () => false, 1).catch(() => undefined);
  });

  it('dependsOn: three Kustomizations apply in order', async () => {
    const target = await f.namespace('ks-deps-app');
    const url = await f.repo('deps');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: {
      'a/app.yaml': deployment('first', { replicas: 1 }), 'b/cm.yaml': configMap('second', { v: '1' }), 'c/cm.yaml': configMap('third', { v: '1' }),
    } });
    await f.gitRepository('deps', url);
    const base = { sourceRef: { kind: 'GitRepository', name: 'deps' }, targetNamespace: target };
    await f.kustomization('c', { ...base, path: './c', dependsOn: [{ name: 'b' }] });
    await f.kustomization('b', { ...base, path: './b', dependsOn: [{ name: 'a' }] });
    const c = await f.waitKs('c', 'waiting on b', failedWith('DependencyNotReady'));
    assert.match(cond(c, 'Ready')?.message ?? '', /dependency '.*\/b'/);
    await f.kustomization('a', { ...base, path: './a', wait: true, timeout: '2m' });
    const [a, b, cc] = await Promise.all(['a', 'b', 'c'].map((n) => f.waitKs(n, 'Ready', readyAt(`main@sha1:${sha}`), 120_000)));
    const readyTime = (k: typeof a) => Date.parse(cond(k, 'Ready')?.lastTransitionTime ?? '');
    assert.ok(readyTime(a) <= readyTime(b) && readyTime(b) <= readyTime(cc), 'Ready in dependency order');
    const created = async (name: string) => Date.parse((await f.client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, name, target)).metadata.creationTimestamp ?? '');
    assert.ok(readyTime(a) <= await created('second'), 'b applied only after a was Ready');
  });

  it('a failing rollout is HealthCheckFailed, a fix recovers it', async () => {
    const target = await f.namespace('ks-health-app');
    const url = await f.repo('health');
    const broken = deployment('stuck', { replicas: 1 }).replace('    spec:\n', '    spec:\n      nodeSelector:\n        eddy.test/none: "true"\n').replace('spec:\n  replicas', 'spec:\n  progressDeadlineSeconds: 3\n  replicas');
    const sha1 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app.yaml': broken } });
    await f.gitRepository('health', url);
    await f.kustomization('health', { sourceRef: { kind: 'GitRepository', name: 'health' }, targetNamespace: target, wait: true, timeout: '40s', retryInterval: '2s' });
    const failed = await f.waitKs('health', 'HealthCheckFailed', failedWith('HealthCheckFailed'), 90_000);
    assert.equal(cond(failed, 'Healthy')?.status, 'False');
    assert.equal(failed.status?.lastAttemptedRevision, `main@sha1:${sha1}`);
    assert.notEqual(failed.status?.lastAppliedRevision, `main@sha1:${sha1}`);
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app.yaml': deployment('stuck', { replicas: 1 }) } });
    await f.requestReconcile('health', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' });
    const ok = await f.waitKs('health', 'recovered', readyAt(`main@sha1:${sha2}`), 120_000);
    assert.equal(cond(ok, 'Healthy')?.status, 'True');
    assert.ok(isReady(ok));
    await f.client.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'stuck', target).catch((e: unknown) => assert.fail(isNotFound(e) ? 'deployment missing' : String(e)));
  });

  it('a new revision cancels a health check still waiting on the old one', async () => {
    const target = await f.namespace('ks-cancel-app');
    const url = await f.repo('cancel');
    // Never scheduled, and no progress deadline to fail on: the check would wait out its 5 m.
    const stuck = deployment('waits', { replicas: 1 }).replace('    spec:\n', '    spec:\n      nodeSelector:\n        eddy.test/none: "true"\n');
    await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app.yaml': stuck } });
    await f.gitRepository('cancel', url);
    await f.kustomization('cancel', { sourceRef: { kind: 'GitRepository', name: 'cancel' }, targetNamespace: target, wait: true, timeout: '5m', retryInterval: '2s' });
    await eventually('the stuck Deployment applied', () => f.client.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'waits', target).then(() => true), 60_000);
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app.yaml': deployment('waits', { replicas: 1 }) } });
    const fixedAt = Date.now();
    await f.requestReconcile('cancel', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' });
    const ok = await f.waitKs('cancel', 'the new revision applied', readyAt(`main@sha1:${sha2}`), 90_000);
    assert.ok(Date.now() - fixedAt < 90_000, 'well inside the old check\'s 5 m timeout');
    assert.equal(cond(ok, 'Healthy')?.status, 'True');
    const canceled = (await f.events('cancel')).find((e) => e.reason === 'HealthCheckCanceled');
    assert.ok(canceled, 'a HealthCheckCanceled event');
    assert.equal(canceled.type, 'Normal');
    assert.match(canceled.note, new RegExp(`^Health checks canceled due to new reconciliation triggered by GitRepository/${f.ns}/cancel$`));
  });
});
