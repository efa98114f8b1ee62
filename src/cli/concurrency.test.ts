import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrencyOf } from './concurrency.ts';

describe('--concurrent', () => {
  it('takes a default and per-component counts', () => {
    const c = concurrencyOf('10,kustomize-controller=20');
    assert.deepEqual([c.all, c.of('source-controller'), c.of('kustomize-controller')], [10, 10, 20]);
    assert.equal(concurrencyOf('kustomize-controller=20').of('source-controller'), 4, 'the default stays 4');
  });

  it('refuses unknown components and counts below 1', () => {
    assert.throws(() => concurrencyOf('helm=3'), /unknown component helm/);
    assert.throws(() => concurrencyOf('source-controller=0'), /integer ≥ 1, got 0/);
    assert.throws(() => concurrencyOf('x'), /integer ≥ 1, got x/);
  });
});
