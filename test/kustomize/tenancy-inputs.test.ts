// Inputs and tenancy: post-build substitution from inline values, a ConfigMap and a Secret;
// impersonation of a service account (allowed, then denied); a second cluster via kubeConfig.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/index.ts';
import { startPrivateCluster } from '../cluster/harness.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { cond, configMap, failedWith, managedBy, readyAt, startFlux, type Flux } from './harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

describe('kustomize controller: substitution, impersonation, remote clusters', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-ten');
  });
  after(async () => f.stop());


  it('substitutes ${var} and ${var:=default} from substitute, a ConfigMap and a Secret', async () => {
    const target = await f.namespace('ks-subst-app');
    const url = await f.repo('subst');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: {
      'cm.yaml': configMap('vars', { env: '${ENV}', region: '${REGION}', token: '${TOKEN}', tier: '${TIER:=standard}' }),
      'raw.yaml': configMap('raw', { text: '${NOT_SET}' }, { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } }),
    } });
    await f.client.apply({ ...CM, metadata: { name: 'cluster-vars', namespace: f.ns }, data: { REGION: 'eu-1', ENV: 'from-configmap' } }, { fieldManager: 'test', force: true });
    await f.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-secrets', namespace: f.ns }, stringData: { TOKEN: 's3cr3t' } }, { fieldManager: 'test', force: true });
    await f.gitRepository('subst', url);
    await f.kustomization('subst', {
      sourceRef: { kind: 'GitRepository', name: 'subst' }, targetNamespace: target,
      postBuild: {
        substitute: { ENV: 'production' },
        substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'cluster-secrets' }, { kind: 'ConfigMap', name: 'absent', optional: true }],
      },
    });
    await f.waitKs('subst', 'Ready', readyAt(`main@sha1:${sha}`));
    const vars = await f.configMapData('vars', target);
    assert.deepEqual({ ...vars }, { env: 'production', region: 'eu-1', token: 's3cr3t', tier: 'standard' });
    assert.equal((await f.configMapData('raw', target))['text'], '${NOT_SET}', 'substitute: disabled is left alone');

    // Strict: a variable without value or default fails the build without echoing values.
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'more.yaml': configMap('more', { x: '${MISSING_VAR}', y: '${TOKEN}' }) } });
    await f.requestReconcile('subst', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' });
    const failed = await f.waitKs('subst', 'BuildFailed', (k) => failedWith('BuildFailed')(k) && k.status?.lastAttemptedRevision === `main@sha1:${sha2}`);
    assert.match(cond(failed, 'Ready')?.message ?? '', /MISSING_VAR/);
    assert.doesNotMatch(JSON.stringify(failed.status), /s3cr3t/);
  });

  it('impersonates spec.serviceAccountName: allowed by RBAC, then denied', async () => {
    const target = await f.namespace('ks-imp-app');
    const url = await f.repo('imp');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'cm.yaml': configMap('tenant', { v: '1' }) } });
    await f.client.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: f.ns } }, { fieldManager: 'test', force: true });
    await f.client.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'deployer', namespace: target },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: f.ns }],
    }, { fieldManager: 'test', force: true });
    await f.gitRepository('imp', url);
    await f.kustomization('imp', { sourceRef: { kind: 'GitRepository', name: 'imp' }, targetNamespace: target, serviceAccountName: 'deployer' });
    await f.waitKs('imp', 'Ready', readyAt(`main@sha1:${sha}`));
    const cm = await f.client.get(CM, 'tenant', target);
    assert.ok(managedBy(cm, 'kustomize-controller'));

    const other = await f.namespace('ks-imp-denied');
    await f.kustomization('imp-denied', { sourceRef: { kind: 'GitRepository', name: 'imp' }, targetNamespace: other, serviceAccountName: 'deployer' });
    const denied = await f.waitKs('imp-denied', 'denied', failedWith('ReconciliationFailed'));
    assert.match(cond(denied, 'Ready')?.message ?? '', /forbidden/i);
    assert.match(cond(denied, 'Ready')?.message ?? '', new RegExp(`system:serviceaccount:${f.ns}:deployer`));
  });

  it('applies to a second cluster through spec.kubeConfig.secretRef; file references are refused', async () => {
    const remote = await startPrivateCluster('ks-remote');
    try {
      const kubeconfig = await readFile(remote.kubeconfig, 'utf8');
      await f.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'remote-kubeconfig', namespace: f.ns }, stringData: { value: kubeconfig } }, { fieldManager: 'test', force: true });
      const url = await f.repo('remote');
      const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'cm.yaml': configMap('remote-cm', { where: 'remote' }) } });
      await f.gitRepository('remote', url);
      await f.kustomization('remote', { sourceRef: { kind: 'GitRepository', name: 'remote' }, targetNamespace: 'default', kubeConfig: { secretRef: { name: 'remote-kubeconfig' } } });
      await f.waitKs('remote', 'Ready', readyAt(`main@sha1:${sha}`), 90_000);
      const rc = KubeClient.fromKubeconfig({ kubeconfig: remote.kubeconfig });
      try {
        const cm = await rc.get(CM, 'remote-cm', 'default');
        assert.equal((cm['data'] as Record<string, string>)['where'], 'remote');
      } finally {
        await rc.close();
      }
      const withFile = kubeconfig.replace(/client-key-data: .*/, 'client-key: /etc/shadow');
      await f.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-kubeconfig', namespace: f.ns }, stringData: { value: withFile } }, { fieldManager: 'test', force: true });
      await f.kustomization('remote-bad', { sourceRef: { kind: 'GitRepository', name: 'remote' }, targetNamespace: 'default', kubeConfig: { secretRef: { name: 'bad-kubeconfig' } } });
      const bad = await f.waitKs('remote-bad', 'refused', (k) => cond(k, 'Stalled')?.status === 'True');
      assert.match(cond(bad, 'Ready')?.message ?? '', /local file/);
    } finally {
      await remote.stop();
    }
  });
});
