// waitForSet on workloads the local control plane really runs (KWOK nodes), and deleteAll
// with owner labels and prune: Disabled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ResourceManager, WaitError, objMetadataOf } from '../../src/ssa/index.ts';
import { createNamespace } from '../cluster/harness.ts';
import { CountingClient, configMap, deployment } from './fixtures.ts';

const FM = 'eddy-ssa-test';

describe('ResourceManager wait and delete', { concurrency: true }, () => {
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
    manager = new ResourceManager({ client, fieldManager: FM, owner: { group: 'kustomize.toolkit.fluxcd.io', name: 'apps', namespace: 'flux-system' } });
  });
  after(async () => {
    await Promise.all(namespaces.map((n) => n.remove()));
    await client.close();
  });

  it('waits until a Deployment is Available', async () => {
    const n = await ns('ssa-wait-ok');
    const d = deployment(n, 'web', { replicas: 2 });
    await manager.apply(d);
    const started = Date.now();
    await manager.waitForSet([objMetadataOf(d)], { intervalMs: 500, timeoutMs: 60_000 });
    const live = await client.get(d, 'web', n);
    assert.equal((live['status'] as { availableReplicas?: number }).availableReplicas, 2);
    assert.ok(Date.now() - started < 60_000);

    // A missing object is never Current: the wait times out naming it NotFound.
    const missing = await manager.waitForSet([objMetadataOf(configMap(n, 'absent', {}))], { intervalMs: 200, timeoutMs: 500 }).then(() => undefined, (e: unknown) => e);
    assert.ok(missing instanceof WaitError && missing.reason === 'Timeout', String(missing));
    assert.equal(missing.statuses[0]?.status, 'NotFound');
  });

  it('fails fast on a Deployment past its progress deadline, times out without failFast, aborts on signal', async () => {
    const n = await ns('ssa-wait-fail');
    // Pods that can never be scheduled, and a 1 s deadline: Progressing=False ProgressDeadlineExceeded.
    const stuck = deployment(n, 'stuck', { nodeSelector: { 'eddy.test/none': 'true' }, progressDeadlineSeconds: 1 });
    const ok = configMap(n, 'fine', { a: 'b' });
    await manager.applyAll([stuck, ok]);
    const set = [objMetadataOf(stuck), objMetadataOf(ok)];

    const started = Date.now();
    const failed = await manager.waitForSet(set, { intervalMs: 500, timeoutMs: 60_000, failFast: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(failed instanceof WaitError, String(failed));
    assert.equal(failed.reason, 'Failed');
    assert.deepEqual(failed.statuses.map((s) => [s.subject, s.status]), [[`Deployment/${n}/stuck`, 'Failed']]);
    assert.match(failed.message, new RegExp(`^failed early due to stalled resources: \\[Deployment/${n}/stuck status: 'Failed': Progress deadline exceeded\\]`));
    assert.ok(Date.now() - started < 30_000, 'well before the timeout');

    const timedOut = await manager.waitForSet(set, { intervalMs: 300, timeoutMs: 1_000, statusOverride: () => ({ status: 'InProgress', message: 'custom check' }) })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(timedOut instanceof WaitError && timedOut.reason === 'Timeout', String(timedOut));
    assert.equal(timedOut.statuses.length, 2, 'every object not Current is listed');
    assert.ok(timedOut.statuses.every((s) => s.message === 'custom check'));

    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('new revision')), 300);
    const aborted = await manager.waitForSet([objMetadataOf(stuck)], { intervalMs: 5_000, timeoutMs: 60_000, signal: ctl.signal }).then(() => undefined, (e: unknown) => e);
    assert.ok(aborted instanceof WaitError && aborted.reason === 'Aborted', String(aborted));
    assert.equal((aborted.cause as Error).message, 'new revision');

    // statusOverride can also declare an object healthy (e.g. a CEL expression).
    await manager.waitForSet(set, { intervalMs: 200, timeoutMs: 2_000, statusOverride: () => ({ status: 'Current', message: 'ok by CEL' }) });
  });

  it('deletes owned objects, skips foreign, gone and prune-disabled ones', async () => {
    const n = await ns('ssa-delete');
    const owned = manager.ownerLabels();
    const objs = [
      configMap(n, 'owned', { a: 'b' }, { labels: owned }),
      configMap(n, 'foreign', { a: 'b' }, { labels: { ...owned, 'kustomize.toolkit.fluxcd.io/name': 'other' } }),
      configMap(n, 'kept', { a: 'b' }, { labels: owned, annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' } }),
      deployment(n, 'web'),
    ];
    const dep = objs[3];
    assert.ok(dep);
    dep.metadata.labels = owned;
    await manager.applyAll(objs);
    const gone = objMetadataOf(configMap(n, 'never-existed', {}));
    const cs = await manager.deleteAll([...objs, gone]);
    assert.deepEqual(cs.toMap(), {
      [`Deployment/${n}/web`]: 'deleted',
      [`ConfigMap/${n}/owned`]: 'deleted',
      [`ConfigMap/${n}/never-existed`]: 'skipped',
      [`ConfigMap/${n}/kept`]: 'skipped',
      [`ConfigMap/${n}/foreign`]: 'skipped',
    });
    // Reverse apply order: the Deployment goes before the ConfigMaps.
    assert.equal(cs.entries[0]?.subject, `Deployment/${n}/web`);
    await assert.rejects(client.get(objs[0] ?? dep, 'owned', n), /not found/);
    assert.ok(await client.get(dep, 'web', n).then(() => false, () => true), 'Deployment deleted');
    await client.get(objs[1] ?? dep, 'foreign', n);
    await client.get(objs[2] ?? dep, 'kept', n);
    // Without inclusions (explicit {}), a foreign object is deleted too.
    const all = await manager.deleteAll([objs[1] ?? dep], { inclusions: {} });
    assert.equal(all.entries[0]?.action, 'deleted');
  });
});
