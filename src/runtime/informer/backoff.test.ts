import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.ts';
import { InformerError, isExpired, statusCodeOf } from './errors.ts';

describe('Backoff', () => {
  it('doubles from 800 ms and caps at 30 s', () => {
    const b = new Backoff({ jitter: 0 });
    const seen: number[] = [];
    for (let i = 0, now = 0; i < 9; i++) now += seen[seen.push(b.next(now)) - 1] ?? 0;
    assert.deepEqual(seen, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);
  });

  it('jitters downwards only, so no delay exceeds its step or the cap', () => {
    const b = new Backoff({ jitter: 0.5 }, () => 0.999);
    const first = b.next(0);
    assert.ok(first >= 400 && first <= 401, String(first));
    const capped = new Backoff({ jitter: 1, initialMs: 30_000 }, () => 0);
    assert.equal(capped.next(0), 30_000);
  });

  it('starts over after a healthy period and on reset()', () => {
    const b = new Backoff({ jitter: 0, resetAfterMs: 120_000 });
    assert.equal(b.next(0), 800);
    assert.equal(b.next(800), 1600);
    assert.equal(b.next(2400 + 119_999), 3200); // not healthy long enough
    assert.equal(b.next(2400 + 119_999 + 3200 + 120_000), 800);
    assert.equal(b.next(0), 1600);
    b.reset();
    assert.equal(b.next(0), 800);
  });

  it('refuses nonsense', () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), (e) => e instanceof InformerError && e.reason === 'InvalidOptions');
    assert.throws(() => new Backoff({ maxMs: 10 }), InformerError);
    assert.throws(() => new Backoff({ jitter: 2 }), InformerError);
  });
});

describe('statusCodeOf', () => {
  it('finds the code wherever clients put it', () => {
    const status = { kind: 'Status', apiVersion: 'v1', code: 410 };
    assert.equal(statusCodeOf(Object.assign(new Error('x'), { status })), 410);
    assert.equal(statusCodeOf(Object.assign(new Error('x'), { body: status })), 410);
    assert.equal(statusCodeOf(Object.assign(new Error('x'), { statusCode: 503 })), 503);
    assert.equal(statusCodeOf(status), 410);
    assert.equal(statusCodeOf(new Error('outer', { cause: Object.assign(new Error('x'), { code: 410 }) })), 410);
    assert.equal(statusCodeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' })), undefined);
    assert.equal(statusCodeOf('nope'), undefined);
    assert.ok(isExpired({ status }));
  });
});
