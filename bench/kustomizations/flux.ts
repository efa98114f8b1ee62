// The comparison side: the real Flux source-controller and kustomize-controller (built from the
// Go module proxy) out of cluster, on the same workload, flags and measures as eddy.
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/index.ts';
import { FLUX_KUSTOMIZE_CONTROLLER, FLUX_SOURCE_CONTROLLER, type FluxBinaries } from '../../test/tools/flux-binaries.ts';
import { applyFluxOnlyCRDs, startFluxController, type FluxController } from '../../test/tools/flux-controllers.ts';
import { processMemory } from '../memory.ts';
import { parallel } from './baseline.ts';
import { applied, phase, sourceRevisions, type EddyPhase } from './eddy.ts';
import { artifactRevision, deploymentsAt, isReady, waitAll } from './wait.ts';
import { FLUX_NS, KUSTOMIZE_API, SOURCE_API, VERSION_VAR, appName, kustomization, ociRepository, type RunOptions } from './workload.ts';

export interface FluxRunOptions extends RunOptions {
  binaries: FluxBinaries;
}

export interface FluxResult {
  versions: string;
  /** Both controllers, summed. */
  idleRssMiB: number;
  sourcesReadySeconds: number;
  create: EddyPhase;
  upgrade: EddyPhase;
}

export async function runFlux(client: KubeClient, o: FluxRunOptions): Promise<FluxResult> {
  await applyFluxOnlyCRDs(client, o.binaries.crdDirs);
  const flags = (concurrent: number) => [`--concurrent=${concurrent}`, `--kube-api-qps=${o.qps}`, `--kube-api-burst=${o.burst}`];
  const common = { kubeconfig: o.kubeconfig, dir: o.scratch, logLevel: 'error' as const };
  const procs: FluxController[] = [];
  try {
    procs.push(await startFluxController('source-controller', { ...common, extraArgs: flags(o.concurrent.source), binary: o.binaries.sourceController }));
    procs.push(await startFluxController('kustomize-controller', { ...common, extraArgs: flags(o.concurrent.kustomize), binary: o.binaries.kustomizeController }));
    const pids = procs.map((p) => p.pid);
    let idleRssMiB = 0;
    for (const pid of pids) idleRssMiB += (await processMemory(pid)).rssMiB;
    let sourcesReadySeconds = 0;
    const ks = { apiVersion: KUSTOMIZE_API, kind: 'Kustomization' };
    const create = await phase(client, { pids, others: o.others }, async (t0) => {
      await parallel(o.count, 32, async (i) => {
        await client.create(ociRepository(i, o.registryHost));
        await client.create(kustomization(i, o.targetNamespace, 'v1'));
      });
      sourcesReadySeconds = await waitAll(client, { apiVersion: SOURCE_API, kind: 'OCIRepository' }, FLUX_NS, {
        t0, count: o.count, timeoutS: 1800, what: 'Flux: OCIRepositories Ready', done: (items) => items.filter((s) => isReady(s) && artifactRevision(s) !== undefined).length, log: o.log,
      });
      const revisions = await sourceRevisions(client);
      if (revisions.size < o.count) o.log(`Flux: only ${revisions.size} of ${o.count} sources have an artifact revision`);
      return waitAll(client, ks, FLUX_NS, { t0, count: o.count, timeoutS: 1800, what: 'Flux: Kustomizations applied', done: applied(revisions), log: o.log });
    });
    const revisions = await sourceRevisions(client);
    const upgrade = await phase(client, { pids, others: o.others }, async (t0) => {
      await parallel(o.count, 32, async (i) => {
        await client.patch(ks, appName(i), FLUX_NS, { spec: { postBuild: { substitute: { [VERSION_VAR]: 'v2' } } } }, { type: 'merge' });
      });
      await waitAll(client, ks, FLUX_NS, { t0, count: o.count, timeoutS: 1800, what: 'Flux: Kustomizations upgraded', done: applied(revisions), log: o.log });
      return waitAll(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, o.targetNamespace, {
        t0, count: o.count, timeoutS: 600, what: 'Flux: Deployments at v2', done: deploymentsAt('v2'), log: o.log,
      });
    });
    return { versions: `source-controller ${FLUX_SOURCE_CONTROLLER.version}, kustomize-controller ${FLUX_KUSTOMIZE_CONTROLLER.version}`, idleRssMiB, sourcesReadySeconds, create, upgrade };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    o.log(`Flux logs: ${join(o.scratch, '*-controller.log')}`);
  }
}
