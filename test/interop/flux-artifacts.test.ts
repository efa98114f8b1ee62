// Artifact interop with the real Flux controllers (source-controller v1.9.1, kustomize-controller
// v1.9.4, built from the Go module proxy): Flux's artifacts are consumed by eddy's kustomize
// controller and eddy's by Flux's kustomize-controller, on eddy's own CRDs. The contract is the
// artifact URL, digest and revision; the tarball bytes need not match.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { fetchArtifact } from '../../src/artifact/fetch.ts';
import { applyCRDs } from '../../src/cli/install.ts';
import { setupKustomizeController } from '../../src/controllers/kustomize/setup.ts';
import { setupSourceController } from '../../src/controllers/source/setup.ts';
import { EnginePool, ensureEngineBinary } from '../../src/engines/index.ts';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { Manager } from '../../src/runtime/index.ts';
import { createNamespace, testCluster } from '../cluster/harness.ts';
import { GITREPO, KS, OCIREPO, configMap, type Ks } from '../kustomize/harness.ts';
import { startGitHttpServer, type GitHttpServer } from '../servers/git-http.ts';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry.ts';
import { eventually } from '../tools/eventually.ts';
import { applyFluxOnlyCRDs, fluxBinaries, startFluxController, type FluxController } from '../tools/flux-controllers.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { pushArtifact } from '../tools/oci-push.ts';
import { directoryEntries } from '../tools/tar.ts';

type Artifact = { url: string; path: string; revision: string; digest: string; size?: number; lastUpdateTime?: string; metadata?: Record<string, string> };
type Source = KubeObject & { status?: { artifact?: Artifact; conditions?: { type: string; status: string; reason: string; message: string }[]; observedGeneration?: number } };

/** Conditions without times, for comparing what two controllers wrote. */
const conditionsOf = (o: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }) =>
  (o.status?.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, reason, message })).sort((a, b) => a.type.localeCompare(b.type));

const ready = (o: { metadata: { generation?: number }; status?: { conditions?: { type: string; status: string }[]; observedGeneration?: number } }) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && o.status.observedGeneration === o.metadata.generation;

describe('artifact interop with real Flux controllers', () => {
  let client: KubeClient;
  let work: string;
  let git: GitHttpServer;
  let registry: OciRegistry;
  let engine: EnginePool;
  const flux: FluxController[] = [];
  const namespaces: { name: string; remove: () => Promise<void> }[] = [];
  const stopper = new AbortController();
  let running: Promise<unknown> | undefined;
  /** Flux's source-controller and eddy's kustomize controller watch this one. */
  let fluxSrcNs: string;
  /** eddy's source controller and Flux's kustomize-controller watch this one. */
  let eddySrcNs: string;

  before(async () => {
    const cluster = testCluster();
    const bins = await fluxBinaries(cluster.home);
    client = KubeClient.fromKubeconfig({ kubeconfig: cluster.kubeconfig });
    await applyCRDs(client, { timeoutMs: 60_000 });
    const fluxOnly = await applyFluxOnlyCRDs(client, bins.crdDirs);
    assert.ok(fluxOnly.length > 0 && fluxOnly.every((n) => !n.startsWith('gitrepositories.') && !n.startsWith('kustomizations.')), `Flux-only CRDs: ${fluxOnly.join(', ')}`);
    for (const prefix of ['interop-flux-src', 'interop-eddy-src']) namespaces.push(await createNamespace(prefix));
    [fluxSrcNs, eddySrcNs] = namespaces.map((n) => n.name) as [string, string];
    work = await mkdtemp(join(tmpdir(), 'eddy-interop-'));
    [git, registry] = await Promise.all([startGitHttpServer(), startOciRegistry()]);
    flux.push(await startFluxController('source-controller', { binary: bins.sourceController, kubeconfig: cluster.kubeconfig, namespace: fluxSrcNs, dir: work }));
    flux.push(await startFluxController('kustomize-controller', {
      binary: bins.kustomizeController, kubeconfig: cluster.kubeconfig, namespace: eddySrcNs, dir: work, extraArgs: ['--requeue-dependency=2s'],
    }));

    engine = new EnginePool({ binary: process.env['EDDY_ENGINE_BINARY'] ?? await ensureEngineBinary({ home: cluster.home }), size: 1, memoryLimitBytes: 256 * 1024 * 1024 });
    const metrics = new Registry();
    const manager = new Manager({ client, registry: metrics, controllerDefaults: { minRetryDelayMs: 200, maxRetryDelayMs: 2_000 } });
    await setupSourceController(manager, { storagePath: join(work, 'eddy-storage'), storageAddr: '127.0.0.1:0', retentionRecords: 2, retentionTtlMs: 0, concurrent: 2, registry: metrics, namespace: eddySrcNs });
    setupKustomizeController(manager, {
      engine, concurrent: 2, registry: metrics, namespace: fluxSrcNs, allowKubeconfigExec: false, requeueDependencyMs: 1_000, noCrossNamespaceRefs: false, noRemoteBases: true,
    });
    running = manager.start(stopper.signal);
  });

  after(async () => {
    stopper.abort();
    await running;
    for (const c of flux) await c.stop();
    await engine?.close();
    await Promise.all([git?.stop(), registry?.stop()]);
    // Nobody is left to handle finalizers.fluxcd.io: drop them so the namespaces can go.
    for (const ns of namespaces) {
      for (const ref of [GITREPO, OCIREPO, KS]) {
        for (const o of (await client.list(ref, { namespace: ns.name })).items) {
          await client.patch(ref, o.metadata.name ?? '', ns.name, { metadata: { finalizers: null } }, { type: 'merge' }).catch(() => undefined);
        }
      }
      await ns.remove();
    }
    await client?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const apply = (o: KubeObject) => client.apply(o, { fieldManager: 'test', force: true });
  const gitRepository = (ns: string, name: string, url: string) =>
    apply({ ...GITREPO, metadata: { name, namespace: ns }, spec: { url, interval: '10m', ref: { branch: 'main' } } });
  const ociRepository = (ns: string, name: string, repository: string, tag: string) =>
    apply({ ...OCIREPO, metadata: { name, namespace: ns }, spec: { url: `oci://${registry.host}/${repository}`, interval: '10m', insecure: true, ref: { tag } } });
  const kustomization = (ns: string, name: string, sourceRef: { kind: string; name: string }, path = './') =>
    apply({ ...KS, metadata: { name, namespace: ns }, spec: { interval: '10m', prune: true, sourceRef, path, targetNamespace: ns } });

  async function waitReady<T extends Source | Ks>(ref: { apiVersion: string; kind: string }, ns: string, name: string, test: (o: T) => boolean = () => true): Promise<T> {
    let last: T | undefined;
    try {
      return await eventually(`${ref.kind} ${ns}/${name} Ready`, async () => {
        last = await client.get<T>(ref, name, ns);
        return ready(last) && test(last) ? last : undefined;
      }, 45_000, 200);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; last status: ${JSON.stringify(last?.status ?? null)}`, { cause: err });
    }
  }
  const configMapData = async (ns: string, name: string) =>
    (await client.get(({ apiVersion: 'v1', kind: 'ConfigMap' }), name, ns))['data'] as Record<string, string>;

  /** A repository with one ConfigMap, its GitRepository and Kustomization in `ns`, both Ready. */
  async function throughGit(ns: string, repo: string, cm: string, made: string): Promise<{ sha: string; ks: Ks }> {
    const url = await git.createRepo(repo);
    const sha = await commitFiles(url, { files: { 'deploy/cm.yaml': configMap(cm, { made }) } });
    await gitRepository(ns, 'app', url);
    const src = await waitReady<Source>(GITREPO, ns, 'app');
    assert.equal(src.status?.artifact?.revision, `main@sha1:${sha}`);
    await kustomization(ns, 'app', { kind: 'GitRepository', name: 'app' }, './deploy');
    const ks = await waitReady<Ks>(KS, ns, 'app', (k) => k.status?.lastAppliedRevision === src.status?.artifact?.revision);
    assert.deepEqual(await configMapData(ns, cm), { made });
    return { sha, ks };
  }

  it('(a) a GitRepository artifact of Flux source-controller is applied by eddy', async () => {
    const { sha, ks } = await throughGit(fluxSrcNs, 'flux-to-eddy', 'from-flux', 'by-flux');
    assert.equal(ks.status?.lastAttemptedRevision, `main@sha1:${sha}`);
  });

  it('(b) a GitRepository artifact of eddy is applied by Flux kustomize-controller', async () => {
    const { ks } = await throughGit(eddySrcNs, 'eddy-to-flux', 'from-eddy', 'by-eddy');
    assert.equal(ks.status?.inventory?.entries.map((e) => e.id).join(','), `${eddySrcNs}_from-eddy__ConfigMap`);
  });

  it('(b) OCIRepository artifacts in both directions, with the origin revision', async () => {
    const origin = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
    const pushed = await pushArtifact({
      registryUrl: registry.url, repository: 'interop/app', tag: 'v1', source: 'https://example.com/app.git', revision: origin,
      files: { 'cm.yaml': configMap('from-oci', { made: 'by-oci' }) },
    });
    await Promise.all([ociRepository(fluxSrcNs, 'oci', 'interop/app', 'v1'), ociRepository(eddySrcNs, 'oci', 'interop/app', 'v1')]);
    const [fluxSrc, eddySrc] = await Promise.all([waitReady<Source>(OCIREPO, fluxSrcNs, 'oci'), waitReady<Source>(OCIREPO, eddySrcNs, 'oci')]);
    assert.equal(fluxSrc.status?.artifact?.revision, `v1@${pushed.digest}`);
    assert.equal(eddySrc.status?.artifact?.revision, `v1@${pushed.digest}`);
    await Promise.all([
      kustomization(fluxSrcNs, 'oci', { kind: 'OCIRepository', name: 'oci' }),
      kustomization(eddySrcNs, 'oci', { kind: 'OCIRepository', name: 'oci' }),
    ]);
    // status.url: a stable link to the latest artifact; artifact.metadata: every manifest annotation.
    for (const src of [fluxSrc, eddySrc]) {
      const ns = src.metadata.namespace ?? '';
      const url = (src.status as { url?: string } | undefined)?.url ?? '';
      assert.ok(url.endsWith(`/ocirepository/${ns}/oci/latest.tar.gz`), `status.url in ${ns}: ${url}`);
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, src.status?.artifact?.digest, `latest.tar.gz is the artifact in ${ns}`);
    }
    assert.deepEqual(eddySrc.status?.artifact?.metadata, fluxSrc.status?.artifact?.metadata);
    assert.deepEqual(conditionsOf(eddySrc), conditionsOf(fluxSrc));
    for (const ns of [fluxSrcNs, eddySrcNs]) {
      const ks = await waitReady<Ks>(KS, ns, 'oci', (k) => k.status?.lastAppliedRevision === `v1@${pushed.digest}`);
      assert.equal(ks.status?.lastAppliedOriginRevision, origin, `origin revision in ${ns}`);
      assert.deepEqual(await configMapData(ns, 'from-oci'), { made: 'by-oci' });
    }
  });

  it('(c) both source controllers on one commit: same revision; each fetcher takes the other\'s tarball', async (t) => {
    const url = await git.createRepo('same-commit');
    const sha = await commitFiles(url, {
      files: {
        'deploy/cm.yaml': configMap('same', { v: '1' }),
        'README.md': '# app\n',
        'logo.png': 'not really a png',
        '.github/workflows/ci.yaml': 'on: push\n',
        '.sourceignore': 'ignored/\n',
        'ignored/x.yaml': 'kind: Nothing\n',
        'nested/.gitignore': 'x\n',
      },
    });
    await Promise.all([gitRepository(fluxSrcNs, 'same', url), gitRepository(eddySrcNs, 'same', url)]);
    const [fluxArt, eddyArt] = (await Promise.all([waitReady<Source>(GITREPO, fluxSrcNs, 'same'), waitReady<Source>(GITREPO, eddySrcNs, 'same')]))
      .map((s) => s.status?.artifact) as [Artifact, Artifact];
    assert.equal(fluxArt.revision, `main@sha1:${sha}`);
    assert.equal(eddyArt.revision, fluxArt.revision);
    assert.deepEqual(conditionsOf(await client.get<Source>(GITREPO, 'same', eddySrcNs)), conditionsOf(await client.get<Source>(GITREPO, 'same', fluxSrcNs)));

    const trees: string[][] = [];
    for (const [who, art, ns] of [['flux', fluxArt, fluxSrcNs], ['eddy', eddyArt, eddySrcNs]] as const) {
      assert.match(art.digest, /^sha256:[0-9a-f]{64}$/, `${who} digest`);
      assert.ok(art.url.endsWith(`/${art.path}`), `${who} url ${art.url} ends with its path ${art.path}`);
      assert.match(art.path, new RegExp(`^gitrepository/${ns}/same/[0-9a-f]+\\.tar\\.gz$`), `${who} path`);
      assert.ok(art.lastUpdateTime, `${who} lastUpdateTime`);
      const res = await fetch(art.url);
      assert.equal(res.status, 200, `${who} artifact URL reachable`);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, art.digest, `${who}: digest of the downloaded file`);
      assert.equal(art.size, bytes.length, `${who}: size`);
      // eddy's fetcher on both tarballs (Flux's fetcher took eddy's in (b)).
      const dest = join(work, `extract-${who}`);
      await fetchArtifact({ url: art.url, digest: art.digest, dest });
      const entries = await directoryEntries(dest);
      trees.push(entries.map((e) => e.path).sort());
      assert.equal(await readFile(join(dest, 'deploy', 'cm.yaml'), 'utf8'), configMap('same', { v: '1' }));
      t.diagnostic(`${who}: path ${art.path}, size ${art.size}, digest ${art.digest}`);
    }
    t.diagnostic(`tarball digests ${fluxArt.digest === eddyArt.digest ? 'are equal' : 'differ'}`);
    assert.deepEqual(trees[1], trees[0], 'the same files are kept (default and .sourceignore exclusions)');
  });

  it('(c) Kustomization statuses written by eddy and by Flux have the same shape', async () => {
    // In fluxSrcNs eddy's kustomize controller wrote them, in eddySrcNs Flux's.
    for (const name of ['app', 'oci']) {
      const [byEddy, byFlux] = await Promise.all([client.get<Ks>(KS, name, fluxSrcNs), client.get<Ks>(KS, name, eddySrcNs)]);
      const shape = (k: Ks) => ({
        keys: Object.keys(k.status ?? {}).sort(),
        conditions: conditionsOf(k).map((c) => ({ ...c, message: c.message.replace(k.status?.lastAppliedRevision ?? '', '<rev>') })),
        history: (k.status?.history ?? []).map((h) => ({ keys: Object.keys(h).sort(), metadata: Object.keys((h as { metadata?: object }).metadata ?? {}).sort(), status: h.lastReconciledStatus })),
        finalizers: k.metadata.finalizers,
      });
      assert.deepEqual(shape(byEddy), shape(byFlux), name);
    }
  });
});
