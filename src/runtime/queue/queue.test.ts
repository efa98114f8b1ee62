import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, flushPromises } from './fake-clock.ts';
import { DelayHeap } from './heap.ts';
import { WorkQueue } from './queue.ts';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.ts';

function newQueue(): { q: WorkQueue; clock: FakeClock } {
  const clock = new FakeClock();
  return { q: new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter() }), clock };
}

/** A repeatable pseudo-random sequence in [0, 1000) (a linear congruential generator). */
function numbersBelow1000(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1000;
}

/** Whether a promise has settled yet, without waiting for it. */
async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let state: { done: boolean; value?: T } = { done: false };
  p.then(
    (value) => (state = { done: true, value }),
    () => (state = { done: true }),
  );
  await flushPromises(1);
  return state;
}

describe('WorkQueue basics', () => {
  it('de-duplicates queued keys and keeps FIFO order', async () => {
    const { q } = newQueue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    assert.equal(q.len(), 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    assert.equal(q.len(), 0);
  });

  it('never hands a key being processed to another getter; re-adds are deferred to done', async () => {
    const { q } = newQueue();
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'dirty while processing, not queued');
    const second = q.get();
    assert.equal((await settled(second)).done, false);
    q.done('a');
    assert.equal(await second, 'a', 're-queued exactly once on done');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('wakes waiting getters with distinct keys', async () => {
    const { q } = newQueue();
    const g1 = q.get();
    const g2 = q.get();
    q.add('x');
    q.add('x');
    q.add('y');
    assert.deepEqual([await g1, await g2], ['x', 'y']);
  });

  it('done on an unknown key is a no-op', () => {
    const { q } = newQueue();
    q.done('nope');
    assert.equal(q.len(), 0);
  });
});

describe('WorkQueue delays', () => {
  it('addAfter makes a key ready at its time, keeping the earliest time per key', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 1000);
    q.addAfter('a', 500);
    q.addAfter('a', 2000);
    await clock.advance(499);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
    await clock.advance(5000);
    assert.equal(q.len(), 1, 'the later adds were folded into the earliest one');
  });

  it('orders delayed keys by ready time on a single timer', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 300);
    q.addAfter('b', 100);
    q.addAfter('c', 200);
    q.addAfter('d', 200);
    assert.equal(clock.pending(), 1, 'one timer for the whole heap');
    await clock.advance(300);
    assert.deepEqual([await q.get(), await q.get(), await q.get(), await q.get()], ['b', 'c', 'd', 'a']);
    assert.equal(clock.pending(), 0);
  });

  it('a non-positive delay adds at once; a delayed key already queued is not duplicated', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    assert.equal(q.len(), 2);
    q.addAfter('a', 10);
    await clock.advance(10);
    assert.equal(q.len(), 2);
  });

  it('handing a key out drops its delayed add: the reconcile it starts decides the next one', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 30_000);
    q.addAfter('b', 30_000);
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.done('a');
    await clock.advance(30_000);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'b', 'only the key not handed out meanwhile comes back');
  });

  it('addRateLimited backs off per key; forget resets it', async () => {
    const { q, clock } = newQueue();
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.numRequeues('a'), 2);
    await clock.advance(749);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1, 'the earlier of 750 ms and 1500 ms wins');
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });

  it('heap pops each key once, at its earliest ready time, for random input', () => {
    const rnd = numbersBelow1000(42);
    const h = new DelayHeap<string>();
    const want = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const key = `k${rnd() % 200}`;
      const at = rnd();
      h.upsert(key, at);
      want.set(key, Math.min(want.get(key) ?? Infinity, at));
    }
    const got: [string, number][] = [];
    for (let t = 0; t <= 1000; t++) for (let k = h.popReady(t); k !== undefined; k = h.popReady(t)) got.push([k, t]);
    assert.equal(got.length, want.size);
    for (const [k, t] of got) assert.equal(t, want.get(k));
    assert.equal(h.size, 0);
  });

  it('heap removes any key and still pops the rest in order, for random input', () => {
    const rnd = numbersBelow1000(7);
    const h = new DelayHeap<string>();
    const want = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const key = `k${i}`;
      const at = rnd();
      h.upsert(key, at);
      want.set(key, at);
    }
    for (let i = 0; i < 300; i += 3) {
      assert.equal(h.remove(`k${i}`), true);
      want.delete(`k${i}`);
    }
    assert.equal(h.remove('k0'), false);
    const got: number[] = [];
    for (let k = h.popReady(Infinity); k !== undefined; k = h.popReady(Infinity)) got.push(want.get(k) ?? -1);
    assert.deepEqual(got, [...want.values()].sort((a, b) => a - b));
  });
});

describe('WorkQueue shutdown', () => {
  it('resolves idle getters with undefined, ignores new adds and drops delayed keys', async () => {
    const { q, clock } = newQueue();
    const idle = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    assert.equal(await idle, undefined);
    assert.equal(clock.pending(), 0);
    q.add('x');
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
    assert.equal(q.isShuttingDown(), true);
  });

  it('still hands out keys queued before shutdown (client-go), then undefined', async () => {
    const { q } = newQueue();
    q.add('a');
    q.shutDown();
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), undefined);
  });

  it('shutDownWithDrain waits for in-flight keys', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('b');
    const a = await q.get();
    const b = await q.get();
    const drained = q.shutDownWithDrain();
    assert.equal((await settled(drained)).done, false);
    q.done(a ?? '');
    assert.equal((await settled(drained)).done, false);
    q.done(b ?? '');
    assert.equal((await settled(drained)).done, true);
    await q.shutDownWithDrain();
  });
});
