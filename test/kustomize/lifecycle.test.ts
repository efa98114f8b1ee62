// The whole GitOps loop from a Git source on the real control plane: create → applied and
// healthy, commit → configured, file deleted → pruned, prune-disabled survives, drift corrected,
// suspend/resume, requestedAt, and what deletion does under each deletionPolicy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectl } from '../cluster/harness.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { eventually } from '../tools/eventually.ts';
import { cond, configMap, deployment, exists as objectExists, KS, managedBy, readyAt, startFlux, type Flux, type Ks } from './harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

describe('kustomize controller: lifecycle from Git', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-life');
  });
  after(async () => f.stop());

  const exists = (ref: { apiVersion: string; kind: string }, name: string, ns: string) => objectExists(f.client, ref, name, ns);

  it('applies, configures, prunes, keeps prune-disabled objects and corrects drift', async () => {
    const target = await f.namespace('ks-life-app');
    const url = await f.repo('app');
    const sha1 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: {
      'deploy/app.yaml': deployment('web', { replicas: 2 }),
      'deploy/settings.yaml': configMap('settings', { color: 'blue' }),
      'deploy/keep.yaml': configMap('keep', { a: '1' }, { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } }),
      'deploy/extra.yaml': configMap('extra', { b: '2' }),
    } });
    await f.gitRepository('app', url);
    await f.kustomization('app', { sourceRef: { kind: 'GitRepository', name: 'app' }, path: './deploy', targetNamespace: target, wait: true, timeout: '2m' });
    let ks = await f.waitKs('app', 'Ready at the first commit', readyAt(`main@sha1:${sha1}`), 120_000);
    assert.equal(cond(ks, 'Ready')?.reason, 'ReconciliationSucceeded');
    assert.equal(cond(ks, 'Ready')?.message, `Applied revision: main@sha1:${sha1}`);
    assert.equal(cond(ks, 'Healthy')?.status, 'True');
    assert.deepEqual(ks.status?.inventory?.entries.map((e) => e.id).sort(), [
      `${target}_extra__ConfigMap`, `${target}_keep__ConfigMap`, `${target}_settings__ConfigMap`, `${target}_web_apps_Deployment`,
    ]);
    const web = await f.client.get(DEPLOY, 'web', target);
    assert.equal(web.metadata.labels?.['kustomize.toolkit.fluxcd.io/name'], 'app');
    assert.equal(web.metadata.labels?.['kustomize.toolkit.fluxcd.io/namespace'], f.ns);
    assert.equal((web['status'] as { availableReplicas?: number }).availableReplicas, 2, 'wait: the rollout finished before Ready');
    assert.ok(managedBy(web, 'kustomize-controller'));

    // A commit that changes one object, deletes two files.
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: {
      'deploy/settings.yaml': configMap('settings', { color: 'green' }), 'deploy/keep.yaml': null, 'deploy/extra.yaml': null,
    } });
    await f.requestReconcile('app', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' });
    ks = await f.waitKs('app', 'Ready at the second commit', readyAt(`main@sha1:${sha2}`), 120_000);
    const settings = await f.client.get(CM, 'settings', target);
    assert.equal((settings['data'] as Record<string, string>)['color'], 'green');
    assert.equal(await exists(CM, 'extra', target), false, 'removed from Git → pruned');
    assert.equal(await exists(CM, 'keep', target), true, 'prune: disabled survives');
    assert.equal(ks.status?.inventory?.entries.length, 2);

    // Drift: an edit with kubectl is undone at the next reconcile.
    await kubectl(['-n', target, 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"color":"red"}}']);
    await kubectl(['-n', target, 'scale', 'deployment', 'web', '--replicas=5']);
    await f.requestReconcile('app');
    await eventually('drift corrected', async () => {
      const cm = await f.client.get(CM, 'settings', target);
      const d = await f.client.get(DEPLOY, 'web', target);
      return (cm['data'] as Record<string, string>)['color'] === 'green' && (d['spec'] as { replicas: number }).replicas === 2;
    }, 60_000);
  });

  it('suspend stops reconciling, resume and requestedAt restart it', async () => {
    const target = await f.namespace('ks-susp-app');
    const url = await f.repo('susp');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'cm.yaml': configMap('one', { v: '1' }) } });
    await f.gitRepository('susp', url);
    await f.kustomization('susp', { sourceRef: { kind: 'GitRepository', name: 'susp' }, targetNamespace: target });
    await f.waitKs('susp', 'Ready', readyAt(`main@sha1:${sha}`));
    await f.kustomization('susp', { sourceRef: { kind: 'GitRepository', name: 'susp' }, targetNamespace: target, suspend: true });
    await kubectl(['-n', target, 'patch', 'configmap', 'one', '--type=merge', '-p', '{"data":{"v":"drifted"}}']);
    await f.requestReconcile('susp');
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(((await f.client.get(CM, 'one', target))['data'] as Record<string, string>)['v'], 'drifted', 'suspended: drift stays');
    await f.kustomization('susp', { sourceRef: { kind: 'GitRepository', name: 'susp' }, targetNamespace: target, suspend: false });
    await eventually('resumed: drift corrected', async () => ((await f.client.get(CM, 'one', target))['data'] as Record<string, string>)['v'] === '1', 60_000);
    await f.client.patch(KS, 'susp', f.ns, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'now-1' } } }, { type: 'merge' });
    await f.waitKs('susp', 'handled requestedAt', (k: Ks) => k.status?.lastHandledReconcileAt === 'now-1');
  });

  it('deletionPolicy: MirrorPrune and Delete remove objects, Orphan keeps them, WaitForTermination waits', async () => {
    const cases = [
      { policy: 'MirrorPrune', prune: true, kept: false },
      { policy: 'MirrorPrune', prune: false, kept: true },
      { policy: 'Delete', prune: false, kept: false },
      { policy: 'Orphan', prune: true, kept: true },
      { policy: 'WaitForTermination', prune: true, kept: false },
    ];
    const url = await f.repo('del');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'cm.yaml': configMap('obj', { v: '1' }) } });
    await f.gitRepository('del', url);
    const targets = await Promise.all(cases.map((_, i) => f.namespace(`ks-del-${i}`)));
    await Promise.all(cases.map((c, i) => f.kustomization(`del-${i}`, { sourceRef: { kind: 'GitRepository', name: 'del' }, targetNamespace: targets[i], prune: c.prune, deletionPolicy: c.policy })));
    await Promise.all(cases.map((_, i) => f.waitKs(`del-${i}`, 'Ready', readyAt(`main@sha1:${sha}`))));
    for (let i = 0; i < cases.length; i++) await f.client.delete(KS, `del-${i}`, f.ns);
    for (let i = 0; i < cases.length; i++) {
      await eventually(`del-${i} gone`, async () => !(await exists(KS, `del-${i}`, f.ns)), 60_000);
      assert.equal(await exists(CM, 'obj', targets[i] ?? ''), cases[i]?.kept, `${cases[i]?.policy} prune=${String(cases[i]?.prune)}`);
    }
  });
});
