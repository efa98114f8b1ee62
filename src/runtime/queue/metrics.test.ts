import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ControllerError } from './errors.ts';
import { FakeClock } from './fake-clock.ts';
import { RuntimeMetrics, WORKQUEUE_BUCKETS } from './metrics.ts';
import { WorkQueue } from './queue.ts';
import { metricValue } from './testing.ts';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.ts';

describe('RuntimeMetrics', () => {
  it('uses client-go buckets 1e-8 … 10', () => {
    assert.deepEqual(WORKQUEUE_BUCKETS, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
  });

  it('registers once per registry and refuses duplicate controller names', () => {
    const registry = new Registry();
    const m = new RuntimeMetrics(registry);
    assert.throws(() => new RuntimeMetrics(registry), (e) => e instanceof ControllerError && e.reason === 'MetricsAlreadyRegistered');
    m.controller('a');
    m.controller('b');
    assert.throws(() => m.controller('a'), (e) => e instanceof ControllerError && e.reason === 'DuplicateName');
    new RuntimeMetrics(new Registry());
  });

  it('zero-initialises controller series', async () => {
    const registry = new Registry();
    new RuntimeMetrics(registry).controller('c');
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'c', result }), 0);
    }
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_panics_total', { controller: 'c' }), 0);
    assert.match(await registry.getSingleMetricAsString('controller_runtime_terminal_reconcile_errors_total'), /\{controller="c"\} 0/);
  });

  it('records workqueue depth, adds, latencies, retries and in-progress work', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const metrics = new RuntimeMetrics(registry);
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(), metrics: metrics.workqueue('q', clock) });
    const get = (name: string, labels: Record<string, string> = { name: 'q' }): Promise<number | undefined> => metricValue(registry, name, labels);

    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(await get('workqueue_depth'), 2);
    assert.equal(await get('workqueue_adds_total'), 2, 'de-duplicated adds are not counted');

    await clock.advance(2000);
    const a = await q.get();
    assert.equal(await get('workqueue_depth'), 1);
    assert.equal(await get('workqueue_queue_duration_seconds_sum'), 2);
    assert.equal(await get('workqueue_queue_duration_seconds_count'), 1);
    assert.equal(await get('workqueue_queue_duration_seconds_bucket', { name: 'q', le: '1' }), 0);
    assert.equal(await get('workqueue_queue_duration_seconds_bucket', { name: 'q', le: '10' }), 1);

    await clock.advance(3000);
    await q.get();
    await clock.advance(1000);
    assert.equal(await get('workqueue_unfinished_work_seconds'), 4 + 1, 'a has run 4 s, b 1 s');
    assert.equal(await get('workqueue_longest_running_processor_seconds'), 4);

    q.done(a ?? '');
    assert.equal(await get('workqueue_work_duration_seconds_sum'), 4);
    q.addRateLimited('a');
    assert.equal(await get('workqueue_retries_total'), 1);
    assert.equal(await get('workqueue_depth'), 0, 'a is only delayed, b is in flight');
  });
});
