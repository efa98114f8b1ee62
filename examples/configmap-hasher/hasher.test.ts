import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { KubeClient, type KubeObject } from 'eddy/kube';
import { Manager } from 'eddy/runtime';
import { createNamespace, testCluster } from '../../test/cluster/harness.ts';
import { ANNOTATION, LABEL, hashData, setupHasher } from './hasher.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

async function annotationOf(client: KubeClient, ns: string, name: string, want: (v: string | undefined) => boolean): Promise<string | undefined> {
  for (let i = 0; i < 150; i++) {
    const v = (await client.get(CM, name, ns)).metadata.annotations?.[ANNOTATION];
    if (want(v)) return v;
    await sleep(100);
  }
  throw new Error(`annotation of ${ns}/${name} never matched`);
}

describe('the configmap-hasher example', () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let client: KubeClient;
  const stop = new AbortController();
  let running: Promise<unknown>;
  before(async () => {
    ns = await createNamespace('hasher');
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
    const manager = new Manager({ client, registry: new Registry() });
    setupHasher(manager);
    running = manager.start(stop.signal);
  });
  after(async () => {
    stop.abort();
    await running;
    await client.close();
    await ns.remove();
  });

  it('annotates labelled ConfigMaps with the hash of their data and follows changes', async () => {
    const cm = (name: string, labelled: boolean, data: Record<string, string>): KubeObject => ({
      ...CM, metadata: { name, namespace: ns.name, ...(labelled ? { labels: { [LABEL]: 'enabled' } } : {}) }, data,
    });
    const created = await client.create(cm('hashed', true, { a: '1', b: '2' }));
    await client.create(cm('ignored', false, { a: '1' }));
    assert.equal(await annotationOf(client, ns.name, 'hashed', (v) => v !== undefined), hashData(created));

    const changed = await client.patch(CM, 'hashed', ns.name, { data: { b: '3' } }, { type: 'merge' });
    assert.equal(await annotationOf(client, ns.name, 'hashed', (v) => v === hashData(changed)), hashData(changed));
    assert.equal((await client.get(CM, 'ignored', ns.name)).metadata.annotations?.[ANNOTATION], undefined);
  });
});
