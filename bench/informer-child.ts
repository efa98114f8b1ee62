// The measured process of bench/informer.ts: one SharedInformer (initial sync, then optionally a
// steady watch) or one Manager with a no-op controller. Started by the parent with fork();
// argv[2] is ChildArgs as JSON; it reports over IPC and exits when told to stop.
import { Registry } from 'prom-client';
import { KubeClient } from '../src/kube/client.ts';
import type { KubeObject, TypeRef } from '../src/kube/types.ts';
import { SharedInformer } from '../src/runtime/informer/index.ts';
import { Manager } from '../src/runtime/manager/index.ts';
import type { Request } from '../src/runtime/queue/request.ts';
import {
  cpuSecondsSince, snapshot, wallNow,
  type ChildArgs, type ChildMessage, type LagSample, type ParentMessage,
} from './informer-ipc.ts';

const CONFIGMAP: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };
const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const stop = new AbortController();
// The parent is gone (or crashed): nobody will read our reports.
process.on('disconnect', () => process.exit(1));

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

function onMessage(handler: (msg: ParentMessage) => void): void {
  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.type === 'stop') {
      stop.abort();
      // Give in-flight work a moment, then go: the parent waits for the exit.
      setTimeout(() => process.exit(0), 50).unref();
      return;
    }
    handler(msg);
  });
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function runInformer(client: KubeClient): Promise<void> {
  const t = performance.now();
  await client.mapping(CONFIGMAP);
  const discoveryMs = performance.now() - t;
  const before = snapshot();
  const informer = new SharedInformer<KubeObject>({
    lw: client.listerWatcher<KubeObject>(CONFIGMAP, { metadataOnly: args.metadataOnly }),
    name: 'bench-configmaps',
    pageSize: args.pageSize,
    namespace: args.namespace,
  });
  const watch = { recording: false, expected: 0, samples: [] as LagSample[], cpu: process.cpuUsage(), done: () => undefined as void };
  informer.addEventHandler({
    onUpdate: (_old, obj) => {
      if (!watch.recording) return;
      const data = obj['data'] as Record<string, string> | undefined;
      const sentAt = Number(data?.['sentAt']);
      if (!Number.isFinite(sentAt)) return;
      watch.samples.push({ name: obj.metadata.name ?? '', rv: obj.metadata.resourceVersion ?? '', sentAt, seenAt: wallNow() });
      if (watch.samples.length >= watch.expected) watch.done();
    },
  });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const running = informer.start(stop.signal);
  const ok = await informer.waitForSync(stop.signal);
  const sinceProcessStartMs = performance.now();
  const syncMs = sinceProcessStartMs - t0;
  const cpuSeconds = cpuSecondsSince(cpu);
  const afterSync = snapshot();
  gc();
  const heapAfterGcMiB = process.memoryUsage().heapUsed / 2 ** 20;
  const first = informer.list()[0];
  const sample = { kind: first?.kind ?? '', hasData: first !== undefined && 'data' in first };
  send({
    type: 'synced', ok, objects: informer.store.size, discoveryMs, syncMs, sinceProcessStartMs, cpuSeconds, listPages: informer.stats().listPages,
    before, afterSync, heapAfterGcMiB, sample,
  });
  const idle = { cpu: process.cpuUsage(), at: performance.now(), cpuSeconds: 0, seconds: 0 };

  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    watch.recording = false;
    const cpuSeconds = cpuSecondsSince(watch.cpu);
    const end = snapshot();
    gc();
    const heapAfterGcMiB = process.memoryUsage().heapUsed / 2 ** 20;
    send({ type: 'watch-result', samples: watch.samples, idleCpuSeconds: idle.cpuSeconds, idleSeconds: idle.seconds, cpuSeconds, end, heapAfterGcMiB });
  };
  watch.done = report;
  onMessage((msg) => {
    if (msg.type === 'watch-begin') {
      idle.cpuSeconds = cpuSecondsSince(idle.cpu);
      idle.seconds = (performance.now() - idle.at) / 1000;
      watch.expected = msg.expected;
      watch.cpu = process.cpuUsage();
      watch.recording = true;
    } else if (msg.type === 'watch-end') {
      // Every write has completed; events still in flight get a few seconds.
      setTimeout(report, 5_000).unref();
    }
  });
  await running;
}

async function runController(client: KubeClient): Promise<void> {
  await client.mapping(CONFIGMAP);
  const mgr = new Manager({ client, registry: new Registry() });
  const initial = { count: 0, keys: new Set<string>(), firstAt: 0, done: false };
  const touch = { names: new Set<string>(), count: 0, firstAt: 0, lastAt: 0, cpu: process.cpuUsage() };
  let t0 = 0;
  let cpu = process.cpuUsage();
  const onReconcile = (req: Request): void => {
    const now = wallNow();
    if (!initial.done) {
      if (initial.count++ === 0) initial.firstAt = now;
      initial.keys.add(req.name);
      if (initial.count < args.expected) return;
      initial.done = true;
      send({
        type: 'initial-done', reconciles: initial.count, distinctKeys: initial.keys.size, toFirstReconcileMs: initial.firstAt - t0,
        totalMs: now - t0, cpuSeconds: cpuSecondsSince(cpu), end: snapshot(),
      });
      return;
    }
    if (!touch.names.has(req.name)) return;
    if (touch.count++ === 0) touch.firstAt = now;
    touch.lastAt = now;
    if (touch.count === touch.names.size) {
      send({ type: 'touch-done', reconciles: touch.count, firstAt: touch.firstAt, lastAt: touch.lastAt, cpuSeconds: cpuSecondsSince(touch.cpu), end: snapshot() });
    }
  };
  mgr.controller('bench-noop').for(CONFIGMAP, { namespace: args.namespace }).withOptions({ concurrency: args.concurrency }).complete({
    reconcile: (req) => {
      onReconcile(req);
      return Promise.resolve();
    },
  });
  onMessage((msg) => {
    if (msg.type !== 'touch-begin') return;
    touch.names = new Set(msg.names);
    touch.cpu = process.cpuUsage();
    send({ type: 'touch-ready' });
  });
  cpu = process.cpuUsage();
  t0 = wallNow();
  await mgr.start(stop.signal);
}

async function main(): Promise<void> {
  const client = KubeClient.fromKubeconfig({ kubeconfig: args.kubeconfig });
  try {
    if (args.mode === 'informer') await runInformer(client);
    else await runController(client);
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
  } finally {
    await client.close();
  }
}

await main();
