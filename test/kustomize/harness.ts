// What every kustomize controller test needs: the source and kustomize controllers running in
// this process against the run's control plane (scoped to the test's namespace), a git server,
// and helpers to create sources and Kustomizations and wait on their conditions.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { applyCRDs } from '../../src/cli/install.ts';
import { setupKustomizeController } from '../../src/controllers/kustomize/setup.ts';
import { setupSourceController } from '../../src/controllers/source/setup.ts';
import { EnginePool, ensureEngineBinary } from '../../src/engines/index.ts';
import { isNotFound, KubeClient, type KubeObject } from '../../src/kube/index.ts';
import pino from 'pino';
import { Manager } from '../../src/runtime/index.ts';
import { createLogger } from '../../src/runtime/observe/index.ts';
import { createNamespace, testCluster } from '../cluster/harness.ts';
import { startGitHttpServer, type GitHttpServer } from '../servers/git-http.ts';
import { eventually } from '../tools/eventually.ts';

export const KS = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' } as const;
export const GITREPO = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' } as const;
export const OCIREPO = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository' } as const;

export type Cond = { type: string; status: string; reason: string; message: string; lastTransitionTime?: string };
export const managedBy = (o: KubeObject, manager: string) => ((o.metadata.managedFields ?? []) as { manager?: string; operation?: string }[]).some((m) => m.manager === manager && m.operation === 'Apply');
export type Ks = KubeObject & {
  spec: Record<string, unknown>;
  status?: {
    conditions?: Cond[]; lastAppliedRevision?: string; lastAttemptedRevision?: string; lastAppliedOriginRevision?: string;
    inventory?: { entries: { id: string; v: string }[] }; observedGeneration?: number; lastHandledReconcileAt?: string;
    history?: { digest: string; totalReconciliations: number; lastReconciledStatus: string }[];
  };
};

export const cond = (o: KubeObject | undefined, type: string): Cond | undefined =>
  ((o?.['status'] as { conditions?: Cond[] } | undefined)?.conditions ?? []).find((c) => c.type === type);

export interface ControllerOptions {
  noCrossNamespaceRefs?: boolean;
  defaultServiceAccount?: string;
  requeueDependencyMs?: number;
  firstArtifactGraceMs?: number;
  /** Download artifacts from the artifact server, as a kustomize controller in another process would (default: read the storage in process). */
  artifactsOverHttp?: boolean;
}

export interface Flux {
  ns: string;
  client: KubeClient;
  git: GitHttpServer;
  /** The source controller's artifact storage. */
  storageDir: string;
  stop(): Promise<void>;
  /** Events recorded for the Kustomization (events.k8s.io/v1), reasons in order. */
  events(name: string): Promise<{ reason: string; note: string; type: string }[]>;
  /** A git repository with these files on main; returns its URL. */
  repo(name: string): Promise<string>;
  gitRepository(name: string, url: string, extra?: Record<string, unknown>): Promise<void>;
  kustomization(name: string, spec: Record<string, unknown>): Promise<void>;
  getKs(name: string): Promise<Ks>;
  /** The `data` of a ConfigMap the Kustomizations applied. */
  configMapData(name: string, namespace: string): Promise<Record<string, string>>;
  /** Waits until `test` holds for the Kustomization (default 60 s). */
  waitKs(name: string, what: string, test: (k: Ks) => boolean, timeoutMs?: number): Promise<Ks>;
  requestReconcile(name: string, kind?: typeof KS | typeof GITREPO | typeof OCIREPO): Promise<void>;
  /** Another namespace for applied objects, removed at stop. */
  namespace(prefix: string): Promise<string>;
}

export async function startFlux(prefix: string, opts: ControllerOptions = {}): Promise<Flux> {
  const ns = await createNamespace(prefix);
  const extraNamespaces: { remove: () => Promise<void> }[] = [];
  const client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
  await applyCRDs(client, { timeoutMs: 60_000 });
  const storageDir = await mkdtemp(join(tmpdir(), 'eddy-ks-storage-'));
  const binary = process.env['EDDY_ENGINE_BINARY'] ?? await ensureEngineBinary({ home: testCluster().home });
  const engine = new EnginePool({ binary, size: 1, memoryLimitBytes: 256 * 1024 * 1024 });
  const registry = new Registry();
  // EDDY_TEST_LOG=debug|info shows the controllers' logs on stderr when a test needs explaining.
  const level = process.env['EDDY_TEST_LOG'];
  const log = level === 'debug' || level === 'info' ? createLogger({ level, encoding: 'console', destination: pino.destination(2) }) : undefined;
  const manager = new Manager({ client, registry, controllerDefaults: { minRetryDelayMs: 200, maxRetryDelayMs: 2_000 }, ...(log ? { log } : {}) });
  const sources = await setupSourceController(manager, { storagePath: storageDir, storageAddr: '127.0.0.1:0', retentionRecords: 2, retentionTtlMs: 0, concurrent: 2, registry, namespace: ns.name });
  setupKustomizeController(manager, {
    engine, concurrent: 4, registry, namespace: ns.name, allowKubeconfigExec: false,
    requeueDependencyMs: opts.requeueDependencyMs ?? 1_000, noCrossNamespaceRefs: opts.noCrossNamespaceRefs ?? false, noRemoteBases: true,
    defaultServiceAccount: opts.defaultServiceAccount,
    ...(opts.firstArtifactGraceMs !== undefined ? { firstArtifactGraceMs: opts.firstArtifactGraceMs } : {}),
    ...(opts.artifactsOverHttp ? {} : { localArtifacts: () => sources.storage }),
  });
  const stopper = new AbortController();
  const running = manager.start(stopper.signal);
  const git = await startGitHttpServer();
  const getKs = (name: string) => client.get<Ks>(KS, name, ns.name);
  return {
    ns: ns.name, client, git, storageDir,
    configMapData: async (name, namespace) => (await client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, name, namespace))['data'] as Record<string, string>,
    async events(name) {
      const list = await client.list<KubeObject & { reason: string; note: string; type: string; regarding?: { kind?: string; name?: string } }>({ apiVersion: 'events.k8s.io/v1', kind: 'Event' }, { namespace: ns.name });
      return list.items.filter((e) => e.regarding?.kind === 'Kustomization' && e.regarding.name === name).map((e) => ({ reason: e.reason, note: e.note, type: e.type }));
    },
    async stop() {
      stopper.abort();
      await running;
      await engine.close();
      await git.stop();
      await client.close();
      for (const n of extraNamespaces) await n.remove();
      await ns.remove();
      await rm(storageDir, { recursive: true, force: true });
    },
    repo: (name) => git.createRepo(name),
    async gitRepository(name, url, extra = {}) {
      await client.apply({ ...GITREPO, metadata: { name, namespace: ns.name }, spec: { url, interval: '10m', ref: { branch: 'main' }, ...extra } }, { fieldManager: 'test', force: true });
    },
    async kustomization(name, spec) {
      await client.apply({ ...KS, metadata: { name, namespace: ns.name }, spec: { interval: '10m', prune: true, ...spec } }, { fieldManager: 'test', force: true });
    },
    getKs,
    async waitKs(name, what, test, timeoutMs = 60_000) {
      let last: Ks | undefined;
      try {
        return await eventually(`Kustomization ${name} ${what}`, async () => {
          last = await getKs(name);
          return test(last) ? last : undefined;
        }, timeoutMs, 250);
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; last status: ${JSON.stringify(last?.status ?? null)}`, { cause: err });
      }
    },
    async requestReconcile(name, kind = KS) {
      await client.patch(kind, name, ns.name, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `${Date.now()}-${Math.random()}` } } }, { type: 'merge' });
    },
    async namespace(p) {
      const n = await createNamespace(p);
      extraNamespaces.push(n);
      return n.name;
    },
  };
}

/** Whether the object exists (NotFound → false; other errors thrown). */
export async function exists(client: KubeClient, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<boolean> {
  try {
    await client.get(ref, name, namespace);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export const isReady = (k: Ks) => cond(k, 'Ready')?.status === 'True' && k.status?.observedGeneration === k.metadata.generation;
export const readyAt = (revisionPrefix: string) => (k: Ks) => isReady(k) && (k.status?.lastAppliedRevision ?? '').startsWith(revisionPrefix);
export const failedWith = (reason: string) => (k: Ks) => cond(k, 'Ready')?.status === 'False' && cond(k, 'Ready')?.reason === reason;

export function configMap(name: string, data: Record<string, string>, extra: { namespace?: string; annotations?: Record<string, string> } = {}): string {
  const meta = [`  name: ${name}`, ...(extra.namespace ? [`  namespace: ${extra.namespace}`] : [])];
  if (extra.annotations) meta.push('  annotations:', ...Object.entries(extra.annotations).map(([k, v]) => `    ${k}: "${v}"`));
  return ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', ...meta, 'data:', ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`), ''].join('\n');
}

export function deployment(name: string, opts: { replicas?: number; image?: string; namespace?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}${opts.namespace ? `\n  namespace: ${opts.namespace}` : ''}
spec:
  replicas: ${opts.replicas ?? 1}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: app
        image: ${opts.image ?? 'ghcr.io/stefanprodan/podinfo:6.14.1'}
`;
}
