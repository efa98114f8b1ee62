// Status patcher and event recorder against the real API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { EventRecorder, StatusPatcher, conditions, eventSink, objectGetter, statusWriter } from '../../src/runtime/index.ts';
import { createNamespace, kubectl, testCluster } from '../cluster/harness.ts';

describe('status and events on a real API server', () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let client: KubeClient;
  let group: string;
  before(async () => {
    ns = await createNamespace('status');
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
    group = `${ns.name}.status.eddy.test`;
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `things.${group}` },
        spec: {
          group, scope: 'Namespaced', names: { plural: 'things', singular: 'thing', kind: 'Thing' },
          versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }),
    });
    await kubectl(['wait', '--for=condition=Established', `crd/things.${group}`, '--timeout=60s']);
  });
  after(async () => {
    await kubectl(['delete', 'crd', `things.${group}`, '--wait=false']);
    await client.close();
    await ns.remove();
  });

  it('patches owned conditions and observedGeneration, keeps a foreign condition through a conflict, and kubectl wait sees Ready', async () => {
    const ref = { apiVersion: `${group}/v1`, kind: 'Thing' };
    let obj: KubeObject | undefined;
    for (let i = 0; !obj; i++) {
      obj = await client.create({ ...ref, metadata: { name: 't', namespace: ns.name }, spec: { x: 1 } }).catch(async (err: unknown) => {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    const patcher = new StatusPatcher(obj, statusWriter(client), { fieldManager: 'eddy-test', ownedConditions: ['Ready', 'Reconciling'], get: objectGetter(client) });
    conditions.markReconciling(obj, 'Progressing', 'working');
    await patcher.patch(obj);
    // Someone else adds a condition of their own behind the patcher's back.
    await client.patchStatus(ref, 't', ns.name, { status: { conditions: [...((await client.get(ref, 't', ns.name))['status'] as { conditions: unknown[] }).conditions, { type: 'Other', status: 'True', reason: 'Theirs', message: '', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, { type: 'merge' });
    conditions.remove(obj, 'Reconciling');
    conditions.markTrue(obj, 'Ready', 'Succeeded', 'all good');
    await patcher.patch(obj, { observedGeneration: true });
    const live = await client.get(ref, 't', ns.name);
    const status = live['status'] as { observedGeneration: number; conditions: { type: string; status: string; reason: string }[] };
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(status.conditions.map((c) => `${c.type}=${c.status}`).sort(), ['Other=True', 'Ready=True']);
    await kubectl(['wait', `--for=condition=Ready`, `things.${group}/t`, '-n', ns.name, '--timeout=10s']);
  });

  it('records an events.k8s.io Event, aggregates a repeat into its series, with Flux metadata annotations', async () => {
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'evented', namespace: ns.name }, data: {} });
    const recorder = new EventRecorder({ sink: eventSink(client), reportingController: 'eddy-test', reportingInstance: 'eddy-test-0' });
    for (let i = 0; i < 3; i++) await recorder.record(cm, { type: 'Normal', reason: 'Progressing', note: 'applied revision', metadata: { revision: 'main@sha1:0123abcd' } });
    await recorder.idle();
    const events = await client.list({ apiVersion: 'events.k8s.io/v1', kind: 'Event' }, { namespace: ns.name });
    const ours = events.items.filter((e) => (e['regarding'] as { name?: string }).name === 'evented');
    assert.equal(ours.length, 1, 'one Event, the repeats aggregated');
    const ev = ours[0] as KubeObject & { reason: string; note: string; series?: { count: number }; reportingController: string };
    assert.equal(ev.reason, 'Progressing');
    assert.equal(ev.reportingController, 'eddy-test');
    assert.equal(ev.series?.count, 3);
    assert.ok(Object.entries(ev.metadata.annotations ?? {}).some(([k, v]) => (k === 'revision' || k.endsWith('/revision')) && v === 'main@sha1:0123abcd'));
  });
});
