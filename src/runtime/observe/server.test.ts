import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { reconcileDurationBuckets, reconcileDurationHistogram } from './metrics.ts';
import { ObserveServer, ObserveServerError, parseListenAddress } from './server.ts';

describe('parseListenAddress', () => {
  const ok: [string, string | undefined, number][] = [
    [':8080', undefined, 8080],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::1]:9440', '::1', 9440],
    ['localhost:8081', 'localhost', 8081],
  ];
  for (const [addr, host, port] of ok) {
    it(addr, () => assert.deepEqual(parseListenAddress(addr), { host, port }));
  }
  for (const bad of ['8080', 'host:', ':99999', 'a:b:1']) {
    it(`rejects ${bad}`, () => assert.throws(() => parseListenAddress(bad), (e: unknown) => e instanceof ObserveServerError && e.reason === 'InvalidAddress'));
  }
});

describe('ObserveServer', () => {
  const registry = new Registry();
  const server = new ObserveServer({ registry, checkTimeoutMs: 100 });
  let base = '';
  let cacheSynced = false;

  before(async () => {
    server.addHealthCheck('ping', () => undefined);
    server.addReadyCheck('ping', () => undefined);
    server.addReadyCheck('informers', () => {
      if (!cacheSynced) throw new Error('caches not synced');
    });
    base = `http://${await server.start('127.0.0.1:0')}`;
  });
  after(() => server.stop());

  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
  };

  it('serves /healthz', async () => {
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok', type: 'text/plain; charset=utf-8' });
  });

  it('fails /readyz naming the failing check, then passes once it recovers', async () => {
    const failing = await get('/readyz');
    assert.equal(failing.status, 500);
    assert.equal(failing.body, '[-]informers failed: reason withheld\n[+]ping ok\nreadyz check failed\n');
    cacheSynced = true;
    assert.equal((await get('/readyz')).status, 200);
    assert.equal((await get('/readyz?verbose')).body, '[+]informers ok\n[+]ping ok\nreadyz check passed\n');
    cacheSynced = false;
  });

  it('runs one check by path and honours exclude', async () => {
    assert.deepEqual(await get('/readyz/informers').then((r) => [r.status, r.body]), [500, 'internal server error: caches not synced\n']);
    assert.equal((await get('/readyz/ping')).status, 200);
    assert.equal((await get('/readyz/nope')).status, 404);
    assert.equal((await get('/readyz?exclude=informers')).status, 200);
  });

  it('fails a check that hangs past the timeout', async () => {
    server.addReadyCheck('hangs', () => new Promise<void>(() => undefined));
    try {
      const r = await get('/readyz/hangs');
      assert.deepEqual([r.status, r.body], [500, 'internal server error: timed out after 100ms\n']);
    } finally {
      server.removeCheck('hangs');
    }
  });

  it('refuses a duplicate check name', () => {
    assert.throws(() => server.addHealthCheck('ping', () => undefined), (e: unknown) => e instanceof ObserveServerError && e.reason === 'DuplicateCheck');
  });

  it('serves the registry at /metrics, including gotk_reconcile_duration_seconds', async () => {
    const h = reconcileDurationHistogram(registry);
    assert.equal(reconcileDurationHistogram(registry), h);
    h.observe({ kind: 'GitRepository', name: 'podinfo', namespace: 'flux-system' }, 0.5);
    const r = await get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /gotk_reconcile_duration_seconds_bucket\{le="1",kind="GitRepository",name="podinfo",namespace="flux-system"\} 1/);
    assert.match(r.body, /gotk_reconcile_duration_seconds_bucket\{le="0\.1",kind="GitRepository",name="podinfo",namespace="flux-system"\} 0/);
    assert.deepEqual(reconcileDurationBuckets, [0.01, 0.1, 1, 10, 100, 1000]);
  });

  it('answers 404 and 405 where it should', async () => {
    assert.equal((await get('/nope')).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
  });

  it('refuses a second start and a taken port', async () => {
    await assert.rejects(server.start('127.0.0.1:0'), (e: unknown) => e instanceof ObserveServerError && e.reason === 'AlreadyStarted');
    const other = new ObserveServer();
    await assert.rejects(other.start(base.replace('http://', '')), (e: unknown) => e instanceof ObserveServerError && e.reason === 'ListenFailed');
  });

  it('serves no /metrics without a registry', async () => {
    const bare = new ObserveServer();
    const addr = await bare.start('127.0.0.1:0');
    try {
      assert.equal((await fetch(`http://${addr}/metrics`)).status, 404);
    } finally {
      await bare.stop();
    }
  });
});
