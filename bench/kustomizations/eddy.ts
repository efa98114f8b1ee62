// The measured side: `eddy run` in its own process reconciling N OCIRepositories and, when the
// kustomize-controller component and the Kustomization CRD exist, N Kustomizations.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnEddyRun } from '../../src/cli/node-flags.ts';
import { components } from '../../src/controllers/components.ts';
import { isNotFound, type KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { freePort } from '../../test/tools/ports.ts';
import { processMemory } from '../memory.ts';
import { byVerb, diffCounts, readRequestCounts, type RequestsByResource, type RequestsByVerb } from './api-requests.ts';
import { parallel } from './baseline.ts';
import { cpuOfOthers, sampleUsage, type Usage } from './process-usage.ts';
import { artifactRevision, deploymentsAt, isReady, lastAppliedRevision, observed, waitAll } from './wait.ts';
import { FLUX_NS, KUSTOMIZE_API, SOURCE_API, VERSION_VAR, appName, kustomization, ociRepository, type RunOptions } from './workload.ts';

export interface EddyOptions extends RunOptions {
  /** The prebuilt rendering engine (eddy would otherwise build one into its own home). */
  engineBinary: string;
}

export interface EddyPhase {
  seconds: number;
  requests: RequestsByVerb;
  requestsByResource: RequestsByResource;
  usage: Usage;
  /** CPU seconds of the other processes (control plane components, registry) in the phase. */
  otherCpu: Record<string, number>;
  /** Busy CPU seconds of the whole machine in the phase (at most cores × seconds). */
  machineBusySeconds: number;
}

export interface EddyResult {
  components: string[];
  /** Why the Kustomization phases did not run, when they did not. */
  kustomizationsSkipped?: string;
  idleRssMiB: number;
  sourcesReadySeconds: number;
  create: EddyPhase;
  upgrade?: EddyPhase;
}

/** Whether this build can run Kustomizations: the component is registered and the CRD served. */
export async function kustomizationSupport(client: KubeClient): Promise<string | undefined> {
  if (!components.some((c) => c.name === 'kustomize-controller')) {
    return `no kustomize-controller component in this build (components: ${components.map((c) => c.name).join(', ')})`;
  }
  try {
    await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, 'kustomizations.kustomize.toolkit.fluxcd.io');
    return undefined;
  } catch (err) {
    if (isNotFound(err)) return 'the Kustomization CRD is not installed by `applyCRDs`';
    throw err;
  }
}

async function startEddy(o: EddyOptions, names: string[]): Promise<{ child: ChildProcess; pid: number; metricsUrl: string }> {
  const health = await freePort();
  const metrics = await freePort();
  // EDDY_BENCH_NODE_FLAGS adds V8/Node flags to try (space-separated), e.g. `--optimize-for-size`.
  const extra = (process.env['EDDY_BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const child = spawnEddyRun(['--kubeconfig', o.kubeconfig, '--components', names.join(','),
    '--concurrent', `${o.concurrent.source},kustomize-controller=${o.concurrent.kustomize}`, '--kube-api-qps', String(o.qps), '--kube-api-burst', String(o.burst),
    '--storage-addr', '127.0.0.1:0', '--storage-path', join(o.scratch, 'storage'),
    '--health-addr', `127.0.0.1:${health}`, '--metrics-addr', `127.0.0.1:${metrics}`, '--log-level', process.env['EDDY_BENCH_LOG_LEVEL'] ?? 'error', '--engine-binary', o.engineBinary], { stdio: ['ignore', process.env['EDDY_BENCH_LOG_LEVEL'] ? 'inherit' : 'ignore', 'inherit'] }, extra);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`eddy run exited with code ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${health}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('eddy run not ready within 60 s');
    await sleep(100);
  }
  return { child, pid: child.pid ?? 0, metricsUrl: `http://127.0.0.1:${metrics}/metrics` };
}

async function stopEddy(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(35_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Kustomizations that applied their source's current revision at their current spec. */
export function applied(revisions: Map<string, string>): (items: KubeObject[]) => number {
  return (items) => items.filter((k) => {
    const rev = revisions.get(k.metadata.name ?? '');
    return rev !== undefined && observed(k) && isReady(k) && lastAppliedRevision(k) === rev;
  }).length;
}

export async function sourceRevisions(client: KubeClient): Promise<Map<string, string>> {
  const items = (await client.listAll({ apiVersion: SOURCE_API, kind: 'OCIRepository' }, { namespace: FLUX_NS })).items;
  return new Map(items.flatMap((o) => { const r = artifactRevision(o); return r ? [[o.metadata.name ?? '', r] as const] : []; }));
}

/** `pids`: the measured processes (with their children); `metricsUrl`: a Node process's /metrics, for its heap. */
export async function phase(client: KubeClient, target: { pids: number | readonly number[]; metricsUrl?: string; others: Record<string, number> }, run: (t0: number) => Promise<number>): Promise<EddyPhase> {
  const before = await readRequestCounts(client);
  const sampler = await sampleUsage(target.pids, target.metricsUrl);
  const measured = await cpuOfOthers(target.others, () => run(performance.now()));
  const usage = await sampler.stop();
  const requests = diffCounts(before, await readRequestCounts(client));
  return { seconds: measured.result, requests: byVerb(requests), requestsByResource: requests, usage, otherCpu: measured.cpu, machineBusySeconds: measured.machineBusySeconds };
}

export async function runEddy(client: KubeClient, o: EddyOptions): Promise<EddyResult> {
  const skipped = await kustomizationSupport(client);
  const names = skipped ? ['source-controller'] : ['source-controller', 'kustomize-controller'];
  if (skipped) o.log(`eddy: Kustomization phases skipped: ${skipped}`);
  const eddy = await startEddy(o, names);
  const { child, pid } = eddy;
  try {
    const idleRssMiB = (await processMemory(pid)).rssMiB;
    let sourcesReadySeconds = 0;
    const ks = { apiVersion: KUSTOMIZE_API, kind: 'Kustomization' };
    const create = await phase(client, { pids: eddy.pid, metricsUrl: eddy.metricsUrl, others: o.others }, async (t0) => {
      await parallel(o.count, 32, async (i) => {
        await client.create(ociRepository(i, o.registryHost));
        if (!skipped) await client.create(kustomization(i, o.targetNamespace, 'v1'));
      });
      sourcesReadySeconds = await waitAll(client, { apiVersion: SOURCE_API, kind: 'OCIRepository' }, FLUX_NS, {
        t0, count: o.count, timeoutS: 1800, what: 'OCIRepositories Ready', done: (items) => items.filter(isReady).length, log: o.log,
      });
      if (skipped) return sourcesReadySeconds;
      const revisions = await sourceRevisions(client);
      return waitAll(client, ks, FLUX_NS, { t0, count: o.count, timeoutS: 1800, what: 'Kustomizations applied', done: applied(revisions), log: o.log });
    });
    if (skipped) return { components: names, kustomizationsSkipped: skipped, idleRssMiB, sourcesReadySeconds, create };

    const revisions = await sourceRevisions(client);
    const upgrade = await phase(client, { pids: eddy.pid, metricsUrl: eddy.metricsUrl, others: o.others }, async (t0) => {
      await parallel(o.count, 32, async (i) => {
        await client.patch(ks, appName(i), FLUX_NS, { spec: { postBuild: { substitute: { [VERSION_VAR]: 'v2' } } } }, { type: 'merge' });
      });
      const done = applied(revisions);
      await waitAll(client, ks, FLUX_NS, { t0, count: o.count, timeoutS: 1800, what: 'Kustomizations upgraded', done, log: o.log });
      // Ready with wait: true already implies the Deployments are Current; this checks the value landed.
      return waitAll(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, o.targetNamespace, {
        t0, count: o.count, timeoutS: 600, what: 'Deployments at v2', done: deploymentsAt('v2'), log: o.log,
      });
    });
    return { components: names, idleRssMiB, sourcesReadySeconds, create, upgrade };
  } finally {
    await stopEddy(child);
  }
}
