import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryPool } from './registry-pool.ts';

void test('one client per configuration, shared while leased, closed only when idle long enough', async () => {
  let now = 0;
  const pool = new RegistryPool({ maxIdleMs: 1_000, now: () => now });
  const a = pool.acquire({ host: 'r.example:5000', insecure: true });
  const b = pool.acquire({ host: 'R.example:5000', insecure: true });
  assert.equal(a.registry, b.registry, 'host names are case-insensitive');
  const other = pool.acquire({ host: 'r.example:5000', insecure: true, credentials: { kind: 'basic', username: 'u', password: 'p' } });
  assert.notEqual(other.registry, a.registry, 'other credentials, other client');
  const changed = pool.acquire({ host: 'r.example:5000', insecure: true, credentials: { kind: 'basic', username: 'u', password: 'rotated' } });
  assert.notEqual(changed.registry, other.registry, 'a rotated password is a new client');
  other.release();
  changed.release();
  a.release();
  now = 5_000;
  // b still holds the first client: only the two idle ones go.
  pool.acquire({ host: 'fresh.example' }).release();
  assert.equal(pool.size, 2);
  assert.equal(pool.acquire({ host: 'r.example:5000', insecure: true }).registry, a.registry);
  b.release();
  b.release(); // a second release is ignored
  await pool.close();
  assert.equal(pool.size, 0);
});

void test('beyond maxIdle the longest idle clients are closed first', async () => {
  let now = 0;
  const pool = new RegistryPool({ maxIdle: 2, now: () => now });
  for (const host of ['one', 'two', 'three']) {
    now++;
    pool.acquire({ host }).release();
  }
  const kept = pool.acquire({ host: 'four' });
  assert.equal(pool.size, 3, 'two idle kept, one in use');
  kept.release();
  await pool.close();
});
