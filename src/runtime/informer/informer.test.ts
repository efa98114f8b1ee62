import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ListerWatcher, WatchEvent } from '../../kube/types.ts';
import { pino } from 'pino';
import { InformerError } from './errors.ts';
import { SharedInformer } from './informer.ts';
import { FakeClock, runUntil, tick } from './testing/fake-clock.ts';
import { FakeStatusError, goneStatus } from './testing/fake-server.ts';
import { eventRecorder, harness, Mirror, stripped } from './testing/harness.ts';

const synced = (h: ReturnType<typeof harness>) => () =>
  h.informer.hasSynced() && h.informer.lastSyncResourceVersion() === String(h.server.rv);

describe('SharedInformer: list', () => {
  it('pages the initial list, syncs, then watches from the list resourceVersion', async () => {
    const h = harness({ pageSize: 500 });
    for (let i = 0; i < 1234; i++) h.server.create(`o${String(i).padStart(4, '0')}`);
    const ctl = new AbortController();
    const waited = h.informer.waitForSync(ctl.signal);
    h.start();
    await runUntil(h.clock, () => h.server.activeWatches() === 1);
    assert.equal(await waited, true);
    assert.equal(h.server.listCalls.length, 3);
    assert.deepEqual(h.server.listCalls[0], { limit: 500 });
    assert.deepEqual(h.server.listCalls[1], { limit: 500, continue: '1:500' });
    assert.deepEqual(h.server.listCalls[2], { limit: 500, continue: '2:1000' });
    assert.equal(h.informer.list().length, 1234);
    assert.deepEqual(h.informer.store.keys().sort(), h.server.keys().sort());
    assert.equal(h.events.length, 1234);
    assert.ok(h.events.every((e) => e.startsWith('add ') && e.endsWith(' initial')));
    assert.equal(h.informer.lastSyncResourceVersion(), '1234');
    const w = h.server.watchCalls[0];
    assert.equal(w?.resourceVersion, '1234');
    assert.equal(w?.allowWatchBookmarks, true);
    assert.ok(w?.timeoutSeconds !== undefined && w.timeoutSeconds >= 300 && w.timeoutSeconds <= 600);
    await h.stop();
  });

  it('passes selectors and namespace to list and watch', async () => {
    const h = harness({ namespace: 'ns', labelSelector: 'app=web', fieldSelector: 'metadata.name=x', pageSize: 0 });
    h.start();
    await runUntil(h.clock, () => h.server.activeWatches() === 1);
    assert.deepEqual(h.server.listCalls[0], { namespace: 'ns', labelSelector: 'app=web', fieldSelector: 'metadata.name=x' });
    assert.equal(h.server.watchCalls[0]?.labelSelector, 'app=web');
    assert.equal(h.server.watchCalls[0]?.fieldSelector, 'metadata.name=x');
    assert.equal(h.server.watchCalls[0]?.namespace, 'ns');
    await h.stop();
  });

  it('restarts the list without a resourceVersion when a continue token expires, then lists unpaged', async () => {
    const h = harness({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) h.server.create(n);
    let expiries = 0;
    h.server.onList = (opts) => {
      if (!opts.continue || expiries >= 2) return;
      expiries++;
      h.server.update('default/a', (o) => (o['data'] = { v: String(expiries) }));
      h.server.compact();
    };
    h.start();
    await runUntil(h.clock, synced(h));
    assert.ok(h.server.listCalls.every((c) => c.resourceVersion === undefined));
    assert.deepEqual(h.server.listCalls, [
      { limit: 2 },
      { limit: 2, continue: '1:2' },
      { limit: 2 },
      { limit: 2, continue: '2:2' },
      {},
    ]);
    assert.deepEqual(new Map(h.informer.list().map((o) => [`default/${o.metadata.name}`, o])), stripped(h.server.state()));
    assert.equal(h.events.length, 5);
    await h.stop();
  });
});

describe('SharedInformer: watch', () => {
  it('applies events in order', async () => {
    const h = harness();
    h.server.create('a');
    h.server.create('b');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.create('c');
    h.server.update('default/a', (o) => (o['data'] = { v: '1' }));
    h.server.update('default/a', (o) => (o['data'] = { v: '2' }));
    h.server.delete('default/b');
    await runUntil(h.clock, synced(h));
    assert.deepEqual(h.events, [
      'add default/a 1 initial',
      'add default/b 2 initial',
      'add default/c 3',
      'update default/a 1->4',
      'update default/a 4->5',
      'delete default/b 6',
    ]);
    assert.deepEqual(h.informer.getByKey('default/a')?.['data'], { v: '2' });
    assert.equal(h.informer.getByKey('default/b'), undefined);
    await h.stop();
  });

  it('re-lists after ERROR 410 with updates and deletes only, never replaying existing objects', async () => {
    const h = harness();
    for (const n of ['a', 'b', 'c', 'd']) h.server.create(n);
    h.start();
    await runUntil(h.clock, synced(h));
    h.events.length = 0;
    h.server.stalled = true; // the informer sees none of what follows until the re-list
    h.server.update('default/a', (o) => (o['data'] = { v: 'new' }));
    h.server.delete('default/b');
    h.server.create('e');
    h.server.delete('default/d');
    h.server.create('d'); // same name, new uid
    h.server.compact();
    h.server.resume();
    await runUntil(h.clock, synced(h));
    assert.deepEqual(h.events, [
      'delete default/b 2', // last known state
      'update default/a 1->5',
      'delete default/d 4',
      'add default/d 9',
      'add default/e 7',
    ]);
    assert.equal(h.informer.stats().expired, 1);
    assert.deepEqual(h.server.listCalls[1], { limit: 500 }); // fresh: no resourceVersion
    assert.equal(h.server.watchCalls.at(-1)?.resourceVersion, '9');
    await h.stop();
  });

});

describe('SharedInformer: watch recovery', () => {
  it('re-lists when the watch throws an error carrying 410', async () => {
    const h = harness();
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.watchFailures.push(new FakeStatusError(goneStatus()));
    h.server.cutWatches();
    await runUntil(h.clock, () => h.server.listCalls.length === 2 && h.server.activeWatches() === 1);
    assert.equal(h.informer.stats().expired, 1);
    assert.deepEqual(h.events, ['add default/a 1 initial']);
    await h.stop();
  });

  it('backs off before re-listing when a fresh watch expires at once, instead of hammering the server', async () => {
    const h = harness();
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.create('b'); // the watch makes progress
    await runUntil(h.clock, synced(h));
    const at: number[] = [];
    h.server.onList = () => void at.push(h.clock.now());
    for (let i = 0; i < 3; i++) h.server.watchFailures.push(new FakeStatusError(goneStatus()));
    h.server.expireWatches();
    await runUntil(h.clock, () => h.server.listCalls.length === 5 && h.server.activeWatches() === 1);
    const t0 = at[0] ?? 0;
    // The first expiry follows a watch that made progress: re-list at once; the next ones back off.
    assert.deepEqual(at.map((t) => t - t0), [0, 800, 800 + 1600, 800 + 1600 + 3200]);
    assert.equal(h.informer.stats().expired, 4);
    await h.stop();
  });

  it('treats ADDED for a cached key as an update and ignores DELETED for an unknown one', async () => {
    const obj = (rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a', resourceVersion: rv } });
    const script: WatchEvent<KubeObject>[] = [
      { type: 'ADDED', object: obj('2') },
      { type: 'DELETED', object: { apiVersion: 'v1', kind: 'X', metadata: { name: 'ghost', resourceVersion: '3' } } },
      { type: 'MODIFIED', object: obj('4') },
    ];
    const lw: ListerWatcher<KubeObject> = {
      list: () => Promise.resolve({ apiVersion: 'v1', kind: 'XList', metadata: { resourceVersion: '1' }, items: [obj('1')] }),
      watch: async function* () {
        yield* script.splice(0);
        await new Promise(() => undefined); // then idle forever
      },
    };
    const clock = new FakeClock();
    const events: string[] = [];
    const informer = new SharedInformer({ lw, name: 't', clock });
    informer.addEventHandler(eventRecorder(events));
    const ctl = new AbortController();
    const running = informer.start(ctl.signal);
    await runUntil(clock, () => informer.lastSyncResourceVersion() === '4');
    assert.deepEqual(events, ['add a 1 initial', 'update a 1->2', 'update a 2->4']);
    ctl.abort();
    await running;
  });

});

describe('SharedInformer: bookmarks and inactivity', () => {
  it('resumes from a bookmark without re-listing, where no bookmark means a re-list', async () => {
    for (const bookmarks of [true, false]) {
      const h = harness({ namespace: 'mine' });
      h.server.create('a', 'mine');
      h.start();
      await runUntil(h.clock, synced(h));
      for (let i = 0; i < 5; i++) h.server.create(`x${i}`, 'other'); // advances the RV unseen
      if (bookmarks) {
        h.server.bookmark();
        await runUntil(h.clock, synced(h));
      }
      h.server.compact();
      h.server.cutWatches();
      await runUntil(h.clock, () => h.server.watchCalls.length >= 2 && h.server.activeWatches() === 1 && synced(h)());
      if (bookmarks) {
        assert.equal(h.server.watchCalls[1]?.resourceVersion, '6');
        assert.equal(h.informer.stats().bookmarks, 1);
        assert.equal(h.server.listCalls.length, 1);
      } else {
        assert.equal(h.server.watchCalls[1]?.resourceVersion, '1');
        assert.equal(h.server.listCalls.length, 2);
        assert.equal(h.informer.stats().expired, 1);
      }
      assert.deepEqual(h.events, ['add mine/a 1 initial']);
      await h.stop();
    }
  });

  it('restarts a watch that goes quiet for the inactivity timeout, from the same resourceVersion', async () => {
    const h = harness({ inactivityTimeoutMs: 60_000 });
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    await h.clock.advance(50_000);
    h.server.create('b'); // an event re-arms the timer
    await h.clock.advance(50_000);
    assert.equal(h.server.watchCalls.length, 1);
    h.server.stalled = true; // the last event came 50 s ago
    await h.clock.advance(9_000);
    assert.equal(h.server.watchCalls.length, 1);
    await h.clock.advance(2_000);
    assert.equal(h.server.watchCalls.length, 2);
    assert.equal(h.server.watchCalls[1]?.resourceVersion, '2');
    assert.equal(h.informer.stats().inactivityRestarts, 1);
    assert.equal(h.server.listCalls.length, 1);
    h.server.resume();
    h.server.create('c');
    await runUntil(h.clock, synced(h));
    assert.equal(h.informer.getByKey('default/c')?.metadata.name, 'c');
    await h.stop();
  });
});

describe('SharedInformer: failures', () => {
  it('backs off between failed lists, doubling to the 30 s cap', async () => {
    const h = harness();
    const at: number[] = [];
    h.server.onList = () => void at.push(h.clock.now());
    for (let i = 0; i < 8; i++) h.server.listFailures.push(new Error('connect ECONNREFUSED'));
    h.start();
    await runUntil(h.clock, () => h.informer.hasSynced());
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    assert.deepEqual(gaps, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    assert.equal(h.informer.stats().failures, 8);
    assert.ok(h.logs.some((l) => l.level === 'warn' && l.msg.startsWith('list failed')));
    await h.stop();
  });

  it('re-watches from the last resourceVersion after a broken stream, and re-lists if the watch cannot start', async () => {
    const h = harness();
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.create('b'); // the stream is now established
    await runUntil(h.clock, synced(h));
    const t0 = h.clock.now();
    h.server.breakWatches();
    await runUntil(h.clock, () => h.server.watchCalls.length === 2);
    assert.equal(h.clock.now() - t0, 800);
    assert.equal(h.server.watchCalls[1]?.resourceVersion, '2');
    assert.equal(h.server.listCalls.length, 1);

    h.server.watchFailures.push(new Error('connect ECONNREFUSED'));
    h.server.cutWatches();
    await runUntil(h.clock, () => h.server.listCalls.length === 2 && h.server.activeWatches() === 1);
    assert.equal(h.informer.stats().failures, 2);

    const throttled = Object.assign(new Error('throttled'), { statusCode: 429 });
    h.server.watchFailures.push(throttled);
    h.server.cutWatches();
    await runUntil(h.clock, () => h.informer.stats().failures === 3 && h.server.activeWatches() === 1);
    assert.equal(h.server.listCalls.length, 2); // throttling only needs a wait, not a re-list
    assert.deepEqual(h.events, ['add default/a 1 initial', 'add default/b 2']);
    await h.stop();
  });

  it('backs off and re-watches after a non-410 ERROR event', async () => {
    const h = harness();
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.errorWatches({ kind: 'Status', apiVersion: 'v1', code: 500, message: 'etcd timeout' });
    await runUntil(h.clock, () => h.server.watchCalls.length === 2);
    assert.equal(h.server.listCalls.length, 1);
    const warn = h.logs.find((l) => l.msg.startsWith('watch failed'));
    assert.ok(warn?.fields['err'] instanceof InformerError && warn.fields['err'].reason === 'WatchError');
    await h.stop();
  });

});

describe('SharedInformer: backoff', () => {
  it('resets the backoff after a healthy period', async () => {
    const h = harness({ inactivityTimeoutMs: 3_600_000 });
    h.start();
    await runUntil(h.clock, synced(h));
    const gap = async () => {
      h.server.create(`o${h.server.rv}`); // make the watch established
      await runUntil(h.clock, synced(h));
      const n = h.server.watchCalls.length;
      const t0 = h.clock.now();
      h.server.breakWatches();
      await runUntil(h.clock, () => h.server.watchCalls.length === n + 1);
      return h.clock.now() - t0;
    };
    assert.deepEqual([await gap(), await gap(), await gap()], [800, 1600, 3200]);
    await h.clock.advance(121_000);
    assert.equal(await gap(), 800);
    await h.stop();
  });

  it('backs off when a watch closes at once with nothing, instead of spinning', async () => {
    const h = harness();
    h.start();
    await runUntil(h.clock, synced(h));
    for (let i = 0; i < 3; i++) {
      h.server.cutWatches();
      await runUntil(h.clock, () => h.server.watchCalls.length === i + 2);
    }
    assert.ok(h.clock.now() >= 1_000_000 + 800 + 1600 + 3200);
    await h.stop();
  });
});

describe('SharedInformer: handlers', () => {
  it('survives throwing and rejecting handlers and keeps telling the others', async () => {
    const h = harness();
    h.informer.addEventHandler({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    // An async handler slipped past the types: its rejection must still be caught.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- on purpose: the informer must cope
    h.informer.addEventHandler({ onUpdate: () => Promise.reject(new Error('async boom')) });
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.update('default/a', (o) => (o['data'] = {}));
    h.server.create('b');
    await runUntil(h.clock, synced(h));
    await tick();
    assert.deepEqual(h.events, ['add default/a 1 initial', 'update default/a 1->2', 'add default/b 3']);
    assert.deepEqual(
      h.logs.filter((l) => l.level === 'error').map((l) => l.msg),
      ['onAdd handler threw', 'onUpdate handler rejected', 'onAdd handler threw'],
    );
    await h.stop();
  });

  it('replays the cache to a handler added after sync, and stops calling a removed one', async () => {
    const h = harness();
    h.server.create('a');
    h.server.create('b');
    h.start();
    await runUntil(h.clock, synced(h));
    const late: string[] = [];
    const reg = h.informer.addEventHandler(eventRecorder(late));
    assert.equal(reg.hasSynced(), true);
    assert.deepEqual(late.sort(), ['add default/a 1 initial', 'add default/b 2 initial']);
    reg.remove();
    h.server.create('c');
    await runUntil(h.clock, synced(h));
    assert.equal(late.length, 2);
    assert.equal(h.events.at(-1), 'add default/c 3');
    await h.stop();
  });

});

describe('SharedInformer: indexes, transform, lifecycle', () => {
  it('keeps indexes right across watch events and a re-list', async () => {
    const app = (o: KubeObject) => [o.metadata.labels?.['app'] ?? 'none'];
    const h = harness({ indexers: { app } });
    h.server.create('a', 'default', { metadata: { labels: { app: 'web' } } });
    h.server.create('b', 'default', { metadata: { labels: { app: 'web' } } });
    h.start();
    await runUntil(h.clock, synced(h));
    const names = (v: string) => h.informer.byIndex('app', v).map((o) => o.metadata.name).sort();
    assert.deepEqual(names('web'), ['a', 'b']);
    h.server.update('default/a', (o) => (o.metadata.labels = { app: 'db' }));
    await runUntil(h.clock, synced(h));
    assert.deepEqual([names('web'), names('db')], [['b'], ['a']]);
    h.server.stalled = true;
    h.server.update('default/b', (o) => (o.metadata.labels = { app: 'db' }));
    h.server.delete('default/a');
    h.server.create('c', 'default', { metadata: { labels: { app: 'web' } } });
    h.server.compact();
    h.server.resume();
    await runUntil(h.clock, synced(h));
    assert.equal(h.informer.stats().expired, 1);
    assert.deepEqual([names('web'), names('db')], [['c'], ['b']]);
    await h.stop();
  });

  it('strips managedFields by default and applies a custom transform instead when given', async () => {
    const h = harness();
    h.server.create('a');
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.create('b');
    await runUntil(h.clock, synced(h));
    assert.ok(h.server.state().get('default/a')?.metadata.managedFields);
    for (const o of h.informer.list()) assert.equal('managedFields' in o.metadata, false);
    await h.stop();

    const t = harness({ transform: (o) => ({ ...o, metadata: { ...o.metadata, annotations: { seen: 'yes' } } }) });
    t.server.create('a');
    t.start();
    await runUntil(t.clock, synced(t));
    const a = t.informer.getByKey('default/a');
    assert.equal(a?.metadata.annotations?.['seen'], 'yes');
    assert.ok(a?.metadata.managedFields); // the custom transform replaces the default
    await t.stop();
  });

});

describe('SharedInformer: lifecycle', () => {
  it('reports not-synced when stopped before the first list succeeds, and starts only once', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.server.listFailures.push(new Error('down'));
    const waited = h.informer.waitForSync(new AbortController().signal);
    h.start();
    await runUntil(h.clock, () => h.server.listCalls.length === 2);
    await assert.rejects(h.informer.start(new AbortController().signal), (e) => e instanceof InformerError && e.reason === 'AlreadyStarted');
    await h.stop();
    assert.equal(await waited, false);
    assert.equal(h.informer.hasSynced(), false);
    assert.equal(await h.informer.waitForSync(new AbortController().signal), false);
  });

  it('closes its watch when stopped', async () => {
    const h = harness();
    h.start();
    await runUntil(h.clock, () => h.server.activeWatches() === 1);
    await h.stop();
    await tick();
    assert.equal(h.server.activeWatches(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  it('takes a pino logger as its log', () => {
    const lw: ListerWatcher<KubeObject> = { list: () => Promise.reject(new Error('x')), watch: () => [] as never };
    const informer = new SharedInformer({ lw, name: 'x', log: pino({ level: 'silent' }) });
    assert.equal(informer.hasSynced(), false);
  });

  it('refuses invalid options', () => {
    const lw: ListerWatcher<KubeObject> = { list: () => Promise.reject(new Error('x')), watch: () => [] as never };
    assert.throws(() => new SharedInformer({ lw, name: 'x', pageSize: -1 }), InformerError);
    assert.throws(() => new SharedInformer({ lw, name: 'x', minWatchTimeoutSeconds: 0 }), InformerError);
  });

  it('a mirror built from handler calls matches the server after a re-list', async () => {
    const h = harness();
    const mirror = new Mirror();
    h.informer.addEventHandler(mirror);
    for (const n of ['a', 'b', 'c']) h.server.create(n);
    h.start();
    await runUntil(h.clock, synced(h));
    h.server.stalled = true;
    h.server.delete('default/a');
    h.server.update('default/b', (o) => (o['data'] = { v: 'x' }));
    h.server.compact();
    h.server.resume();
    await runUntil(h.clock, synced(h));
    assert.deepEqual(mirror.violations, []);
    assert.deepEqual(mirror.objects, stripped(h.server.state()));
    await h.stop();
  });
});
