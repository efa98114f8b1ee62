import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller, type ControllerOptions, type ReconcileContext, type Result } from './controller.ts';
import { ControllerError, TerminalError } from './errors.ts';
import { FakeClock, flushPromises } from './fake-clock.ts';
import type { Logger } from './logger.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import { parseKey, requestKey, type Request } from './request.ts';
import { deferred, metricValue } from './testing.ts';

interface Call {
  key: string;
  at: number;
  ctx: ReconcileContext;
}

type ReconcileFn = (req: Request, ctx: ReconcileContext, call: number) => Promise<Result | void>;

/** A controller on a fake clock and its own registry, recording every reconcile call. */
function harness(fn: ReconcileFn, opts: Partial<ControllerOptions> = {}, clock = new FakeClock()) {
  const registry = new Registry();
  const calls: Call[] = [];
  const c = new Controller({
    name: 'test',
    clock,
    registry,
    reconciler: {
      reconcile: (req, ctx) => {
        calls.push({ key: requestKey(req), at: clock.now(), ctx });
        return fn(req, ctx, calls.length);
      },
    },
    ...opts,
  });
  const ac = new AbortController();
  let running: Promise<void> | undefined;
  return {
    c,
    clock,
    registry,
    calls,
    keys: () => calls.map((x) => x.key),
    start: (): Promise<void> => (running = c.start(ac.signal)),
    stop: async (): Promise<void> => {
      ac.abort();
      await running;
    },
    metric: (name: string, labels: Record<string, string> = { controller: 'test' }) => metricValue(registry, name, labels),
    /** Advance the clock until `n` calls have happened (or no timer is left). */
    async untilCalls(n: number): Promise<void> {
      await flushPromises();
      for (let next = clock.nextAt(); calls.length < n && next !== undefined; next = clock.nextAt()) await clock.advance(next - clock.now());
    },
  };
}

const ok = (): Promise<void> => Promise.resolve();
const fail = (): Promise<void> => Promise.reject(new Error('boom'));

describe('request keys', () => {
  it('round-trips namespaced and cluster-scoped requests and refuses malformed ones', () => {
    assert.equal(requestKey({ namespace: 'ns', name: 'a' }), 'ns/a');
    assert.equal(requestKey({ name: 'a' }), 'a');
    assert.deepEqual(parseKey('ns/a'), { namespace: 'ns', name: 'a' });
    assert.deepEqual(parseKey('a'), { name: 'a' });
    for (const bad of ['', '/a', 'ns/', 'a/b/c']) assert.throws(() => parseKey(bad), (e) => e instanceof ControllerError && e.reason === 'InvalidKey');
    assert.throws(() => requestKey({ name: '' }), ControllerError);
    assert.throws(() => requestKey({ namespace: 'a/b', name: 'c' }), ControllerError);
  });
});

describe('Controller queueing', () => {
  it('de-duplicates requests queued before a worker picks them up', async () => {
    const h = harness(ok);
    for (let i = 0; i < 3; i++) h.c.enqueue({ namespace: 'ns', name: 'x' });
    h.c.enqueue({ name: 'y' });
    void h.start();
    await flushPromises();
    assert.deepEqual(h.keys(), ['ns/x', 'y']);
    await h.stop();
  });

  it('never runs one key on two workers at once, even with 4 workers', async () => {
    const active = new Map<string, number>();
    let overlap = false;
    let running = 0;
    let maxRunning = 0;
    const h = harness(
      async (req) => {
        const key = requestKey(req);
        const n = (active.get(key) ?? 0) + 1;
        active.set(key, n);
        overlap ||= n > 1;
        maxRunning = Math.max(maxRunning, ++running);
        await flushPromises(3);
        active.set(key, n - 1);
        running--;
      },
      { concurrency: 4 },
    );
    void h.start();
    for (let round = 0; round < 30; round++) {
      for (let k = 0; k < 6; k++) h.c.enqueue({ name: `k${k}` });
      await flushPromises(1);
    }
    await flushPromises(10);
    assert.equal(overlap, false);
    assert.equal(maxRunning, 4, 'the workers did run in parallel');
    for (let k = 0; k < 6; k++) assert.ok(h.keys().includes(`k${k}`));
    await h.stop();
  });

  it('re-runs a key added while it was being reconciled, exactly once, after it finishes', async () => {
    const gate = deferred();
    const h = harness((_req, _ctx, call) => (call === 1 ? gate.promise : Promise.resolve()), { concurrency: 2 });
    void h.start();
    h.c.enqueue({ name: 'a' });
    await flushPromises();
    h.c.enqueue({ name: 'a' });
    h.c.enqueue({ name: 'a' });
    await flushPromises();
    assert.equal(h.calls.length, 1, 'the idle worker did not take the busy key');
    gate.resolve();
    await flushPromises();
    assert.deepEqual(h.keys(), ['a', 'a']);
    await h.stop();
  });

  it('keeps the earliest time for enqueueAfter', async () => {
    const h = harness(ok);
    void h.start();
    h.c.enqueueAfter({ name: 'a' }, 5000);
    h.c.enqueueAfter({ name: 'a' }, 2000);
    await h.clock.advance(10_000);
    assert.deepEqual(h.calls.map((x) => x.at), [2000]);
    await h.stop();
  });
});

describe('Controller retries', () => {
  it('backs off failing keys 750 ms, 1.5 s, 3 s, … and caps at the max delay', async () => {
    const clock = new FakeClock();
    const h = harness(fail, { rateLimiter: defaultControllerRateLimiter({ maxRetryDelayMs: 10_000, clock }) }, clock);
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.untilCalls(8);
    const at = h.calls.map((x) => x.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    assert.deepEqual(gaps, [750, 1500, 3000, 6000, 10_000, 10_000, 10_000]);
    assert.equal(await h.metric('controller_runtime_reconcile_errors_total'), 8);
    assert.equal(await h.metric('workqueue_retries_total', { name: 'test' }), 8);
    await h.stop();
  });

  it('retries thrown errors, then succeeds and forgets the backoff', async () => {
    const h = harness((_req, _ctx, call) => (call <= 2 ? Promise.reject(new Error('transient')) : Promise.resolve()));
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.untilCalls(3);
    assert.deepEqual(h.calls.map((x) => x.at), [0, 750, 2250]);
    assert.equal(await h.metric('controller_runtime_reconcile_total', { controller: 'test', result: 'error' }), 2);
    assert.equal(await h.metric('controller_runtime_reconcile_total', { controller: 'test', result: 'success' }), 1);
    assert.equal(await h.metric('controller_runtime_reconcile_panics_total'), 0);
    assert.equal(h.clock.pending(), 0, 'nothing left scheduled');
    await h.stop();
  });

  it('does not retry a TerminalError, bare or wrapped as a cause', async () => {
    const h = harness((req) => {
      const terminal = new TerminalError('InvalidSpec', 'spec.url is empty');
      return Promise.reject(req.name === 'bare' ? terminal : new Error('reconcile failed', { cause: terminal }));
    });
    void h.start();
    h.c.enqueue({ name: 'bare' });
    h.c.enqueue({ name: 'wrapped' });
    await h.clock.advance(60 * 60 * 1000);
    assert.deepEqual(h.keys(), ['bare', 'wrapped']);
    assert.equal(await h.metric('controller_runtime_terminal_reconcile_errors_total'), 2);
    assert.equal(await h.metric('controller_runtime_reconcile_errors_total'), 2);
    await h.stop();
  });

  it('counts engine errors and non-Error throws as panics, and still retries them', async () => {
    const h = harness((req) => {
      if (req.name === 'typo') return Promise.resolve((null as unknown as { spec: Result }).spec);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test
      return Promise.reject('not an Error');
    });
    void h.start();
    h.c.enqueue({ name: 'typo' });
    h.c.enqueue({ name: 'string' });
    await h.clock.advance(750);
    assert.deepEqual(h.keys(), ['typo', 'string', 'typo', 'string']);
    assert.equal(await h.metric('controller_runtime_reconcile_panics_total'), 4);
    await h.stop();
  });

  it('never lets a permanently failing key block the others', async () => {
    const h = harness((req) => (req.name === 'bad' ? Promise.reject(new Error('always')) : Promise.resolve()));
    void h.start();
    h.c.enqueue({ name: 'bad' });
    h.c.enqueue({ name: 'good1' });
    h.c.enqueue({ name: 'good2' });
    await flushPromises();
    h.c.enqueue({ name: 'good3' });
    await flushPromises();
    assert.deepEqual(h.keys(), ['bad', 'good1', 'good2', 'good3'], 'good3 ran at once while bad was backing off');
    await h.clock.advance(750);
    assert.deepEqual(h.keys().slice(4), ['bad']);
    await h.stop();
  });
});

describe('Controller requeueAfter and timeouts', () => {
  it('requeues after the requested time stretched by 0..+5% jitter', async () => {
    const h = harness(() => Promise.resolve({ requeueAfterMs: 1000 }));
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.untilCalls(40);
    const at = h.calls.map((x) => x.at);
    for (let i = 1; i < at.length; i++) {
      const gap = (at[i] ?? 0) - (at[i - 1] ?? 0);
      assert.ok(gap >= 1000 && gap <= 1050, `gap ${gap} within [1000, 1050]`);
    }
    assert.equal(await h.metric('controller_runtime_reconcile_total', { controller: 'test', result: 'requeue_after' }), 40);
    await h.stop();
  });

  it('applies jitter from the injected random source and resets the failure backoff', async () => {
    const h = harness(
      (_req, _ctx, call) => (call === 3 ? Promise.resolve({ requeueAfterMs: 1000 }) : Promise.reject(new Error('x'))),
      { random: () => 0.5, jitterPercent: 10 },
    );
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.untilCalls(5);
    const at = h.calls.map((x) => x.at);
    // 0 fail, +750 fail, +1500 requeueAfter, +1050 (1000 · 1.05) fail, +750 (backoff reset).
    assert.deepEqual(at, [0, 750, 2250, 3300, 4050]);
    await h.stop();
  });

  it('requeue: true backs off through the rate limiter', async () => {
    const h = harness(() => Promise.resolve({ requeue: true }));
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.untilCalls(3);
    assert.deepEqual(h.calls.map((x) => x.at), [0, 750, 2250]);
    assert.equal(await h.metric('controller_runtime_reconcile_total', { controller: 'test', result: 'requeue' }), 3);
    await h.stop();
  });

  it('aborts ctx.signal after reconcileTimeoutMs and counts it as an error', async () => {
    const h = harness(
      (_req, ctx, call) =>
        call === 1 ? new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({}), { once: true })) : Promise.resolve(),
      { reconcileTimeoutMs: 1000 },
    );
    void h.start();
    h.c.enqueue({ name: 'a' });
    await h.clock.advance(999);
    assert.equal(h.calls[0]?.ctx.signal.aborted, false);
    await h.clock.advance(1);
    const reason: unknown = h.calls[0]?.ctx.signal.reason;
    assert.ok(reason instanceof ControllerError && reason.reason === 'ReconcileTimeout');
    assert.equal(await h.metric('controller_runtime_reconcile_errors_total'), 1);
    await h.clock.advance(750);
    assert.deepEqual(h.calls.map((x) => x.at), [0, 1750], 'retried with backoff');
    assert.equal(await h.metric('controller_runtime_reconcile_time_seconds_sum'), 1);
    await h.stop();
  });
});

describe('Controller lifecycle', () => {
  it('on stop, finishes in-flight work, takes nothing new, and resolves', async () => {
    const gate = deferred();
    let finished = false;
    const h = harness(async () => {
      await gate.promise;
      finished = true;
    });
    const started = h.start();
    h.c.enqueue({ name: 'inflight' });
    h.c.enqueue({ name: 'queued' });
    await flushPromises();
    assert.equal(await h.metric('controller_runtime_active_workers'), 1);
    const stopped = h.stop();
    let resolved = false;
    void started.then(() => (resolved = true));
    await flushPromises();
    assert.equal(resolved, false, 'waits for the in-flight reconcile');
    h.c.enqueue({ name: 'late' });
    gate.resolve();
    await stopped;
    assert.equal(finished, true);
    assert.deepEqual(h.keys(), ['inflight']);
    assert.equal(h.calls[0]?.ctx.signal.aborted, false);
    assert.equal(await h.metric('controller_runtime_active_workers'), 0);
  });

  it('aborts in-flight reconciles that outlast shutdownTimeoutMs', async () => {
    const h = harness((_req, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true })), {
      shutdownTimeoutMs: 5000,
    });
    void h.start();
    h.c.enqueue({ name: 'stuck' });
    await flushPromises();
    const stopped = h.stop();
    let resolved = false;
    void stopped.then(() => (resolved = true));
    await h.clock.advance(4999);
    assert.equal(resolved, false);
    await h.clock.advance(1);
    assert.equal(resolved, true);
    const reason: unknown = h.calls[0]?.ctx.signal.reason;
    assert.ok(reason instanceof ControllerError && reason.reason === 'ShutdownTimeout');
  });

  it('refuses a second start and bad options', async () => {
    const h = harness(ok, { concurrency: 3 });
    void h.start();
    await assert.rejects(h.c.start(new AbortController().signal), (e) => e instanceof ControllerError && e.reason === 'AlreadyStarted');
    assert.equal(await h.metric('controller_runtime_max_concurrent_reconciles'), 3);
    await h.stop();
    const reconciler = { reconcile: ok };
    for (const bad of [{ concurrency: 0 }, { concurrency: 1.5 }, { jitterPercent: -1 }, { reconcileTimeoutMs: 0 }, { name: '' }]) {
      assert.throws(() => new Controller({ name: 'x', reconciler, ...bad }), (e) => e instanceof ControllerError && e.reason === 'InvalidOption');
    }
  });

  it('shares one RuntimeMetrics between controllers via the registry only once', () => {
    const registry = new Registry();
    new Controller({ name: 'a', reconciler: { reconcile: ok }, registry });
    assert.throws(() => new Controller({ name: 'b', reconciler: { reconcile: ok }, registry }), (e) => e instanceof ControllerError && e.reason === 'MetricsAlreadyRegistered');
  });
});

describe('Controller logging', () => {
  it('logs errors with controller, namespace, name and reconcileId, and accepts a pino logger', async () => {
    const lines: { bindings: Record<string, unknown>; level: string; obj: unknown; msg: string | undefined }[] = [];
    const capture = (bindings: Record<string, unknown>): Logger => {
      const at =
        (level: string) =>
        (obj: unknown, msg?: string): void => {
          lines.push({ bindings, level, obj, msg });
        };
      return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (b) => capture({ ...bindings, ...b }) };
    };
    const h = harness(fail, { log: capture({}) });
    void h.start();
    h.c.enqueue({ namespace: 'flux-system', name: 'podinfo' });
    await flushPromises();
    const err = lines.find((l) => l.level === 'error');
    assert.equal(err?.msg, 'Reconciler error');
    assert.equal(err.bindings.controller, 'test');
    assert.equal(err.bindings.namespace, 'flux-system');
    assert.equal(err.bindings.name, 'podinfo');
    assert.equal(err.bindings.reconcileId, h.calls[0]?.ctx.reconcileId);
    await h.stop();

    const log: Logger = pino({ level: 'silent' });
    const p = harness(ok, { log });
    void p.start();
    p.c.enqueue({ name: 'a' });
    await flushPromises();
    assert.equal(p.calls.length, 1);
    await p.stop();
  });
});
