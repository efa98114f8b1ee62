// The informer and controller converge on the server's state through API server restarts,
// a watch cut mid-stream, and a 410 Gone after etcd compaction.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { readState } from '../../src/cluster/state.ts';
import { ApiError, KubeClient, TransportError, isAlreadyExists, isNotFound, type KubeObject } from '../../src/kube/index.ts';
import { Manager, type SharedInformer } from '../../src/runtime/index.ts';
import { Etcd } from '../tools/etcd.ts';
import { startTcpProxy, type TcpProxy } from '../tools/tcp-proxy.ts';
import { startPrivateCluster, type PrivateCluster } from '../cluster/harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const NS = 'converge';
const N = 2_000;
const SELECTOR = 'converge=yes';

/** Writes survive API server restarts: retry transport failures, 429 and 5xx. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient = err instanceof TransportError || (err instanceof ApiError && (err.code === 429 || err.code >= 500));
      if (!transient || attempt > 200) throw err;
      await sleep(100);
    }
  }
}

async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  }));
}

describe('convergence under disruption', () => {
  let cluster: PrivateCluster;
  let proxy: TcpProxy;
  let writer: KubeClient;
  let watcher: KubeClient;
  let etcd: Etcd;
  let informer: SharedInformer<KubeObject>;
  const stop = new AbortController();
  let running: Promise<unknown>;
  const seen = new Map<string, string>();
  const shadow = new Set<string>();
  let replayedAsNew = 0;

  async function restartApiServer(): Promise<void> {
    const before = (await readState(cluster.dir))?.children['kube-apiserver'];
    assert.ok(before);
    process.kill(before, 'SIGKILL');
    for (let i = 0; (await readState(cluster.dir))?.children['kube-apiserver'] === before; i++) {
      if (i > 300) throw new Error('kube-apiserver was not restarted');
      await sleep(50);
    }
  }

  async function serverState(): Promise<Map<string, string>> {
    const { items } = await retrying(() => writer.listAll(CM, { namespace: NS, labelSelector: SELECTOR }));
    return new Map(items.map((o) => [`${NS}/${o.metadata.name ?? ''}`, o.metadata.resourceVersion ?? '']));
  }

  /** Waits until the cache and the last reconcile of every key match the server exactly. */
  async function converged(timeoutMs = 90_000): Promise<Map<string, string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const server = await serverState();
      const cache = new Map(informer.list().map((o) => [`${NS}/${o.metadata.name ?? ''}`, o.metadata.resourceVersion ?? '']));
      const cacheOk = cache.size === server.size && [...server].every(([k, rv]) => cache.get(k) === rv);
      const reconcileOk = [...seen].every(([k, rv]) => rv === (server.get(k) ?? 'absent')) && [...server.keys()].every((k) => seen.has(k));
      if (cacheOk && reconcileOk) return server;
      if (Date.now() > deadline) {
        throw new Error(`not converged: cache ${cache.size} vs server ${server.size}, cacheOk=${cacheOk}, reconcileOk=${reconcileOk}`);
      }
      await sleep(250);
    }
  }

  before(async () => {
    cluster = await startPrivateCluster('converge');
    const st = await readState(cluster.dir);
    const etcdAccess = st?.etcd;
    assert.ok(st && etcdAccess);
    etcd = new Etcd(etcdAccess);
    proxy = await startTcpProxy(st.ports['apiserver'] ?? 0);
    // The watching side talks through the proxy, so the test can cut its connections.
    const kc = parse(await readFile(cluster.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const c of kc.clusters) c.cluster.server = `https://127.0.0.1:${proxy.port}`;
    const viaProxy = join(cluster.dir, 'kubeconfig-via-proxy');
    await writeFile(viaProxy, stringify(kc));
    writer = KubeClient.fromKubeconfig({ kubeconfig: cluster.kubeconfig, qps: 2_000, burst: 4_000 });
    watcher = KubeClient.fromKubeconfig({ kubeconfig: viaProxy, qps: 2_000, burst: 4_000 });
    await writer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

    const manager = new Manager({ client: watcher, registry: new Registry() });
    informer = manager.informers.get({ ref: CM, namespace: NS, labelSelector: SELECTOR });
    informer.addEventHandler({
      onAdd: (o) => {
        const k = `${NS}/${o.metadata.name ?? ''}`;
        if (shadow.has(k)) replayedAsNew++;
        shadow.add(k);
      },
      onDelete: (o) => shadow.delete(`${NS}/${o.metadata.name ?? ''}`),
    });
    manager.controller('converge').for(CM, { namespace: NS, labelSelector: SELECTOR }).withOptions({ concurrency: 4 }).complete({
      reconcile: (req) => {
        const key = `${req.namespace ?? ''}/${req.name}`;
        seen.set(key, informer.getByKey(key)?.metadata.resourceVersion ?? 'absent');
        return Promise.resolve();
      },
    });
    running = manager.start(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    await watcher.close();
    await writer.close();
    await etcd.close();
    await proxy.stop();
    await cluster.stop();
  });

  it(`converges for ${N} ConfigMaps created, updated and deleted through two API server restarts and a cut watch`, async () => {
    const cm = (i: number, v: string): KubeObject => ({ ...CM, metadata: { name: `cm-${i}`, namespace: NS, labels: { converge: 'yes' } }, data: { v } });
    let done = 0;
    const chaos = (async () => {
      const at = async (n: number) => { while (done < n) await sleep(20); };
      await at(N * 0.3);
      proxy.cutAll();
      await at(N * 0.8);
      await restartApiServer();
      await at(N * 1.6);
      await restartApiServer();
    })();
    await parallel(N, 24, async (i) => {
      await retrying(() => writer.create(cm(i, '1')).catch((e: unknown) => { if (!isAlreadyExists(e)) throw e; }));
      done++;
    });
    await parallel(N, 24, async (i) => {
      await retrying(() => writer.patch(CM, `cm-${i}`, NS, { data: { v: '2' } }, { type: 'merge' }));
      done++;
    });
    await parallel(N / 2, 24, async (j) => {
      await retrying(() => writer.delete(CM, `cm-${j * 2}`, NS).catch((e: unknown) => { if (!isNotFound(e)) throw e; }));
      done++;
    });
    await chaos;
    const server = await converged();
    assert.equal(server.size, N / 2);
    for (let j = 0; j < N / 2; j++) assert.equal(seen.get(`${NS}/cm-${j * 2}`), 'absent', 'a deleted ConfigMap is never reported present');
    assert.equal(replayedAsNew, 0, 'no object was replayed as new after a re-list');
  });

  it('re-lists cleanly after a 410 Gone (history compacted while the watch was away)', async () => {
    const expiredBefore = informer.stats().expired;
    // Hold the informer's reconnection (accepted, not forwarded) so that its next request is a
    // watch from its last resourceVersion, arriving after that history is gone.
    proxy.setHolding(true);
    proxy.cutAll();
    await parallel(100, 16, async (i) => {
      await retrying(() => writer.create({ ...CM, metadata: { name: `late-${i}`, namespace: NS, labels: { converge: 'yes' } }, data: { v: '1' } }).then(() => undefined));
    });
    await parallel(100, 16, async (j) => {
      await retrying(() => writer.delete(CM, `cm-${j * 2 + 1}`, NS).then(() => undefined));
    });
    await etcd.compact(await etcd.revision());
    // A fresh watch cache starts at the current revision: the informer's is now too old.
    await restartApiServer();
    await retrying(() => writer.get(CM, 'late-0', NS));
    proxy.setHolding(false);
    const server = await converged();
    assert.ok(informer.stats().expired > expiredBefore, `a 410 forced a re-list (expired ${informer.stats().expired})`);
    assert.equal(server.size, N / 2 - 100 + 100);
    assert.equal(seen.get(`${NS}/cm-1`), 'absent');
    assert.ok(seen.get(`${NS}/late-99`) !== undefined);
    assert.equal(replayedAsNew, 0, 'no object was replayed as new after the re-list');
  });
});
