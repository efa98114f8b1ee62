// Expressions and triggers against the real control plane: dependsOn[].readyExpr (waits, then
// Ready; invalid stalls), healthCheckExprs for a custom kind, reconciles triggered by a
// ConfigMap labelled reconcile.fluxcd.io/watch, an ExternalArtifact source, and the
// multi-tenancy options noCrossNamespaceRefs and defaultServiceAccount.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/index.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { eventually } from '../tools/eventually.ts';
import { cond, configMap, failedWith, GITREPO, isReady, KS, readyAt, startFlux, type Flux } from './harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const EXTERNAL_ARTIFACT = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'ExternalArtifact' } as const;
const stalled = (k: KubeObject) => cond(k, 'Stalled')?.status === 'True';

describe('kustomize controller: readyExpr, healthCheckExprs, watched inputs, ExternalArtifact', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-trig');
  });
  after(async () => f.stop());

  /** A Kustomization with annotations (the harness helper sets only the spec). */
  const ksWithAnnotations = (name: string, annotations: Record<string, string>, spec: Record<string, unknown>) =>
    f.client.apply({ ...KS, metadata: { name, namespace: f.ns, annotations }, spec: { interval: '10m', prune: true, ...spec } }, { fieldManager: 'test', force: true });
  /** A git repository with these files, its GitRepository, and the commit. */
  const source = async (name: string, files: Record<string, string>) => {
    const url = await f.repo(name);
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files });
    await f.gitRepository(name, url);
    return sha;
  };

  it('dependsOn readyExpr: waits until the expression holds, then applies; an invalid one stalls', async () => {
    const target = await f.namespace('ks-rexpr-app');
    const sha = await source('rexpr', { 'dep/cm.yaml': configMap('dep', { v: '1' }), 'app/cm.yaml': configMap('app', { v: '1' }) });
    const base = { sourceRef: { kind: 'GitRepository', name: 'rexpr' }, targetNamespace: target };
    // The dependency has no 'release' annotation yet: evaluating the expression fails, which
    // is "not ready" (retried), not a configuration error.
    await f.kustomization('dep', { ...base, path: './dep' });
    await f.waitKs('dep', 'Ready', readyAt(`main@sha1:${sha}`));
    const readyExpr = "dep.metadata.annotations['release'] == self.metadata.annotations['release']";
    await ksWithAnnotations('app', { release: 'v2' }, { ...base, path: './app', dependsOn: [{ name: 'dep', readyExpr }] });
    let app = await f.waitKs('app', 'DependencyNotReady', failedWith('DependencyNotReady'));
    assert.match(cond(app, 'Ready')?.message ?? '', /dependency '.*\/dep'/);
    assert.notEqual(cond(app, 'Stalled')?.status, 'True', 'an evaluation error is retried, not stalled');
    assert.match(cond(app, 'Ready')?.message ?? '', /readyExpr/);

    // Another release: still waiting (the expression is false now), and nothing was applied.
    await f.client.patch(KS, 'dep', f.ns, { metadata: { annotations: { release: 'v1' } } }, { type: 'merge' });
    await sleep(3_000);
    app = await f.waitKs('app', 'still DependencyNotReady', failedWith('DependencyNotReady'));
    assert.match(cond(app, 'Ready')?.message ?? '', /readyExpr/);
    await assert.rejects(f.client.get(CM, 'app', target), /not ?found/i);

    // The matching release: the dependent applies.
    await f.client.patch(KS, 'dep', f.ns, { metadata: { annotations: { release: 'v2' } } }, { type: 'merge' });
    await f.waitKs('app', 'Ready', readyAt(`main@sha1:${sha}`));
    assert.equal((await f.configMapData('app', target))['v'], '1');

    // A readyExpr that does not compile is a configuration error: Stalled, no retry.
    await f.kustomization('bad-expr', { ...base, path: './app', dependsOn: [{ name: 'dep', readyExpr: 'dep.metadata.name ==' }] });
    const bad = await f.waitKs('bad-expr', 'Stalled', stalled);
    assert.equal(cond(bad, 'Ready')?.status, 'False');
    assert.equal(cond(bad, 'Ready')?.reason, 'InvalidCELExpression');
    assert.match(cond(bad, 'Ready')?.message ?? '', /readyExpr.*dep\.metadata\.name ==/s);
    assert.equal(bad.status?.observedGeneration, bad.metadata.generation);
  });

  it('healthCheckExprs decide the health of a custom resource', async () => {
    const target = await f.namespace('ks-hexpr-app');
    const group = `${f.ns}.eddy.test`;
    const GADGET = { apiVersion: `${group}/v1`, kind: 'Gadget' } as const;
    await f.client.apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${group}` },
      spec: {
        group, scope: 'Namespaced', names: { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget' },
        versions: [{
          name: 'v1', served: true, storage: true, subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: {
            spec: { type: 'object', properties: { size: { type: 'integer' } } },
            status: { type: 'object', properties: { conditions: { type: 'array', items: { type: 'object', properties: {
              type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' },
            } } } } },
          } } },
        }],
      },
    }, { fieldManager: 'test', force: true });
    try {
      await eventually('Gadget served', () => f.client.list(GADGET, { namespace: target }).then(() => true), 30_000, 250);
      const setStatus = (status: string, reason: string) => f.client.patchStatus(GADGET, 'g1', target, {
        status: { conditions: [{ type: 'Ready', status, reason, message: `gadget is ${reason}` }] },
      }, { type: 'merge' });
      // The Gadget exists with a failed status before the Kustomization takes it over (status is
      // a subresource: the controller's apply leaves it alone).
      await f.client.apply({ ...GADGET, metadata: { name: 'g1', namespace: target }, spec: { size: 1 } }, { fieldManager: 'test', force: true });
      await setStatus('False', 'Broken');
      const sha = await source('hexpr', { 'gadget.yaml': `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g1\nspec:\n  size: 2\n` });
      await f.kustomization('hexpr', {
        sourceRef: { kind: 'GitRepository', name: 'hexpr' }, targetNamespace: target, wait: true, timeout: '20s', retryInterval: '2s',
        healthCheckExprs: [{
          apiVersion: `${group}/v1`, kind: 'Gadget',
          current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
          failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')",
        }],
      });
      const failed = await f.waitKs('hexpr', 'HealthCheckFailed', failedWith('HealthCheckFailed'));
      assert.equal(cond(failed, 'Healthy')?.status, 'False');
      assert.match(cond(failed, 'Ready')?.message ?? '', /Gadget/);
      assert.doesNotMatch(cond(failed, 'Ready')?.message ?? '', /timeout|timed out/i, 'failed fast, not after the timeout');
      assert.equal((await f.client.get<KubeObject & { spec: { size: number } }>(GADGET, 'g1', target)).spec.size, 2, 'applied before the check');

      await setStatus('True', 'Working');
      const ok = await f.waitKs('hexpr', 'Ready', readyAt(`main@sha1:${sha}`));
      assert.equal(cond(ok, 'Healthy')?.status, 'True');
    } finally {
      await f.client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, `gadgets.${group}`).catch(() => undefined);
    }
  });

  it('a ConfigMap labelled reconcile.fluxcd.io/watch triggers a reconcile; an unlabelled one does not', async () => {
    const target = await f.namespace('ks-watch-app');
    const sha = await source('watch', { 'cm.yaml': configMap('out', { value: '${VALUE}' }) });
    const vars = (name: string, value: string, labels: Record<string, string> = {}) =>
      f.client.apply({ ...CM, metadata: { name, namespace: f.ns, labels }, data: { VALUE: value } }, { fieldManager: 'test', force: true });
    await vars('watched-vars', 'one', { 'reconcile.fluxcd.io/watch': 'Enabled' });
    await vars('plain-vars', 'one');
    const watchedTarget = target;
    const plainTarget = await f.namespace('ks-watch-plain');
    const spec = (cm: string, ns: string) => ({ sourceRef: { kind: 'GitRepository', name: 'watch' }, targetNamespace: ns, postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: cm }] } });
    await f.kustomization('watched', spec('watched-vars', watchedTarget));
    await f.kustomization('plain', spec('plain-vars', plainTarget));
    await Promise.all(['watched', 'plain'].map((n) => f.waitKs(n, 'Ready', readyAt(`main@sha1:${sha}`))));
    assert.equal((await f.configMapData('out', watchedTarget))['value'], 'one');
    assert.equal((await f.configMapData('out', plainTarget))['value'], 'one');
    const handled = (await f.getKs('watched')).status?.lastHandledReconcileAt;

    await vars('watched-vars', 'two', { 'reconcile.fluxcd.io/watch': 'Enabled' });
    await vars('plain-vars', 'two');
    await eventually('the watched ConfigMap change applied', async () => (await f.configMapData('out', watchedTarget))['value'] === 'two', 30_000, 250);
    const watched = await f.getKs('watched');
    assert.ok(isReady(watched));
    assert.equal(watched.status?.lastHandledReconcileAt, handled, 'no requestedAt was needed');

    // The unlabelled ConfigMap's change is not seen until something else reconciles.
    await sleep(5_000);
    assert.equal((await f.configMapData('out', plainTarget))['value'], 'one');
    await f.requestReconcile('plain');
    await eventually('the plain ConfigMap change applied after requestedAt', async () => (await f.configMapData('out', plainTarget))['value'] === 'two', 30_000, 250);
  });

  it('applies an ExternalArtifact source', async () => {
    const target = await f.namespace('ks-ea-app');
    const sha = await source('ea-origin', { 'cm.yaml': configMap('from-external', { v: 'external' }) });
    type WithArtifact = KubeObject & { status?: { artifact?: { revision: string; url: string; digest: string } } };
    const repo = await eventually('GitRepository artifact', async () => {
      const r = await f.client.get<WithArtifact>(GITREPO, 'ea-origin', f.ns);
      return r.status?.artifact ? r : undefined;
    }, 60_000, 250);
    const artifact = repo.status?.artifact;
    assert.ok(artifact);
    await f.client.apply({ ...EXTERNAL_ARTIFACT, metadata: { name: 'external', namespace: f.ns }, spec: { sourceRef: { apiVersion: 'example.com/v1', kind: 'Producer', name: 'p' } } }, { fieldManager: 'test', force: true });
    await f.kustomization('external', { sourceRef: { kind: 'ExternalArtifact', name: 'external' }, targetNamespace: target, retryInterval: '2s' });
    // The new ExternalArtifact has no artifact: the Kustomization waits for it quietly (see the
    // grace test below) and is triggered when it arrives.
    await sleep(1_000);
    assert.equal(cond(await f.getKs('external'), 'Ready'), undefined);
    const now = new Date().toISOString();
    await f.client.patchStatus(EXTERNAL_ARTIFACT, 'external', f.ns, {
      status: { artifact, conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'produced', lastTransitionTime: now, observedGeneration: 1 }] },
    }, { type: 'merge' });
    const ks = await f.waitKs('external', 'Ready', readyAt(artifact.revision));
    assert.equal(ks.status?.lastAppliedRevision, `main@sha1:${sha}`);
    assert.equal((await f.configMapData('from-external', target))['v'], 'external');
  });
});

describe('kustomize controller: noCrossNamespaceRefs and defaultServiceAccount', () => {
  let shared: Flux;
  let locked: Flux;
  before(async () => {
    shared = await startFlux('ks-shared');
    locked = await startFlux('ks-locked', { noCrossNamespaceRefs: true, defaultServiceAccount: 'tenant' });
  });
  after(async () => {
    await locked.stop();
    await shared.stop();
  });

  it('a source in another namespace is AccessDenied (Stalled)', async () => {
    const url = await shared.repo('shared');
    await commitFiles(url, { branch: 'main', config: shared.git.gitConfig, files: { 'cm.yaml': configMap('x', { v: '1' }) } });
    await shared.gitRepository('shared', url);
    await locked.kustomization('cross', { sourceRef: { kind: 'GitRepository', name: 'shared', namespace: shared.ns } });
    const denied = await locked.waitKs('cross', 'AccessDenied', (k) => failedWith('AccessDenied')(k) && stalled(k));
    assert.equal(cond(denied, 'Stalled')?.reason, 'AccessDenied');
    assert.match(cond(denied, 'Ready')?.message ?? '', new RegExp(`GitRepository/${shared.ns}/shared.*cross-namespace`));
  });

  it('without serviceAccountName, the default service account is impersonated', async () => {
    const target = await locked.namespace('ks-defsa-app');
    const url = await locked.repo('tenant');
    await commitFiles(url, { branch: 'main', config: locked.git.gitConfig, files: { 'cm.yaml': configMap('tenant-cm', { v: '1' }) } });
    await locked.gitRepository('tenant', url);
    await locked.client.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tenant', namespace: locked.ns } }, { fieldManager: 'test', force: true });
    await locked.kustomization('tenant', { sourceRef: { kind: 'GitRepository', name: 'tenant' }, targetNamespace: target });
    const denied = await locked.waitKs('tenant', 'denied', failedWith('ReconciliationFailed'));
    const message = cond(denied, 'Ready')?.message ?? '';
    assert.match(message, /forbidden/i);
    assert.match(message, new RegExp(`system:serviceaccount:${locked.ns}:tenant`));
    await assert.rejects(locked.client.get(CM, 'tenant-cm', target), /not ?found/i);
  });
});

describe('kustomize controller: a new source without its first artifact', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-grace', { firstArtifactGraceMs: 4_000 });
  });
  after(async () => f.stop());

  it('writes no status during the grace, then ArtifactFailed; applies when the artifact arrives', async () => {
    const target = await f.namespace('ks-grace-app');
    // The repository does not exist yet: the GitRepository fails and has no artifact.
    await f.gitRepository('late', f.git.repoUrl('late'));
    await f.kustomization('late', { sourceRef: { kind: 'GitRepository', name: 'late' }, path: './app', targetNamespace: target });
    await sleep(1_500);
    assert.equal(cond(await f.getKs('late'), 'Ready'), undefined, 'no status write while the new source fetches');
    const waiting = await f.waitKs('late', 'ArtifactFailed after the grace', failedWith('ArtifactFailed'), 20_000);
    assert.match(cond(waiting, 'Ready')?.message ?? '', /is not ready, artifact not found/);

    const url = await f.repo('late');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app/cm.yaml': configMap('late', { v: '1' }) } });
    await f.requestReconcile('late', GITREPO);
    await f.waitKs('late', 'Ready once the artifact arrives', readyAt(`main@sha1:${sha}`));
    assert.equal((await f.configMapData('late', target))['v'], '1');
  });
});
