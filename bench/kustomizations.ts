// Benchmark of the kustomize controller on Flux's "mean time to production" shape: for each size
// N, N OCIRepositories + N Kustomizations (interval 60m, retryInterval 2m, prune, wait, timeout
// 1m, impersonated ServiceAccount, targetNamespace, postBuild.substitute), each artifact holding
// a Deployment scaled to 0, a ServiceAccount, a Service and an Ingress; then an upgrade round
// that changes the substituted value of every Kustomization.
//   node bench/kustomizations.ts [--sizes 10,100,500,1000] [--smoke] [--concurrent 10] [--kustomize-concurrent 20]
//                                [--kube-api-qps 50] [--kube-api-burst 300] [--baseline-only] [--flux]
// --flux: also run the real Flux source-controller and kustomize-controller (built from the Go
// module proxy) on the same workload and flags, in a control plane of their own.
// Baseline in the same run: the same rendered objects server-side applied directly with one
// KubeClient at the same QPS and concurrency, timed until every Deployment is observed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyCRDs } from '../src/cli/install.ts';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { ensureEngineBinary } from '../src/engines/index.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { KubeClient } from '../src/kube/index.ts';
import { startOciRegistry } from '../test/servers/oci-registry.ts';
import { pushArtifact } from '../test/tools/oci-push.ts';
import { byVerb, diffCounts, formatCounts, readRequestCounts, type RequestsByVerb } from './kustomizations/api-requests.ts';
import { baselineRound, parallel, type BaselineRound } from './kustomizations/baseline.ts';
import { runEddy, type EddyPhase, type EddyResult } from './kustomizations/eddy.ts';
import type { Usage } from './kustomizations/process-usage.ts';
import { runFlux, type FluxResult } from './kustomizations/flux.ts';
import { ensureFluxBinaries, type FluxBinaries } from '../test/tools/flux-binaries.ts';
import { controllerKubeconfig } from './kustomizations/controller-identity.ts';
import { FLUX_NS, appName, manifestTemplate, setupObjects } from './kustomizations/workload.ts';
import { machine } from './machine.ts';
// What `npm run up` runs: the controllers compiled to lib/ (built here if src/ changed).
import '../scripts/build-lib.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,500,1000' },
    smoke: { type: 'boolean', default: false },
    // Flux's own benchmark runs source-controller at 10 and kustomize-controller at 20; on 2 cores
    // 20 only queues more work on a saturated API server (docs/benchmarks.md).
    concurrent: { type: 'string', default: '10' },
    'kustomize-concurrent': { type: 'string', default: '10' },
    'kube-api-qps': { type: 'string', default: '50' },
    'kube-api-burst': { type: 'string', default: '300' },
    'baseline-only': { type: 'boolean', default: false },
    // For iterating on eddy: the table then has no baseline to compare with.
    'skip-baseline': { type: 'boolean', default: false },
    flux: { type: 'boolean', default: false },
  },
});
const SIZES = values.smoke ? [5] : values.sizes.split(',').map(Number);
const CONCURRENT = { source: Number(values.concurrent), kustomize: Number(values['kustomize-concurrent']) };
const QPS = Number(values['kube-api-qps']);
const BURST = Number(values['kube-api-burst']);
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);
const APPS_NS = 'bench-apps';
const BASELINE_NS = 'bench-baseline';

interface SizeResult {
  count: number;
  pushSeconds: number;
  baseline?: { install: BaselineRound & { requests: RequestsByVerb }; upgrade: BaselineRound & { requests: RequestsByVerb } };
  eddy?: EddyResult;
  flux?: FluxResult;
}

async function baselineWithRequests(client: KubeClient, admin: KubeClient, n: number, version: string): Promise<BaselineRound & { requests: RequestsByVerb }> {
  const before = await readRequestCounts(admin);
  const round = await baselineRound(client, { count: n, concurrent: CONCURRENT.kustomize, namespace: BASELINE_NS, version, log });
  return { ...round, requests: byVerb(diffCounts(before, await readRequestCounts(admin))) };
}

/** Without `flux`: the baseline and eddy; with it: Flux's controllers only (no baseline). */
async function runSize(binary: string, engineBinary: string, n: number, flux?: FluxBinaries): Promise<SizeResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'eddy-bench-ks-'));
  const home = join(scratch, 'home');
  const name = 'bench-ks';
  const st = await clusterUp({ home, name, nodes: 1, binary });
  const kubeconfig = st.kubeconfig ?? '';
  // Setup and polling get a fast client; the baseline gets eddy's QPS and burst.
  const admin = KubeClient.fromKubeconfig({ kubeconfig, qps: 1000, burst: 2000 });
  const client = KubeClient.fromKubeconfig({ kubeconfig, qps: QPS, burst: BURST });
  const registry = await startOciRegistry({ quiet: true });
  // etcd runs inside the cluster's supervisor; the benchmark's own watches count too.
  const others = { ...st.children, 'etcd (supervisor)': st.pid, registry: registry.pid, benchmark: process.pid };
  try {
    log(`N=${n}: control plane ready; pushing ${n} artifacts`);
    await applyCRDs(admin, { timeoutMs: 60_000 });
    for (const obj of setupObjects([APPS_NS, BASELINE_NS])) await admin.apply(obj, { fieldManager: 'bench', force: true });
    const controllers = await controllerKubeconfig(admin, kubeconfig, FLUX_NS, scratch);
    const tPush = performance.now();
    await parallel(n, 16, async (i) => {
      await pushArtifact({ registryUrl: registry.url, repository: appName(i), tag: 'latest', files: { 'app.yaml': manifestTemplate(appName(i)) }, source: 'https://example.invalid/bench', revision: 'main@sha1:0000000000000000000000000000000000000001' });
    });
    const pushSeconds = (performance.now() - tPush) / 1000;
    if (flux) {
      log(`N=${n}: Flux`);
      const fluxResult = await runFlux(admin, {
        kubeconfig: controllers, scratch, count: n, concurrent: CONCURRENT, qps: QPS, burst: BURST, registryHost: registry.host, targetNamespace: APPS_NS, binaries: flux, others, log,
      });
      return { count: n, pushSeconds, flux: fluxResult };
    }

    const result: SizeResult = { count: n, pushSeconds };
    if (!values['skip-baseline']) {
      log(`N=${n}: baseline`);
      const install = await baselineWithRequests(client, admin, n, 'v1');
      const upgrade = await baselineWithRequests(client, admin, n, 'v2');
      result.baseline = { install, upgrade };
    }
    if (values['baseline-only']) return result;

    log(`N=${n}: eddy`);
    result.eddy = await runEddy(admin, {
      kubeconfig: controllers, scratch, count: n, concurrent: CONCURRENT, qps: QPS, burst: BURST, registryHost: registry.host, targetNamespace: APPS_NS, others, log, engineBinary,
    });
    return result;
  } finally {
    await client.close();
    await admin.close();
    await registry.stop();
    await clusterDown(home, name);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Seconds, and their multiple of the baseline when there is one. */
function vsBaseline(x: number, base: number | undefined): string {
  return base === undefined ? `${x.toFixed(1)} s` : `${x.toFixed(1)} s (${(x / base).toFixed(1)}× the baseline)`;
}

function printFlux(r: SizeResult): void {
  const x = r.flux;
  if (!x) return;
  const f = (v: number) => v.toFixed(1);
  const b = r.baseline;
  console.log(`| Flux (${x.versions}): objects created → all OCIRepositories Ready | ${f(x.sourcesReadySeconds)} s |`);
  console.log(`| Flux: objects created → all Kustomizations Ready at their source's revision | ${vsBaseline(x.create.seconds, b?.install.rolledOutSeconds)} |`);
  console.log(`| Flux: API requests while creating (all clients) | ${formatCounts(x.create.requests)} |`);
  console.log(`| Flux processes (2): idle RSS / peak RSS / CPU while creating | ${f(x.idleRssMiB)} MiB / ${f(x.create.usage.peakRssMiB)} MiB / ${f(x.create.usage.cpuSeconds)} s |`);
  console.log(`| Flux upgrade: substitute changed → all Kustomizations Ready, Deployments at v2 | ${vsBaseline(x.upgrade.seconds, b?.upgrade.rolledOutSeconds)} |`);
  console.log(`| Flux upgrade: API requests (all clients) | ${formatCounts(x.upgrade.requests)} |`);
  console.log(`| Flux upgrade: peak RSS / CPU | ${f(x.upgrade.usage.peakRssMiB)} MiB / ${f(x.upgrade.usage.cpuSeconds)} s |`);
  console.log(`| Flux: machine CPU while creating: busy / others | ${cpuLine(x.create, m.cpus)} |`);
}

function printSize(r: SizeResult): void {
  const f = (x: number) => x.toFixed(1);
  const b = r.baseline;
  console.log(`\n### N = ${r.count}: ${r.count} OCIRepositories + ${r.count} Kustomizations, --concurrent ${CONCURRENT.source} (sources) / ${CONCURRENT.kustomize} (Kustomizations), QPS ${QPS}/${BURST}\n`);
  console.log('| measure | value |\n|---|---|');
  console.log(`| artifacts pushed to the registry (16 at a time; not measured below) | ${f(r.pushSeconds)} s |`);
  if (b) {
    console.log(`| baseline install: ${r.count * 4} objects applied / all Deployments observed | ${f(b.install.applySeconds)} s / ${f(b.install.rolledOutSeconds)} s |`);
    console.log(`| baseline install: API requests (all clients) | ${formatCounts(b.install.requests)} |`);
    console.log(`| baseline upgrade: applied / all Deployments observed at v2 | ${f(b.upgrade.applySeconds)} s / ${f(b.upgrade.rolledOutSeconds)} s |`);
    console.log(`| baseline upgrade: API requests (all clients) | ${formatCounts(b.upgrade.requests)} |`);
  }
  const e = r.eddy;
  if (!e) return;
  console.log(`| eddy (${e.components.join(', ')}): objects created → all OCIRepositories Ready | ${f(e.sourcesReadySeconds)} s |`);
  if (e.kustomizationsSkipped) {
    console.log(`| eddy: Kustomizations | not run: ${e.kustomizationsSkipped} |`);
  } else {
    console.log(`| eddy: objects created → all Kustomizations Ready at their source's revision | ${vsBaseline(e.create.seconds, b?.install.rolledOutSeconds)} |`);
  }
  console.log(`| eddy: API requests while creating (all clients) | ${formatCounts(e.create.requests)} |`);
  console.log(`| eddy process: idle RSS / peak RSS / CPU while creating | ${f(e.idleRssMiB)} MiB / ${f(e.create.usage.peakRssMiB)} MiB / ${f(e.create.usage.cpuSeconds)} s |`);
  console.log(`| eddy at its peak while creating | ${atPeak(e.create.usage)} |`);
  console.log(`| machine CPU while creating: busy / others | ${cpuLine(e.create, m.cpus)} |`);
  if (e.upgrade) {
    console.log(`| eddy upgrade: substitute changed → all Kustomizations Ready, Deployments at v2 | ${vsBaseline(e.upgrade.seconds, b?.upgrade.rolledOutSeconds)} |`);
    console.log(`| eddy upgrade: API requests (all clients) | ${formatCounts(e.upgrade.requests)} |`);
    console.log(`| eddy upgrade: peak RSS / CPU | ${f(e.upgrade.usage.peakRssMiB)} MiB / ${f(e.upgrade.usage.cpuSeconds)} s |`);
    console.log(`| eddy at its peak while upgrading | ${atPeak(e.upgrade.usage)} |`);
    console.log(`| machine CPU while upgrading: busy / others | ${cpuLine(e.upgrade, m.cpus)} |`);
  }
}

const m = machine();

/** Busy CPU of the machine against what its cores could give, and each other process's part. */
function cpuLine(p: EddyPhase, cpus: number): string {
  const others = Object.entries(p.otherCpu).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  return `${p.machineBusySeconds.toFixed(1)} s of ${(p.seconds * cpus).toFixed(1)} s / ${others}`;
}

function atPeak(u: Usage): string {
  const f = (x: number) => x.toFixed(0);
  const h = u.atPeak.heap;
  const heap = h ? ` (V8 heap ${f(h.heapUsedMiB)} used / ${f(h.heapTotalMiB)} total, external ${f(h.externalMiB)})` : '';
  return `Node ${f(u.atPeak.nodeRssMiB)} MiB${heap}, engines ${f(u.atPeak.childrenRssMiB)} MiB`;
}

async function main(): Promise<void> {
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const engine = await ensureEngineBinary({ home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const flux = values.flux ? await ensureFluxBinaries({ home: join(repo, '.eddy', 'test-home'), onProgress: log }) : undefined;
  const results: SizeResult[] = [];
  for (const n of SIZES) {
    const r = await runSize(binary, engine, n);
    if (flux) r.flux = (await runSize(binary, engine, n, flux)).flux;
    results.push(r);
  }
  const out = { benchmark: 'kustomizations', date: new Date().toISOString(), machine: m, concurrent: CONCURRENT, qps: QPS, burst: BURST, sizes: results };
  console.log(`machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}`);
  for (const r of results) {
    printSize(r);
    printFlux(r);
  }
  const file = join(repo, 'bench', 'results', `kustomizations-${out.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(out, null, 2));
  console.log(`wrote ${file}`);
}

await main();
