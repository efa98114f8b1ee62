// The resource manager's apply against the real control plane: drift-aware writes, stages,
// immutable fields, field-manager cleanup and the per-object policies.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/index.ts';
import { ApplyError, ResourceManager, kustomizeApplyOptions } from '../../src/ssa/index.ts';
import { createNamespace, kubectl, kubectlJson } from '../cluster/harness.ts';
import { CountingClient, configMap, deployment } from './fixtures.ts';

const FM = 'eddy-ssa-test';
const KS = 'kustomize.toolkit.fluxcd.io';

describe('ResourceManager apply', { concurrency: true }, () => {
  let client: CountingClient;
  let manager: ResourceManager;
  const namespaces: { remove: () => Promise<void> }[] = [];
  const ns = async (prefix: string) => {
    const n = await createNamespace(prefix);
    namespaces.push(n);
    return n.name;
  };
  before(() => {
    client = CountingClient.connect();
    manager = new ResourceManager({ client, fieldManager: FM });
  });
  after(async () => {
    await Promise.all(namespaces.map((n) => n.remove()));
    await client.close();
  });

  it('creates, leaves unchanged objects unwritten (get + dry-run only), configures drift', async () => {
    const n = await ns('ssa-cycle');
    const cm = configMap(n, 'settings', { a: '1' });
    const first = await manager.applyAll([cm, deployment(n, 'web')]);
    assert.equal(first.summary(), `ConfigMap/${n}/settings created\nDeployment/${n}/web created`);
    const rv = (await client.get(cm, 'settings', n)).metadata.resourceVersion;

    // A separate client, so the count below is exactly what one no-op apply costs.
    const counting = CountingClient.connect();
    const m2 = new ResourceManager({ client: counting, fieldManager: FM });
    const again = await m2.applyAll([cm, deployment(n, 'web')]);
    assert.deepEqual(Object.values(again.toMap()), ['unchanged', 'unchanged']);
    assert.deepEqual(counting.calls, { get: 2, dryRun: 2, apply: 0, patch: 0, delete: 0 }, 'two calls per unchanged object');
    await counting.close();
    assert.equal((await client.get(cm, 'settings', n)).metadata.resourceVersion, rv, 'no write, no new resourceVersion');

    const changed = await manager.apply(configMap(n, 'settings', { a: '2' }, { labels: { tier: 'x' } }));
    assert.equal(changed.action, 'configured');
    assert.equal(changed.subject, `ConfigMap/${n}/settings`);
    const live = await client.get(cm, 'settings', n);
    assert.deepEqual(live['data'], { a: '2' });
    assert.equal(live.metadata.labels?.['tier'], 'x');
  });

  it('reads an object not expected to exist only when its dry-run finds it', async () => {
    const n = await ns('ssa-mayexist');
    const cm = configMap(n, 'fresh', { a: '1' });
    const unexpected = { mayExist: () => false };
    const counting = CountingClient.connect();
    const m = new ResourceManager({ client: counting, fieldManager: FM });
    const created = await m.applyAll([cm], unexpected);
    assert.equal(created.summary(), `ConfigMap/${n}/fresh created`);
    assert.deepEqual(counting.calls, { get: 0, dryRun: 1, apply: 1, patch: 0, delete: 0 }, 'a new object costs no read');

    // It exists now though not expected: the dry-run's resourceVersion gives that away, so it is
    // read and compared (unchanged, then drift configured), never reported as created.
    const again = await m.applyAll([cm], unexpected);
    assert.equal(again.summary(), `ConfigMap/${n}/fresh unchanged`);
    assert.deepEqual(counting.calls, { get: 1, dryRun: 2, apply: 1, patch: 0, delete: 0 });
    await kubectl(['-n', n, 'annotate', 'configmap', 'fresh', `${KS}/ssa=Ignore`]);
    const skipped = await m.applyAll([configMap(n, 'fresh', { a: '2' })], { ...kustomizeApplyOptions(FM), ...unexpected });
    assert.equal(skipped.summary(), `ConfigMap/${n}/fresh skipped`, 'the live object\'s ssa: Ignore still counts');
    await counting.close();
  });

  it('applies a Namespace, a CRD and its custom resources in one staged call', async () => {
    const suffix = randomBytes(3).toString('hex');
    const group = `ssa${suffix}.eddy.test`;
    const nsName = `ssa-staged-${suffix}`;
    namespaces.push({ remove: async () => { await kubectl(['delete', 'namespace', nsName, '--wait=false', '--ignore-not-found']); } });
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group, scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const widget = (name: string, size: number): KubeObject => ({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name, namespace: nsName }, spec: { size } });
    try {
      const objs = [widget('w1', 1), configMap(nsName, 'c', { k: 'v' }), widget('w2', 2), crd, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName } }];
      const cs = await manager.applyAllStaged(objs, { waitIntervalMs: 200 });
      assert.deepEqual(cs.entries.map((e) => `${e.subject} ${e.action}`), [
        `CustomResourceDefinition/widgets.${group} created`, `Namespace/${nsName} created`,
        `ConfigMap/${nsName}/c created`, `Widget/${nsName}/w1 created`, `Widget/${nsName}/w2 created`,
      ]);
      const again = await manager.applyAllStaged(objs);
      assert.ok(again.entries.every((e) => e.action === 'unchanged'), again.summary());
      const w = await client.get({ apiVersion: `${group}/v1`, kind: 'Widget' }, 'w2', nsName);
      assert.deepEqual(w['spec'], { size: 2 });
    } finally {
      await kubectl(['delete', 'crd', `widgets.${group}`, '--wait=false', '--ignore-not-found']);
    }
  });

  it('refuses an immutable change with a typed error and touches nothing; force recreates', async () => {
    const n = await ns('ssa-immutable');
    await manager.apply(deployment(n, 'web', { selector: 'v1' }));
    const uid = (await client.get(deployment(n, 'web'), 'web', n)).metadata.uid;

    const err = await manager.applyAll([deployment(n, 'web', { selector: 'v2' }), configMap(n, 'not-yet', { a: 'b' })]).then(
      () => assert.fail('expected an ApplyError'), (e: unknown) => e,
    );
    assert.ok(err instanceof ApplyError, String(err));
    assert.equal(err.reason, 'ImmutableField');
    assert.equal(err.apiReason, 'Invalid');
    assert.match(err.message, new RegExp(`^Deployment/${n}/web dry-run failed \\(Invalid\\): .*spec\\.selector.*immutable`));
    assert.ok(err.fields.includes('spec.selector'), err.fields.join(','));
    assert.equal((await client.get(deployment(n, 'web'), 'web', n)).metadata.uid, uid, 'original untouched');
    await assert.rejects(client.get(configMap(n, 'x', {}), 'not-yet', n), /not found/, 'nothing in the stage was written');

    const forced = await manager.apply(deployment(n, 'web', { selector: 'v2' }), { force: true, waitIntervalMs: 200 });
    assert.equal(forced.action, 'created');
    const recreated = await client.get(deployment(n, 'web'), 'web', n);
    assert.notEqual(recreated.metadata.uid, uid);

    // Per-object force through the annotation (Flux: kustomize.toolkit.fluxcd.io/force: Enabled).
    const opts = { ...kustomizeApplyOptions(FM), waitIntervalMs: 200 };
    const byAnnotation = await manager.apply(deployment(n, 'web', { selector: 'v3', annotations: { [`${KS}/force`]: 'Enabled' } }), opts);
    assert.equal(byAnnotation.action, 'created');
    assert.notEqual((await client.get(deployment(n, 'web'), 'web', n)).metadata.uid, recreated.metadata.uid);
  });

  it('keeps Secret values out of errors, and force recreates an immutable Secret', async () => {
    const n = await ns('ssa-secret');
    const secret = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: n }, immutable: true, stringData: { password: v } });
    await manager.apply(secret('first-value-1234'));
    const err = await manager.apply(secret('second-value-5678')).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ApplyError && err.reason === 'ImmutableField', String(err));
    const everything = JSON.stringify({ message: err.message, cause: String(err.cause), status: (err.cause as { status?: unknown }).status });
    for (const v of ['first-value-1234', 'second-value-5678', Buffer.from('second-value-5678').toString('base64')]) {
      assert.ok(!everything.includes(v), `${v} leaked: ${everything}`);
    }
    assert.equal((await manager.apply(secret('second-value-5678'), { force: true, waitIntervalMs: 200 })).action, 'created');
  });

  it('takes over from kubectl client-side apply: its extra label is removed, unless ssa: Merge', async () => {
    const n = await ns('ssa-cleanup');
    const opts = kustomizeApplyOptions(FM);
    const manifest = (name: string, annotations: Record<string, string> = {}) => JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: n, labels: { extra: 'kubectl', app: 'a' }, annotations }, data: { a: '1' },
    });
    await kubectl(['apply', '-f', '-'], { input: manifest('override') });
    await kubectl(['apply', '-f', '-'], { input: manifest('merge', { [`${KS}/ssa`]: 'Merge' }) });

    const cs = await manager.applyAll([
      configMap(n, 'override', { a: '1' }, { labels: { app: 'a' } }),
      configMap(n, 'merge', { a: '1' }, { labels: { app: 'a' }, annotations: { [`${KS}/ssa`]: 'Merge' } }),
    ], opts);
    // Merge: nothing to clean and no drift (the values we set are already there), so no write.
    assert.deepEqual(cs.toMap(), { [`ConfigMap/${n}/merge`]: 'unchanged', [`ConfigMap/${n}/override`]: 'configured' });

    type Live = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; managedFields: { manager: string }[] } };
    const over = await kubectlJson<Live>(['get', 'configmap', 'override', '-n', n, '--show-managed-fields']);
    assert.deepEqual(over.metadata.labels, { app: 'a' }, 'kubectl-only label removed');
    assert.equal(over.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    assert.deepEqual(over.metadata.managedFields.map((m) => m.manager), [FM]);
    const merged = await kubectlJson<Live>(['get', 'configmap', 'merge', '-n', n]);
    assert.equal(merged.metadata.labels?.['extra'], 'kubectl', 'ssa: Merge keeps fields of other managers');

    // Steady state afterwards.
    const again = await manager.apply(configMap(n, 'override', { a: '1' }, { labels: { app: 'a' } }), opts);
    assert.equal(again.action, 'unchanged');

    // kubectl edit/patch-style drift is corrected by the next apply.
    await kubectl(['patch', 'configmap', 'override', '-n', n, '--type=merge', '-p', '{"data":{"a":"edited"},"metadata":{"labels":{"sneaky":"yes"}}}']);
    const fixed = await manager.apply(configMap(n, 'override', { a: '1' }, { labels: { app: 'a' } }), opts);
    assert.equal(fixed.action, 'configured');
    const live = await kubectlJson<Live & { data: Record<string, string> }>(['get', 'configmap', 'override', '-n', n]);
    assert.deepEqual(live.data, { a: '1' });
    assert.deepEqual(live.metadata.labels, { app: 'a' });
  });

  it('honours IfNotPresent and Ignore, and rejects objects it cannot place', async () => {
    const n = await ns('ssa-policies');
    const opts = kustomizeApplyOptions(FM);
    const once = configMap(n, 'once', { a: 'first' }, { annotations: { [`${KS}/ssa`]: 'IfNotPresent' } });
    assert.equal((await manager.apply(once, opts)).action, 'created');
    const changedOnce = configMap(n, 'once', { a: 'second' }, { annotations: { [`${KS}/ssa`]: 'IfNotPresent' } });
    assert.equal((await manager.apply(changedOnce, opts)).action, 'skipped');
    assert.deepEqual((await client.get(once, 'once', n))['data'], { a: 'first' });

    const ignored = configMap(n, 'ignored', { a: 'b' }, { annotations: { [`${KS}/ssa`]: 'Ignore' } });
    assert.equal((await manager.apply(ignored, opts)).action, 'skipped');
    await assert.rejects(client.get(ignored, 'ignored', n), /not found/);
    const disabled = configMap(n, 'disabled', { a: 'b' }, { labels: { [`${KS}/reconcile`]: 'disabled' } });
    assert.equal((await manager.apply(disabled, opts)).action, 'skipped');

    const noNs: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lost' }, data: {} };
    await assert.rejects(manager.apply(noNs), (e: unknown) => e instanceof ApplyError && e.reason === 'NamespaceNotSpecified' && e.message.startsWith('ConfigMap/lost namespace not specified'));

    const unknown: KubeObject = { apiVersion: 'nothing.eddy.test/v1', kind: 'Gadget', metadata: { name: 'g', namespace: n } };
    const err = await manager.applyAllStaged([configMap(n, 'sibling', { a: 'b' }), unknown]).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ApplyError && err.reason === 'UnknownKind', String(err));
    assert.match(err.message, /Gadget\/.*no matches for kind "Gadget" in version "nothing.eddy.test\/v1"/);
    await assert.rejects(client.get(configMap(n, 'x', {}), 'sibling', n), /not found/, 'the stage was not half-applied');
  });

  it('diffs without writing, masking Secret values', async () => {
    const n = await ns('ssa-diff');
    const secret = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: n }, stringData: { password: v, user: 'admin' } });
    assert.equal((await manager.diff(secret('one'))).entry.action, 'created');
    await manager.apply(secret('one'));
    const same = await manager.diff(secret('one'));
    assert.equal(same.entry.action, 'unchanged');
    const d = await manager.diff(secret('two'));
    assert.equal(d.entry.action, 'configured');
    assert.deepEqual(d.dryRun?.['data'], { password: '*** (after)', user: '***' });
    assert.deepEqual(d.existing?.['data'], { password: '*** (before)', user: '***' });
    const live = await client.get(secret('x'), 's', n);
    assert.equal(Buffer.from((live['data'] as Record<string, string>)['password'] ?? '', 'base64').toString(), 'one');
  });
});
