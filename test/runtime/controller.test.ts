// A controller on a real informer: a failing key backs off without blocking other keys, a
// TerminalError is not retried, requeueAfter brings a key back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { KubeClient } from '../../src/kube/index.ts';
import { Manager, TerminalError, metricValue } from '../../src/runtime/index.ts';
import { createNamespace, testCluster } from '../cluster/harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

describe('a controller on the real API server', () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let client: KubeClient;
  before(async () => {
    ns = await createNamespace('ctrl');
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
  });
  after(async () => {
    await client.close();
    await ns.remove();
  });

  it('backs off a failing key, never retries a terminal one, keeps the others flowing', async () => {
    const attempts = new Map<string, number[]>();
    const registry = new Registry();
    const manager = new Manager({ client, registry, controllerDefaults: { minRetryDelayMs: 100, maxRetryDelayMs: 2_000 } });
    manager.controller('backoff').for(CM, { namespace: ns.name, labelSelector: 'ctrl=yes' }).withOptions({ concurrency: 2 }).complete({
      reconcile: (req) => {
        const times = attempts.get(req.name) ?? [];
        times.push(performance.now());
        attempts.set(req.name, times);
        if (req.name === 'failing') return Promise.reject(new Error('always fails'));
        if (req.name === 'terminal') return Promise.reject(new TerminalError('BadSpec', 'cannot ever work'));
        if (req.name === 'periodic') return Promise.resolve({ requeueAfterMs: 300 });
        return Promise.resolve();
      },
    });
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const make = (name: string) => client.create({ ...CM, metadata: { name, namespace: ns.name, labels: { ctrl: 'yes' } }, data: {} });
    await make('failing');
    await make('terminal');
    await make('periodic');
    await sleep(500);
    for (let i = 0; i < 20; i++) await make(`ok-${i}`);
    await sleep(2_500);
    stop.abort();
    await running;

    for (let i = 0; i < 20; i++) assert.equal(attempts.get(`ok-${i}`)?.length, 1, `ok-${i} reconciled once despite the failing key`);
    assert.equal(attempts.get('terminal')?.length, 1, 'a TerminalError is not retried');
    const failing = attempts.get('failing') ?? [];
    assert.ok(failing.length >= 4, `failing retried ${failing.length} times`);
    const gaps = failing.slice(1).map((t, i) => t - (failing[i] ?? 0));
    // 100 ms, 200 ms, 400 ms, 800 ms …: each gap at least the backoff step, and growing.
    gaps.forEach((g, i) => assert.ok(g >= 100 * 2 ** i * 0.9, `gap ${i} = ${g.toFixed(0)} ms`));
    assert.ok((attempts.get('periodic')?.length ?? 0) >= 5, 'requeueAfter brings the key back');
    assert.equal(await metricValue(registry, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'backoff' }), 1);
    assert.ok((await metricValue(registry, 'controller_runtime_reconcile_errors_total', { controller: 'backoff' }) ?? 0) >= 5);
    assert.ok((await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'backoff', result: 'success' }) ?? 0) >= 20);
  });
});
