import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore } from './semaphore.ts';

describe('Semaphore', () => {
  it('admits size holders, then the waiters in order as slots free', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    const b = await s.acquire();
    const order: string[] = [];
    const c = s.acquire().then((r) => (order.push('c'), r));
    const d = s.acquire().then((r) => (order.push('d'), r));
    await Promise.resolve();
    assert.deepEqual(order, []);
    a();
    a(); // a second release of the same slot frees nothing more
    (await c)();
    b();
    (await d)();
    assert.deepEqual(order, ['c', 'd']);
    const again = await Promise.all([s.acquire(), s.acquire()]);
    again.forEach((r) => r());
  });

  it('drops a waiter whose signal aborts, without taking a slot', async () => {
    const s = new Semaphore(1);
    const held = await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire(ac.signal);
    ac.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    held();
    (await s.acquire())();
    await assert.rejects(s.acquire(AbortSignal.abort(new Error('already'))), /already/);
  });
});
