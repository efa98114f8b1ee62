import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectKey } from '../../kube/types.ts';
import type { KubeObject } from '../../kube/types.ts';
import { runUntil, tick } from './testing/fake-clock.ts';
import { FakeStatusError, goneStatus, seededRandom } from './testing/fake-server.ts';
import type { FakeApiServer } from './testing/fake-server.ts';
import { harness, Mirror, stripped } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

const apps = ['web', 'db', 'cache'];
const app = (o: KubeObject) => [o.metadata.labels?.['app'] ?? 'none'];

/** Faults with their chance per step; whatever is left over is a write. */
const faults: [number, (server: FakeApiServer) => void][] = [
  [0.03, (s) => s.cutWatches()],
  [0.03, (s) => s.breakWatches()],
  [0.02, (s) => s.compact()],
  [0.01, (s) => s.expireWatches()],
  [0.01, (s) => void s.watchFailures.push(new Error('connect ECONNREFUSED'))],
  [0.005, (s) => void s.watchFailures.push(new FakeStatusError(goneStatus()))],
  [0.005, (s) => void s.listFailures.push(new Error('socket hang up'))],
  [0.03, (s) => s.bookmark()],
  [0.02, (s) => void (s.stalled = !s.stalled)],
  [0.01, (s) => s.errorWatches({ kind: 'Status', apiVersion: 'v1', code: 500, message: 'boom' })],
];

/** One random write: create (reusing a few names, so delete-then-recreate is common), update or delete. */
function randomWrite(server: FakeApiServer, rnd: () => number, i: number): void {
  const keys = server.keys();
  const pick = () => keys[Math.floor(rnd() * keys.length)] ?? '';
  const labels = () => ({ app: apps[Math.floor(rnd() * apps.length)] ?? 'web' });
  const r = rnd();
  if (r < 0.35 || keys.length === 0) {
    const ns = `ns${Math.floor(rnd() * 3)}`;
    const name = `o${Math.floor(rnd() * 150)}`;
    if (!server.has(`${ns}/${name}`)) server.create(name, ns, { metadata: { labels: labels() } });
  } else if (r < 0.75) {
    server.update(pick(), (o) => {
      o['data'] = { step: String(i) };
      if (rnd() < 0.3) o.metadata.labels = labels();
    });
  } else {
    server.delete(pick());
  }
}

function randomStep(server: FakeApiServer, rnd: () => number, i: number): void {
  let r = rnd();
  for (const [chance, fault] of faults) {
    if (r < chance) return fault(server);
    r -= chance;
  }
  randomWrite(server, rnd, i);
}

/** Lets faults heal, runs until the informer has caught up, then compares everything. */
async function assertConverged(h: Harness, mirror: Mirror): Promise<void> {
  h.server.resume();
  await runUntil(
    h.clock,
    () => h.informer.hasSynced() && h.informer.lastSyncResourceVersion() === String(h.server.rv),
    { what: `catch up to rv ${h.server.rv}` },
  );
  const want = stripped(h.server.state());
  assert.deepEqual(new Map(h.informer.list().map((o) => [objectKey(o), o])), want);
  assert.deepEqual(mirror.violations, []);
  assert.deepEqual(mirror.objects, want);
  for (const value of [...apps, 'none']) {
    const fromIndex = h.informer.byIndex('app', value).map(objectKey).sort();
    const expected = [...want.values()].filter((o) => app(o)[0] === value).map(objectKey).sort();
    assert.deepEqual(fromIndex, expected, `index app=${value}`);
  }
}

async function run(seed: number, steps: number): Promise<Harness> {
  const rnd = seededRandom(seed);
  const h = harness({ pageSize: 7, indexers: { app }, backoff: { jitter: 0.5 } }, seed);
  const mirror = new Mirror();
  h.informer.addEventHandler(mirror);
  for (let i = 0; i < 20; i++) h.server.create(`seed${i}`, 'ns0', { metadata: { labels: { app: 'web' } } });
  h.start();
  for (let i = 0; i < steps; i++) {
    randomStep(h.server, rnd, i);
    // Let the informer run sometimes, so events arrive in bursts of varying size.
    if (rnd() < 0.4) await tick();
    if (rnd() < 0.05) h.clock.advanceToNext();
    if (i % 250 === 249) await assertConverged(h, mirror);
  }
  await assertConverged(h, mirror);
  await h.stop();
  return h;
}

describe('SharedInformer: random writes and faults', () => {
  for (const seed of [1, 2, 3]) {
    it(`ends with the server's exact state, told to handlers without contradiction (seed ${seed})`, async () => {
      const h = await run(seed, 2_000);
      const s = h.informer.stats();
      // The run must actually have exercised recovery, or it proves little.
      assert.ok(s.expired > 0 && s.failures > 0 && s.lists > 3 && s.bookmarks > 0, JSON.stringify(s));
    });
  }
});
