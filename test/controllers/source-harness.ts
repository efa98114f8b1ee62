// One source controller on the real control plane, scoped to a fresh namespace: its own
// manager, artifact storage and artifact server, plus the helpers the controller-level source
// tests share (wait for a condition, write a Secret, request a reconcile, list an artifact).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { fetchArtifact } from '../../src/artifact/fetch.ts';
import type { ArtifactStorage } from '../../src/artifact/storage.ts';
import { applyCRDs } from '../../src/cli/install.ts';
import { setupSourceController } from '../../src/controllers/source/setup.ts';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { Manager } from '../../src/runtime/index.ts';
import { createNamespace, testCluster } from '../cluster/harness.ts';
import { eventually } from '../tools/eventually.ts';

export const V1 = 'source.toolkit.fluxcd.io/v1';
export type SourceKindName = 'GitRepository' | 'OCIRepository' | 'Bucket';
export type Cond = { type: string; status: string; reason: string; message: string; observedGeneration?: number };
export type Artifact = { url: string; revision: string; digest: string; lastUpdateTime: string; metadata?: Record<string, string> };
export type Src = KubeObject & { status?: { conditions?: Cond[]; artifact?: Artifact; lastHandledReconcileAt?: string; observedGeneration?: number; [k: string]: unknown } };

export const cond = (o: Src | undefined, type: string): Cond | undefined => o?.status?.conditions?.find((c) => c.type === type);
export const isReady = (o: Src): boolean => cond(o, 'Ready')?.status === 'True';

export interface SourceEnv {
  ns: string;
  client: KubeClient;
  storage: ArtifactStorage;
  storageDir: string;
  /** The source controller's metrics registry (gotk_reconcile_duration_seconds, …). */
  registry: Registry;
  get(kind: SourceKindName, name: string): Promise<Src>;
  /** Polls the object until `test` holds (default 60 s). */
  waitFor(kind: SourceKindName, name: string, test: (o: Src) => boolean, what: string, timeoutMs?: number): Promise<Src>;
  create(kind: SourceKindName, name: string, spec: Record<string, unknown>): Promise<unknown>;
  secret(name: string, data: Record<string, string>, type?: string): Promise<unknown>;
  requestReconcile(kind: SourceKindName, name: string, at: string): Promise<unknown>;
  /** `type/reason` of every Event about `kind`/`name` (or every object of `kind`) in the namespace. */
  events(kind: SourceKindName, name?: string): Promise<{ type: string; reason: string; note: string }[]>;
  /** Downloads the artifact (digest verified) and lists its files, sorted. */
  artifactFiles(artifact: Artifact | undefined): Promise<string[]>;
  /** Run at close, in order. */
  defer(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

export interface SourceEnvOptions {
  /** Controller requeue backoff; default 200 ms … 2 s. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export async function startSourceEnv(prefix: string, opts: SourceEnvOptions = {}): Promise<SourceEnv> {
  const namespace = await createNamespace(prefix);
  const ns = namespace.name;
  const client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
  await applyCRDs(client, { timeoutMs: 60_000 });
  const storageDir = await mkdtemp(join(tmpdir(), 'eddy-storage-'));
  const manager = new Manager({
    client, registry: new Registry(),
    controllerDefaults: { minRetryDelayMs: opts.minRetryDelayMs ?? 200, maxRetryDelayMs: opts.maxRetryDelayMs ?? 2_000 },
  });
  const registry = new Registry();
  const { storage } = await setupSourceController(manager, {
    storagePath: storageDir, storageAddr: '127.0.0.1:0', retentionRecords: 2, retentionTtlMs: 0, concurrent: 2, registry, namespace: ns,
  });
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  const deferred: (() => Promise<unknown>)[] = [];
  const ref = (kind: SourceKindName) => ({ apiVersion: V1, kind });
  const get = (kind: SourceKindName, name: string) => client.get<Src>(ref(kind), name, ns);

  return {
    ns, client, storage, storageDir, registry, get,
    waitFor: (kind, name, test, what, timeoutMs = 60_000) =>
      eventually(`${kind}/${name} ${what}`, async () => {
        const o = await get(kind, name);
        return test(o) ? o : undefined;
      }, timeoutMs),
    create: (kind, name, spec) => client.create({ apiVersion: V1, kind, metadata: { name, namespace: ns }, spec }),
    secret: (name, data, type) =>
      client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, ...(type ? { type } : {}), stringData: data }, { fieldManager: 'test', force: true }),
    requestReconcile: (kind, name, at) =>
      client.patch(ref(kind), name, ns, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': at } } }, { type: 'merge' }),
    async events(kind, name) {
      const list = await client.list({ apiVersion: 'events.k8s.io/v1', kind: 'Event' }, { namespace: ns });
      return list.items
        .filter((e) => {
          const r = e['regarding'] as { name?: string; kind?: string };
          return r.kind === kind && (name === undefined || r.name === name);
        })
        .map((e) => ({ type: String(e['type']), reason: String(e['reason']), note: typeof e['note'] === 'string' ? e['note'] : '' }));
    },
    async artifactFiles(artifact) {
      if (!artifact) throw new Error('no artifact');
      const dest = await mkdtemp(join(tmpdir(), 'eddy-consumer-'));
      try {
        await fetchArtifact({ url: artifact.url, digest: artifact.digest, dest, retries: 0 });
        const entries = await readdir(dest, { recursive: true, withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dest.length + 1)).sort();
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    },
    defer: (fn) => void deferred.push(fn),
    async close() {
      stop.abort();
      await running;
      for (const fn of deferred) await fn().catch(() => undefined);
      await client.close();
      await namespace.remove();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` in a fresh environment of its own, closed afterwards. */
export async function withEnv(prefix: string, fn: (env: SourceEnv) => Promise<void>): Promise<void> {
  const env = await startSourceEnv(prefix);
  try {
    await fn(env);
  } finally {
    await env.close();
  }
}
