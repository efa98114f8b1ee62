import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControllerError } from './errors.ts';
import { FakeClock } from './fake-clock.ts';
import {
  BucketRateLimiter,
  DEFAULT_MAX_RETRY_DELAY_MS,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';

describe('ItemExponentialFailureRateLimiter', () => {
  it('defaults to 750 ms doubling up to 15 min, per key', () => {
    const rl = new ItemExponentialFailureRateLimiter();
    const seq = Array.from({ length: 13 }, () => rl.when('a'));
    assert.deepEqual(seq, [750, 1500, 3000, 6000, 12000, 24000, 48000, 96000, 192000, 384000, 768000, 900000, 900000]);
    assert.equal(rl.retries('a'), 13);
    assert.equal(rl.when('b'), 750, 'keys back off independently');
  });

  it('forget resets the key, and huge failure counts stay capped', () => {
    const rl = new ItemExponentialFailureRateLimiter(5, 1000);
    for (let i = 0; i < 2000; i++) assert.ok(rl.when('a') <= 1000);
    assert.equal(rl.when('a'), 1000);
    rl.forget('a');
    assert.equal(rl.retries('a'), 0);
    assert.equal(rl.when('a'), 5);
  });

  it('refuses nonsense delays', () => {
    for (const [base, max] of [[0, 1], [-1, 1], [1, Number.NaN], [Infinity, 1]] as const) {
      assert.throws(() => new ItemExponentialFailureRateLimiter(base, max), (e) => e instanceof ControllerError && e.reason === 'InvalidOption');
    }
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through, then spaces retries at 1/qps, and refills over time', async () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter(10, 2, clock);
    assert.deepEqual([rl.when(), rl.when(), rl.when(), rl.when()], [0, 0, 100, 200]);
    await clock.advance(1000);
    assert.deepEqual([rl.when(), rl.when(), rl.when()], [0, 0, 100], 'refill is capped at burst');
    assert.equal(rl.retries(), 0);
  });
});

describe('MaxOfRateLimiter / defaultControllerRateLimiter', () => {
  it('takes the longest delay and forgets in every limiter', () => {
    const a = new ItemExponentialFailureRateLimiter(10, 1000);
    const b = new ItemExponentialFailureRateLimiter(100, 150);
    const rl = new MaxOfRateLimiter(a, b);
    assert.deepEqual([rl.when('k'), rl.when('k'), rl.when('k'), rl.when('k'), rl.when('k')], [100, 150, 150, 150, 160]);
    assert.equal(rl.retries('k'), 5);
    rl.forget('k');
    assert.equal(a.retries('k') + b.retries('k'), 0);
    assert.throws(() => new MaxOfRateLimiter(), ControllerError);
  });

  it('combines 750 ms..15 min per key with a 10 qps / 100 burst bucket', () => {
    const rl = defaultControllerRateLimiter({ clock: new FakeClock() });
    const delays = Array.from({ length: 110 }, (_, i) => rl.when(`k${i}`));
    assert.equal(delays[0], 750);
    assert.equal(delays[106], 750, 'bucket debt of 700 ms is below the per-key base');
    assert.equal(delays[107], 800, 'bucket debt of 800 ms exceeds it');
    for (let i = 0; i < 30; i++) rl.when('hot');
    assert.equal(rl.when('hot'), DEFAULT_MAX_RETRY_DELAY_MS);
  });

  it('honours Flux-style min/max retry delays', () => {
    const rl = defaultControllerRateLimiter({ minRetryDelayMs: 1000, maxRetryDelayMs: 3000, clock: new FakeClock() });
    assert.deepEqual([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('a')], [1000, 2000, 3000, 3000]);
  });
});
