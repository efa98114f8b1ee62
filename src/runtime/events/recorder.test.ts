import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { applyMergePatch } from '../status/merge-patch.ts';
import type { EventLogger } from './forwarder.ts';
import { eventAnnotations, EventRecorder, formatMicroTime } from './recorder.ts';
import type { EventRecorderOptions, EventSink } from './recorder.ts';
import { TokenBucketFilter } from './spam-filter.ts';

class FakeSink implements EventSink {
  readonly events = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  failCreate = false;

  create(event: KubeObject): Promise<KubeObject> {
    this.calls.push(`create ${event.metadata.name ?? ''}`);
    if (this.failCreate) return Promise.reject(new Error('forbidden'));
    this.events.set(`${event.metadata.namespace ?? ''}/${event.metadata.name ?? ''}`, structuredClone(event));
    return Promise.resolve(event);
  }

  patch(namespace: string, name: string, mergePatch: unknown): Promise<KubeObject> {
    this.calls.push(`patch ${name}`);
    const cur = this.events.get(`${namespace}/${name}`);
    if (!cur) return Promise.reject(Object.assign(new Error('not found'), { code: 404 }));
    const next = applyMergePatch(cur, mergePatch) as KubeObject;
    this.events.set(`${namespace}/${name}`, next);
    return Promise.resolve(next);
  }

  only(): KubeObject {
    assert.equal(this.events.size, 1);
    return [...this.events.values()][0] as KubeObject;
  }
}

function memoryLogger() {
  const errors: string[] = [];
  const logger: EventLogger = { error: (_o, msg) => void errors.push(msg), debug: () => undefined };
  return { errors, logger };
}

const repo: KubeObject = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  metadata: { name: 'podinfo', namespace: 'flux-system', uid: 'u-1', resourceVersion: '7', annotations: { 'event.toolkit.fluxcd.io/team': 'web', other: 'x' } },
};

function setup(opts: Partial<EventRecorderOptions> = {}) {
  let t = Date.parse('2025-01-01T00:00:00.250Z');
  const sink = new FakeSink();
  const recorder = new EventRecorder({ sink, reportingController: 'source-controller', reportingInstance: 'source-controller-abc', clock: () => new Date(t), ...opts });
  return { sink, recorder, advance: (ms: number) => (t += ms) };
}

describe('EventRecorder', () => {
  it('writes an events.k8s.io/v1 Event with Flux annotations', async () => {
    const { sink, recorder } = setup();
    await recorder.annotatedEventf(repo, { revision: 'main@sha1:abc' }, 'Normal', 'NewArtifact', 'stored artifact for commit %s', 'abc');
    const ev = sink.only();
    assert.match(ev.metadata.name ?? '', /^podinfo\.[0-9a-f]+$/);
    assert.deepEqual({ ...ev, metadata: { ...ev.metadata, name: undefined } }, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: undefined,
        namespace: 'flux-system',
        annotations: { 'event.toolkit.fluxcd.io/team': 'web', 'source.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
      },
      eventTime: '2025-01-01T00:00:00.250000Z',
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-abc',
      action: 'Reconcile',
      reason: 'NewArtifact',
      regarding: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'podinfo', namespace: 'flux-system', uid: 'u-1', resourceVersion: '7' },
      note: 'stored artifact for commit abc',
      type: 'Normal',
    });
  });

  it('turns repeats inside the window into a series on one Event', async () => {
    const { sink, recorder, advance } = setup();
    await recorder.eventf(repo, 'Warning', 'GitOperationFailed', 'auth failed');
    advance(1_000);
    await recorder.eventf(repo, 'Warning', 'GitOperationFailed', 'auth failed');
    advance(1_000);
    await recorder.eventf(repo, 'Warning', 'GitOperationFailed', 'auth failed');
    const ev = sink.only();
    assert.deepEqual(ev.series, { count: 3, lastObservedTime: '2025-01-01T00:00:02.250000Z' });
    assert.deepEqual(sink.calls.map((c) => c.split(' ')[0]), ['create', 'patch', 'patch']);
  });

  it('starts a new Event after the window, or for a different note', async () => {
    const { sink, recorder, advance } = setup({ dedupeWindowMs: 10_000 });
    await recorder.eventf(repo, 'Normal', 'Progressing', 'a');
    await recorder.eventf(repo, 'Normal', 'Progressing', 'b');
    advance(11_000);
    await recorder.eventf(repo, 'Normal', 'Progressing', 'a');
    assert.equal(sink.events.size, 3);
    assert.ok([...sink.events.values()].every((e) => e.series === undefined));
  });

  it('orders concurrent repeats: one create, then patches', async () => {
    const { sink, recorder } = setup();
    await Promise.all([1, 2, 3].map(() => recorder.eventf(repo, 'Normal', 'Progressing', 'same')));
    assert.equal(sink.only().series && (sink.only().series as { count: number }).count, 3);
  });

  it('recreates the Event when the series patch finds it gone', async () => {
    const { sink, recorder } = setup();
    await recorder.eventf(repo, 'Normal', 'Progressing', 'x');
    sink.events.clear();
    await recorder.eventf(repo, 'Normal', 'Progressing', 'x');
    assert.equal(sink.only().series, undefined);
    assert.deepEqual(sink.calls.map((c) => c.split(' ')[0]), ['create', 'patch', 'create']);
  });

  it('drops events once the per-object bucket is empty, and refills over time', async () => {
    const { sink, recorder, advance } = setup({ spamFilter: { burst: 2, refillPerSecond: 1 / 60 } });
    for (const n of [1, 2, 3]) await recorder.eventf(repo, 'Normal', 'R', `n${n}`);
    assert.equal(sink.events.size, 2);
    advance(60_000);
    await recorder.eventf(repo, 'Normal', 'R', 'n4');
    assert.equal(sink.events.size, 3);
  });

  it('logs, and does not throw, when the sink fails', async () => {
    const { errors, logger } = memoryLogger();
    const { sink, recorder } = setup({ logger });
    sink.failCreate = true;
    await recorder.eventf(repo, 'Warning', 'BuildFailed', 'boom');
    assert.deepEqual(errors, ['unable to write event']);
  });
});

describe('EventRecorder edge cases', () => {
  it('stores Trace as Normal, truncates long notes, and uses default for cluster-scoped objects', async () => {
    const { sink, recorder } = setup();
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } };
    await recorder.record(ns, { type: 'Trace', reason: 'Debug', note: 'x'.repeat(2000), action: 'Inspect', metadata: { k: 'v' } });
    const ev = sink.only();
    assert.equal(ev.type, 'Normal');
    assert.equal((ev.note as string).length, 1024);
    assert.equal(ev.metadata.namespace, 'default');
    assert.equal(ev.action, 'Inspect');
    assert.deepEqual(ev.metadata.annotations, { k: 'v' });
  });
});

describe('event helpers', () => {
  it('formats MicroTime with six digits', () => {
    assert.equal(formatMicroTime(new Date('2025-01-01T00:00:00.007Z')), '2025-01-01T00:00:00.007000Z');
  });

  it('prefixes bare metadata keys with the object group and keeps qualified ones', () => {
    assert.deepEqual(eventAnnotations(repo, { revision: 'r', 'kustomize.toolkit.fluxcd.io/token': 't' }), {
      'event.toolkit.fluxcd.io/team': 'web',
      'source.toolkit.fluxcd.io/revision': 'r',
      'kustomize.toolkit.fluxcd.io/token': 't',
    });
  });

  it('token bucket: burst, then refill, least-recently-used eviction', () => {
    const f = new TokenBucketFilter({ burst: 1, refillPerSecond: 1, maxKeys: 1 });
    assert.equal(f.allow('a', 0), true);
    assert.equal(f.allow('a', 500), false);
    assert.equal(f.allow('a', 1600), true);
    assert.equal(f.allow('b', 1600), true);
    assert.equal(f.allow('a', 1600), true, 'a was evicted, so it starts with a full bucket');
  });
});

describe('forwarding to the notification controller', () => {
  const received: { body: unknown; type: string | undefined }[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  let server: Server;
  let url = '';

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), type: req.headers['content-type'] });
        if (mode === 'hang') return;
        res.writeHead(mode === 'ok' ? 202 : 500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts Flux event JSON, with error severity for warnings', async () => {
    received.length = 0;
    mode = 'ok';
    const { errors, logger } = memoryLogger();
    const { recorder } = setup({ forward: { url }, logger });
    await recorder.annotatedEventf(repo, { revision: 'main@sha1:abc' }, 'Warning', 'GitOperationFailed', 'clone failed');
    await recorder.eventf(repo, 'Trace', 'Debug', 'not forwarded');
    await recorder.idle();
    assert.deepEqual(errors, []);
    assert.equal(received.length, 1);
    assert.equal(received[0]?.type, 'application/json');
    assert.deepEqual(received[0]?.body, {
      involvedObject: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'podinfo', namespace: 'flux-system', uid: 'u-1', resourceVersion: '7' },
      severity: 'error',
      timestamp: '2025-01-01T00:00:00Z',
      message: 'clone failed',
      reason: 'GitOperationFailed',
      metadata: { 'event.toolkit.fluxcd.io/team': 'web', 'source.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-abc',
    });
  });

  it('logs a failing endpoint and a timeout without delaying the record', async () => {
    const { errors, logger } = memoryLogger();
    mode = 'fail';
    const { recorder, sink } = setup({ forward: { url, timeoutMs: 100 }, logger });
    await recorder.eventf(repo, 'Normal', 'Succeeded', 'one');
    await recorder.idle();
    mode = 'hang';
    const started = performance.now();
    await recorder.eventf(repo, 'Normal', 'Succeeded', 'two');
    assert.ok(performance.now() - started < 100, 'record does not wait for the POST');
    await recorder.idle();
    assert.deepEqual(errors, ['unable to forward event', 'unable to forward event']);
    assert.equal(sink.events.size, 2);
  });
});
