// Benchmark of the informer and controller runtime on one fresh local control plane per size,
// each measure next to a kubectl baseline from the same run: initial sync (full objects and
// metadata-only) against `kubectl get -o json`, steady-watch event lag against `kubectl get -w`,
// and no-op controller throughput against the same `kubectl get -o json` time.
//   node bench/informer.ts [--sizes 10000,50000] [--smoke] [--runs 3] [--watch-rate 200]
//                          [--create-parallel 32] [--binary-home DIR]
// --smoke is one size of 500 (CI). --binary-home is where the control-plane binary is built or
// found (default <repo>/.eddy/test-home). Prints one Markdown table per size and writes
// bench/results/informer-<timestamp>.json.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { KubeClient } from '../src/kube/client.ts';
import { ApiError, TransportError, isAlreadyExists } from '../src/kube/errors.ts';
import type { KubeObject, TypeRef } from '../src/kube/types.ts';
import { k8sBinaries } from '../test/tools/k8s-binaries.ts';
import { wallNow, type ChildArgs, type ChildMessage, type InitialReconcileReport, type ParentMessage, type SyncReport, type TouchReport, type WatchReport } from './informer-ipc.ts';
import { gnuTimeAvailable, sampleKubectl, startKubectlWatch, type KubectlSample, type KubectlWatch } from './kubectl-sample.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,50000' },
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    'binary-home': { type: 'string' },
    'watch-rate': { type: 'string', default: '200' },
    'create-parallel': { type: 'string', default: '32' },
  },
});
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);
const CONFIGMAP: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };
const NS = 'bench';
const PAGE_SIZE = 500;
const CONCURRENCY = 4;
const RUNS = Number(values.runs);
const WATCH_RATE = Number(values['watch-rate']);
const CREATE_PARALLEL = Number(values['create-parallel']);
const TOUCH_PARALLEL = 32;
const IDLE_MS = 3_000;

// ---- small helpers ---------------------------------------------------------------------------

function loadavg(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  return [a, b, c];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** The median of each numeric field over runs (fields are independent; no run is "the" median run). */
function medianOf<T>(runs: T[], pick: (r: T) => number): number {
  return median(runs.map(pick));
}

const configMapName = (i: number) => `cm-${String(i).padStart(6, '0')}`;

function retryable(err: unknown): boolean {
  return err instanceof TransportError || (err instanceof ApiError && (err.code === 429 || err.code >= 500));
}

/** Runs `task(i)` for i in [0, n) with `parallel` in flight. */
async function forEachParallel(n: number, parallel: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

async function withRetry<T>(what: string, fn: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 6 || !retryable(err)) throw new Error(`${what}: ${String(err)}`, { cause: err });
      onRetry();
      await sleep(50 * 2 ** attempt);
    }
  }
}

// ---- the measured child process ----------------------------------------------------------------

type Msg<K extends ChildMessage['type']> = Extract<ChildMessage, { type: K }>;

/** A forked bench/informer-child.ts with typed, buffered messages. */
class Child {
  private readonly proc: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  private exited = false;

  constructor(args: ChildArgs) {
    this.proc = fork(join(import.meta.dirname, 'informer-child.ts'), [JSON.stringify(args)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m) => {
      this.inbox.push(m as ChildMessage);
      this.wake?.();
    });
    this.proc.once('exit', () => {
      this.exited = true;
      this.wake?.();
    });
  }

  send(msg: ParentMessage): void {
    this.proc.send(msg);
  }

  async next<K extends ChildMessage['type']>(type: K, timeoutMs: number): Promise<Msg<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      const m = i >= 0 ? this.inbox.splice(i, 1)[0] : undefined;
      if (m?.type === 'error') throw new Error(`child failed: ${m.message}`);
      if (m) return m as Msg<K>;
      if (this.exited) throw new Error(`child exited before sending ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child sent no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const killed = await Promise.race([gone.then(() => false), sleep(10_000).then(() => true)]);
    if (killed) {
      this.proc.kill('SIGKILL');
      await gone;
    }
  }
}

// ---- the steps ---------------------------------------------------------------------------------

interface Env {
  client: KubeClient;
  kubeconfig: string;
  kubectl: string;
  kubectlCacheDir: string;
  n: number;
  objects: number;
}

async function createConfigMaps(client: KubeClient, n: number): Promise<{ seconds: number; perSecond: number; retries: number; parallel: number }> {
  let retries = 0;
  const t0 = performance.now();
  await forEachParallel(n, CREATE_PARALLEL, async (i) => {
    const cm: KubeObject = {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName(i), namespace: NS },
      data: { alpha: 'a'.repeat(20), beta: `value-${i}`.padEnd(20, '-'), gamma: 'g'.repeat(20) },
    };
    const create = async () => {
      try {
        await client.create(cm);
      } catch (err) {
        // A retried create whose first attempt landed.
        if (!isAlreadyExists(err)) throw err;
      }
    };
    await withRetry(`create ${configMapName(i)}`, create, () => retries++);
    if ((i + 1) % 10_000 === 0) log(`  created ${i + 1}/${n} (${((i + 1) / ((performance.now() - t0) / 1000)).toFixed(0)}/s)`);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, perSecond: n / seconds, retries, parallel: CREATE_PARALLEL };
}

function kubectlArgs(env: Env): string[] {
  return ['--kubeconfig', env.kubeconfig, '--cache-dir', env.kubectlCacheDir, 'get', 'configmaps', '-n', NS, '-o', 'json', `--chunk-size=${PAGE_SIZE}`];
}

function childArgs(env: Env, mode: ChildArgs['mode'], metadataOnly: boolean): ChildArgs {
  return { mode, kubeconfig: env.kubeconfig, namespace: NS, expected: env.objects, metadataOnly, pageSize: PAGE_SIZE, concurrency: CONCURRENCY };
}

function syncTimeoutMs(n: number): number {
  return 120_000 + n * 10;
}

async function informerSync(env: Env, metadataOnly: boolean): Promise<SyncReport> {
  const child = new Child(childArgs(env, 'informer', metadataOnly));
  try {
    const r = await child.next('synced', syncTimeoutMs(env.n));
    if (!r.ok || r.objects !== env.objects) throw new Error(`informer synced ${r.objects}/${env.objects} objects (ok=${String(r.ok)})`);
    // Full objects from a LIST carry no kind (the server omits it on list items), so only `data` tells.
    const ok = metadataOnly ? r.sample.kind === 'PartialObjectMetadata' && !r.sample.hasData : r.sample.hasData;
    if (!ok) throw new Error(`metadataOnly=${String(metadataOnly)} cached ${JSON.stringify(r.sample)}`);
    return r;
  } finally {
    await child.stop();
  }
}

interface WatchResult {
  updates: number;
  ratePerSecond: number;
  achievedRatePerSecond: number;
  received: number;
  /** Handler time minus the parent's write completion (can be < 0: the event may beat the response). */
  lagFromCompletionMs: { p50: number; p90: number; p99: number; max: number };
  /** Handler time minus the moment the parent sent the write. */
  lagFromSendMs: { p50: number; p90: number; p99: number; max: number };
  writeLatencyMs: { p50: number; p99: number };
  sync: SyncReport;
  child: WatchReport['end'];
  cpuSeconds: number;
  /** Heap after GC at the end of the watch minus after the sync: the store holds as many objects. */
  heapGrowthAfterGcMiB: number;
  /** CPU per event, less what the synced informer burns idle over the same time. */
  cpuMsPerEvent: number;
  idleCpuPercent: number;
  watchSeconds: number;
  /** The same writes seen by `kubectl get -w --watch-only` (lines stamped as they reach this process). */
  kubectl: Pick<WatchResult, 'lagFromCompletionMs' | 'lagFromSendMs' | 'received'> & { cpuSeconds: number; rssMiB: number; peakRssMiB: number };
}

function dist(xs: number[]): { p50: number; p90: number; p99: number; max: number } {
  return { p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99), max: Math.max(...xs) };
}

/** Open-loop writes at a fixed rate: write i is sent at t0 + i/rate whatever earlier writes do. */
async function writeAtRate(client: KubeClient, m: number, rate: number): Promise<{ writes: Map<string, { sentAt: number; doneAt: number }>; seconds: number }> {
  const writes = new Map<string, { sentAt: number; doneAt: number }>();
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < m; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    const name = configMapName(i);
    const sentAt = wallNow();
    pending.push(
      client.patch(CONFIGMAP, name, NS, { data: { sentAt: String(sentAt) } }, { type: 'merge' }).then((obj) => {
        writes.set(`${name}@${obj.metadata.resourceVersion ?? ''}`, { sentAt, doneAt: wallNow() });
      }),
    );
  }
  await Promise.all(pending);
  return { writes, seconds: (performance.now() - t0) / 1000 };
}

type Writes = Map<string, { sentAt: number; doneAt: number }>;

/** Lags of one watcher against the parent's writes, joined on name@resourceVersion. */
function lags(seen: { name: string; rv: string; seenAt: number }[], writes: Writes): Pick<WatchResult, 'lagFromCompletionMs' | 'lagFromSendMs' | 'received'> {
  const fromCompletion: number[] = [];
  const fromSend: number[] = [];
  for (const s of seen) {
    const w = writes.get(`${s.name}@${s.rv}`);
    if (!w) continue;
    fromCompletion.push(s.seenAt - w.doneAt);
    fromSend.push(s.seenAt - w.sentAt);
  }
  return { received: fromSend.length, lagFromCompletionMs: dist(fromCompletion), lagFromSendMs: dist(fromSend) };
}

/** Starts `kubectl get -w` and returns once it shows a probe write: its list is done, its watch runs. */
async function kubectlWatchReady(env: Env): Promise<KubectlWatch> {
  const kw = startKubectlWatch(env.kubectl, ['--kubeconfig', env.kubeconfig, '--cache-dir', env.kubectlCacheDir, 'get', 'configmaps', '-n', NS], wallNow);
  try {
    for (let attempt = 0; ; attempt++) {
      const obj = await env.client.patch(CONFIGMAP, configMapName(0), NS, { data: { probe: String(attempt) } }, { type: 'merge' });
      try {
        await kw.seen(configMapName(0), obj.metadata.resourceVersion ?? '', 5_000);
        return kw;
      } catch (err) {
        if (attempt >= 24) throw err;
      }
    }
  } catch (err) {
    await kw.stop();
    throw err;
  }
}

async function untilSettled(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(50);
}

async function steadyWatch(env: Env): Promise<WatchResult> {
  const m = Math.min(env.n, 2000);
  const child = new Child(childArgs(env, 'informer', false));
  let kw: KubectlWatch | undefined;
  try {
    const sync = await child.next('synced', syncTimeoutMs(env.n));
    kw = await kubectlWatchReady(env);
    // An idle window first: the child measures its CPU at rest to subtract from the watch's.
    await sleep(IDLE_MS);
    const kubectlCpu0 = kw.cpuSeconds();
    const kubectlLines0 = kw.lines.length;
    child.send({ type: 'watch-begin', expected: m });
    await sleep(200);
    const { writes, seconds } = await writeAtRate(env.client, m, WATCH_RATE);
    child.send({ type: 'watch-end' });
    const r = await child.next('watch-result', 60_000);
    const k = kw;
    await untilSettled(() => k.lines.length - kubectlLines0 >= m, 5_000);
    const kubectl = { ...lags(kw.lines.slice(kubectlLines0), writes), cpuSeconds: kw.cpuSeconds() - kubectlCpu0, rssMiB: kw.rssMiB(), peakRssMiB: kw.peakRssMiB() };
    const latencies = [...writes.values()].map((w) => w.doneAt - w.sentAt);
    const idleRate = r.idleCpuSeconds / r.idleSeconds;
    const watchWindow = seconds + 0.2;
    return {
      updates: m, ratePerSecond: WATCH_RATE, achievedRatePerSecond: m / seconds, ...lags(r.samples, writes),
      writeLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      sync, child: r.end, cpuSeconds: r.cpuSeconds, heapGrowthAfterGcMiB: r.heapAfterGcMiB - sync.heapAfterGcMiB, watchSeconds: seconds, idleCpuPercent: idleRate * 100,
      cpuMsPerEvent: ((r.cpuSeconds - idleRate * watchWindow) / Math.max(1, r.samples.length)) * 1000,
      kubectl,
    };
  } finally {
    await kw?.stop();
    await child.stop();
  }
}

interface ControllerResult {
  initial: InitialReconcileReport & {
    perSecond: number;
    /** Reconciles per second from the first reconcile on: the controller alone, the list excluded. */
    reconcilePhasePerSecond: number;
  };
  touch: TouchReport & {
    objects: number;
    writeSeconds: number;
    writesPerSecond: number;
    /** First write sent to last reconcile. */
    seconds: number;
    perSecond: number;
    /** Last write completed to last reconcile: how far the controller trails the writes. */
    tailMs: number;
  };
}

async function noopController(env: Env): Promise<ControllerResult> {
  const child = new Child(childArgs(env, 'controller', false));
  try {
    const initial = await child.next('initial-done', syncTimeoutMs(env.n));
    const touched = Array.from({ length: Math.min(env.n, 2000) }, (_, i) => configMapName(i));
    child.send({ type: 'touch-begin', names: touched });
    await child.next('touch-ready', 10_000);
    const t0 = wallNow();
    await forEachParallel(touched.length, TOUCH_PARALLEL, async (i) => {
      await env.client.patch(CONFIGMAP, configMapName(i), NS, { data: { touch: String(t0) } }, { type: 'merge' });
    });
    const writesDone = wallNow();
    const touch = await child.next('touch-done', 120_000);
    const seconds = (touch.lastAt - t0) / 1000;
    return {
      initial: {
        ...initial, perSecond: initial.reconciles / (initial.totalMs / 1000),
        reconcilePhasePerSecond: initial.reconciles / ((initial.totalMs - initial.toFirstReconcileMs) / 1000),
      },
      touch: {
        ...touch, objects: touched.length, writeSeconds: (writesDone - t0) / 1000, writesPerSecond: touched.length / ((writesDone - t0) / 1000),
        seconds, perSecond: touch.reconciles / seconds, tailMs: touch.lastAt - writesDone,
      },
    };
  } finally {
    await child.stop();
  }
}

// ---- one size ----------------------------------------------------------------------------------

interface SizeResult {
  n: number;
  objects: number;
  loadavgBefore: [number, number, number];
  loadavgAfter: [number, number, number];
  creation: Awaited<ReturnType<typeof createConfigMaps>>;
  kubectl: { runs: KubectlSample[]; wallSeconds: number; peakRssMiB: number; cpuSeconds: number; stdoutBytes: number; gnuTime?: { peakRssMiB: number; cpuSeconds: number } };
  informerFull: { runs: SyncReport[] } & SyncSummary;
  informerMeta: { runs: SyncReport[] } & SyncSummary;
  watch: WatchResult;
  controller: ControllerResult;
}

interface SyncSummary {
  syncSeconds: number;
  /** A fresh process: Node boot, SDK import, discovery and sync (kubectl's wall time is this kind). */
  coldProcessSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
  rssBeforeMiB: number;
  heapUsedMiB: number;
  heapAfterGcMiB: number;
  cpuSeconds: number;
}

function summarizeSync(runs: SyncReport[]): SyncSummary {
  return {
    syncSeconds: medianOf(runs, (r) => r.syncMs / 1000),
    coldProcessSeconds: medianOf(runs, (r) => r.sinceProcessStartMs / 1000),
    rssMiB: medianOf(runs, (r) => r.afterSync.rssMiB),
    peakRssMiB: medianOf(runs, (r) => r.afterSync.peakRssMiB),
    rssBeforeMiB: medianOf(runs, (r) => r.before.rssMiB),
    heapUsedMiB: medianOf(runs, (r) => r.afterSync.heapUsedMiB),
    heapAfterGcMiB: medianOf(runs, (r) => r.heapAfterGcMiB),
    cpuSeconds: medianOf(runs, (r) => r.cpuSeconds),
  };
}

/** kubectl and both informer modes, interleaved so drift in machine load hits all three alike. */
async function listComparisons(env: Env): Promise<Pick<SizeResult, 'kubectl' | 'informerFull' | 'informerMeta'>> {
  const k: KubectlSample[] = [];
  const full: SyncReport[] = [];
  const meta: SyncReport[] = [];
  // Warm-up, not counted: fills kubectl's discovery cache, as any kubectl user has it.
  await sampleKubectl(env.kubectl, kubectlArgs(env));
  for (let run = 1; run <= RUNS; run++) {
    log(`  run ${run}/${RUNS}: kubectl, informer (full), informer (metadata-only)`);
    k.push(await sampleKubectl(env.kubectl, kubectlArgs(env)));
    full.push(await informerSync(env, false));
    meta.push(await informerSync(env, true));
  }
  return {
    kubectl: {
      runs: k, wallSeconds: medianOf(k, (r) => r.wallSeconds), peakRssMiB: medianOf(k, (r) => r.peakRssMiB), cpuSeconds: medianOf(k, (r) => r.cpuSeconds),
      stdoutBytes: medianOf(k, (r) => r.stdoutBytes),
      ...(k.every((r) => r.gnuTime) ? { gnuTime: { peakRssMiB: medianOf(k, (r) => r.gnuTime?.peakRssMiB ?? NaN), cpuSeconds: medianOf(k, (r) => r.gnuTime?.cpuSeconds ?? NaN) } } : {}),
    },
    informerFull: { runs: full, ...summarizeSync(full) },
    informerMeta: { runs: meta, ...summarizeSync(meta) },
  };
}

/** Interrupted (Ctrl-C, kill): `finally` blocks do not run, so tear the running cluster down here. */
let onInterrupt: (() => Promise<void>) | undefined;
let interrupted: Promise<void> | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: tearing down`);
    interrupted = (onInterrupt?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function measureSize(n: number, binary: string): Promise<SizeResult> {
  const home = await mkdtemp(join(tmpdir(), 'eddy-bench-informer-'));
  const name = `bench-informer-${process.pid}-${n}`.slice(0, 40);
  let client: KubeClient | undefined;
  onInterrupt = async () => {
    await clusterDown(home, name).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  };
  try {
    log(`size ${n}: starting a control plane`);
    const st = await clusterUp({ home, name, nodes: 1, binary });
    if (!st.kubeconfig) throw new Error('cluster state has no kubeconfig');
    client = KubeClient.fromKubeconfig({ kubeconfig: st.kubeconfig, qps: 2000, burst: 4000 });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    log(`size ${n}: creating ${n} ConfigMaps, ${CREATE_PARALLEL} in flight`);
    const creation = await createConfigMaps(client, n);
    log(`size ${n}: created in ${creation.seconds.toFixed(1)} s (${creation.perSecond.toFixed(0)}/s)`);
    // kube-root-ca.crt lands in every namespace too: count what is really there.
    const objects = (await client.listAll(CONFIGMAP, { namespace: NS, metadataOnly: true })).items.length;
    const env: Env = { client, kubeconfig: st.kubeconfig, kubectl: (await k8sBinaries()).kubectl, kubectlCacheDir: join(home, 'kubectl-cache'), n, objects };
    const loadavgBefore = loadavg();
    const lists = await listComparisons(env);
    log(`size ${n}: steady watch, ${Math.min(n, 2000)} updates at ${WATCH_RATE}/s`);
    const watch = await steadyWatch(env);
    log(`size ${n}: no-op controller`);
    const controller = await noopController(env);
    return { n, objects, loadavgBefore, loadavgAfter: loadavg(), creation, ...lists, watch, controller };
  } finally {
    await client?.close();
    await clusterDown(home, name).catch((err: unknown) => log(`cluster down ${name}: ${String(err)}`));
    await rm(home, { recursive: true, force: true });
    onInterrupt = undefined;
  }
}

// ---- output ------------------------------------------------------------------------------------

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const ratio = (x: number, base: number) => (Number.isFinite(x / base) ? `${(x / base).toFixed(2)}×` : '-');

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

function syncRows(r: SizeResult): string[] {
  const k = r.kubectl;
  const out: string[] = [];
  for (const [label, s] of [['eddy informer, full objects: start → synced', r.informerFull], ['eddy informer, metadata-only: start → synced', r.informerMeta]] as const) {
    out.push(row([`${label} (median of ${RUNS})`, `${f2(s.syncSeconds)} s`, ratio(s.syncSeconds, k.wallSeconds), f1(s.peakRssMiB), `${f1(s.rssMiB)} (idle before: ${f1(s.rssBeforeMiB)})`,
      `${f1(s.heapUsedMiB)} (${f1(s.heapAfterGcMiB)})`, f2(s.cpuSeconds), ratio(s.cpuSeconds, k.cpuSeconds)]));
  }
  return out;
}

function runtimeRows(r: SizeResult): string[] {
  const k = r.kubectl;
  const w = r.watch;
  const c = r.controller;
  const lag = (x: Pick<WatchResult, 'lagFromCompletionMs' | 'lagFromSendMs'>) =>
    `${f1(x.lagFromCompletionMs.p50)} / ${f1(x.lagFromCompletionMs.p99)} ms (${f1(x.lagFromSendMs.p50)} / ${f1(x.lagFromSendMs.p99)} ms)`;
  return [
    row([`steady watch baseline: kubectl get -w --watch-only, same ${w.updates} updates; lag p50 / p99 from write done (from write sent)`,
      lag(w.kubectl), '1.00×', f1(w.kubectl.peakRssMiB), f1(w.kubectl.rssMiB), '-', f2(w.kubectl.cpuSeconds), '1.00×']),
    row([`steady watch: eddy informer, ${w.updates} updates at ${w.ratePerSecond}/s; lag p50 / p99 from write done (from write sent)`,
      lag(w), `${ratio(w.lagFromSendMs.p99, w.kubectl.lagFromSendMs.p99)} (p99 from sent)`,
      f1(w.child.peakRssMiB), f1(w.child.rssMiB), f1(w.child.heapUsedMiB), `${f2(w.cpuSeconds)} (${f2(w.cpuMsPerEvent)} ms/event)`, ratio(w.cpuSeconds, w.kubectl.cpuSeconds)]),
    row([`no-op controller (concurrency ${CONCURRENCY}): start → ${c.initial.reconciles} reconciles`,
      `${f2(c.initial.totalMs / 1000)} s (${c.initial.perSecond.toFixed(0)}/s; ${c.initial.reconcilePhasePerSecond.toFixed(0)}/s after the list)`,
      ratio(c.initial.totalMs / 1000, k.wallSeconds), f1(c.initial.end.peakRssMiB), f1(c.initial.end.rssMiB), f1(c.initial.end.heapUsedMiB), f2(c.initial.cpuSeconds), ratio(c.initial.cpuSeconds, k.cpuSeconds)]),
    row([`no-op controller: ${c.touch.objects} updates (${TOUCH_PARALLEL} in flight) → reconciles`,
      `${f2(c.touch.seconds)} s (${c.touch.perSecond.toFixed(0)}/s; writes ${c.touch.writesPerSecond.toFixed(0)}/s)`,
      '-', f1(c.touch.end.peakRssMiB), f1(c.touch.end.rssMiB), f1(c.touch.end.heapUsedMiB), f2(c.touch.cpuSeconds), '-']),
  ];
}

function notes(r: SizeResult): string {
  const k = r.kubectl;
  const w = r.watch;
  const c = r.controller;
  const gt = k.gnuTime ? ` (GNU time cross-check: ${f1(k.gnuTime.peakRssMiB)} MiB, ${f2(k.gnuTime.cpuSeconds)} s)` : '';
  return [
    `kubectl wrote ${(k.stdoutBytes / 2 ** 20).toFixed(1)} MiB of JSON; its peak RSS and CPU are polled from /proc every 5 ms${gt}.`,
    `A fresh eddy process (Node boot, SDK import, discovery, sync) takes ${f2(r.informerFull.coldProcessSeconds)} s (full) / ${f2(r.informerMeta.coldProcessSeconds)} s (metadata-only); kubectl's wall time is of that kind.`,
    `Watch: ${w.received}/${w.updates} events seen by the informer and ${w.kubectl.received}/${w.updates} by kubectl, writes achieved ${w.achievedRatePerSecond.toFixed(0)}/s, write latency p50 ${f1(w.writeLatencyMs.p50)} ms / p99 ${f1(w.writeLatencyMs.p99)} ms; the synced informer idles at ${f1(w.idleCpuPercent)}% of a core; ` +
      `heap after GC grew ${f1(w.heapGrowthAfterGcMiB)} MiB over the watch with the same number of objects cached.`,
    `Controller: first reconcile ${f2(c.initial.toFirstReconcileMs / 1000)} s after start; update reconciles are bounded by the write rate and trail the last write by ${f1(c.touch.tailMs)} ms.`,
  ].join(' ');
}

function table(r: SizeResult): string {
  const k = r.kubectl;
  return [
    `### ${r.n.toLocaleString('en-US')} ConfigMaps (${r.objects} objects in the namespace; load average ${r.loadavgBefore.join(' ')} before, ${r.loadavgAfter.join(' ')} after)`,
    '',
    `Created in ${f1(r.creation.seconds)} s (${r.creation.perSecond.toFixed(0)}/s, ${r.creation.parallel} in flight, ${r.creation.retries} retries): context, not a comparison.`,
    '',
    row(['measure', 'wall', 'vs kubectl', 'peak RSS MiB', 'RSS at end MiB', 'heap MiB (after GC)', 'CPU s', 'CPU vs kubectl']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    row([`kubectl get -o json --chunk-size=${PAGE_SIZE} (baseline, median of ${RUNS})`, `${f2(k.wallSeconds)} s`, '1.00×', f1(k.peakRssMiB), '-', '-', f2(k.cpuSeconds), '1.00×']),
    ...syncRows(r),
    ...runtimeRows(r),
    '',
    notes(r),
  ].join('\n');
}

async function main(): Promise<void> {
  const sizes = values.smoke ? [500] : values.sizes.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--sizes: want positive integers, got ${values.sizes}`);
  const loadStart = loadavg();
  const t0 = performance.now();
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home: values['binary-home'] ?? join(repo, '.eddy', 'test-home'), onProgress: log });
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await measureSize(n, binary));
  const result = {
    benchmark: 'informer',
    date: new Date().toISOString(),
    machine: machine(),
    loadavg: { start: loadStart, end: loadavg() },
    totalSeconds: (performance.now() - t0) / 1000,
    options: { sizes, smoke: values.smoke, runs: RUNS, pageSize: PAGE_SIZE, concurrency: CONCURRENCY, watchRate: WATCH_RATE, createParallel: CREATE_PARALLEL, gnuTime: gnuTimeAvailable() },
    sizes: results,
  };
  const m = result.machine;
  console.log(`machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.go}, node ${m.node}; load average at start ${loadStart.join(' ')}, at end ${result.loadavg.end.join(' ')}`);
  for (const r of results) console.log(`\n${table(r)}`);
  const out = join(repo, 'bench', 'results', `informer-${result.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`\ntotal ${f1(result.totalSeconds)} s; wrote ${out}`);
}

try {
  await main();
} catch (err) {
  // Failures caused by our own teardown are noise: wait for it (it exits) instead.
  if (interrupted) await interrupted;
  throw err;
}
