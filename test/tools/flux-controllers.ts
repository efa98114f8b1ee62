// Real Flux controllers run out of cluster as child processes against a kubeconfig, on loopback
// ports, without leader election: for interop tests (scoped to one namespace) and the
// Kustomization benchmark's comparison mode.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { allCRDs } from '../../src/api/crds.ts';
import type { KubeClient, KubeObject } from '../../src/kube/index.ts';
import { eventually } from './eventually.ts';
import { ensureFluxBinaries, type FluxBinaries } from './flux-binaries.ts';
import { freePort } from './ports.ts';
import { startProcess, type ManagedProcess } from './process.ts';

export type FluxControllerName = 'source-controller' | 'kustomize-controller';

export interface FluxControllerOptions {
  binary: string;
  kubeconfig: string;
  /** Watch only this namespace (RUNTIME_NAMESPACE); absent: all namespaces. */
  namespace?: string | undefined;
  /** Log file and (source-controller) artifact storage go here. */
  dir: string;
  /** More flags, e.g. `--concurrent=10`. */
  extraArgs?: readonly string[];
  logLevel?: 'debug' | 'info' | 'error';
}

export interface FluxController extends ManagedProcess {
  name: FluxControllerName;
  /** source-controller: host:port of the artifact server. */
  storageAddr?: string;
  storagePath?: string;
}

/** The binaries run-tests.ts built (env), or built now when the test runs some other way. */
export async function fluxBinaries(home: string): Promise<FluxBinaries> {
  const env = process.env;
  const source = env['EDDY_FLUX_SOURCE_CONTROLLER'];
  const kustomize = env['EDDY_FLUX_KUSTOMIZE_CONTROLLER'];
  const dirs = env['EDDY_FLUX_CRD_DIRS'];
  if (source && kustomize && dirs) return { sourceController: source, kustomizeController: kustomize, crdDirs: dirs.split(':') };
  return ensureFluxBinaries({ home, onProgress: (l) => process.stderr.write(`flux-binaries: ${l}\n`) });
}

/** Starts one controller and waits until its health endpoint answers /readyz. */
export async function startFluxController(name: FluxControllerName, o: FluxControllerOptions): Promise<FluxController> {
  const [metrics, health] = [await freePort(), await freePort()];
  const args = [
    `--metrics-addr=127.0.0.1:${metrics}`,
    `--health-addr=127.0.0.1:${health}`,
    '--enable-leader-election=false',
    `--watch-all-namespaces=${o.namespace === undefined ? 'true' : 'false'}`,
    `--log-level=${o.logLevel ?? 'info'}`,
    '--log-encoding=json',
  ];
  let storage: { addr: string; path: string } | undefined;
  if (name === 'source-controller') {
    storage = { addr: `127.0.0.1:${await freePort()}`, path: path.join(o.dir, 'storage') };
    await fs.mkdir(storage.path, { recursive: true });
    args.push(`--storage-path=${storage.path}`, `--storage-addr=${storage.addr}`, `--storage-adv-addr=${storage.addr}`);
  }
  const proc = await startProcess({
    name: `flux ${name}`,
    command: o.binary,
    args: [...args, ...(o.extraArgs ?? [])],
    logFile: path.join(o.dir, `${name}.log`),
    // KUBECONFIG rather than a flag: controller-runtime registers --kubeconfig on Go's flag set,
    // which Flux's pflag command line does not necessarily include.
    env: { KUBECONFIG: o.kubeconfig, RUNTIME_NAMESPACE: o.namespace ?? '' },
    ready: async () => (await fetch(`http://127.0.0.1:${health}/readyz`)).ok,
    timeoutMs: 60_000,
  });
  return { ...proc, stop: () => proc.stop(), name, ...(storage ? { storageAddr: storage.addr, storagePath: storage.path } : {}) };
}

const CRD_REF = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/**
 * Applies the CRDs from Flux's directories that eddy does not define (e.g. HelmRepository and
 * HelmChart, without which source-controller refuses to start), and waits until they are
 * served. eddy's own CRDs stay in place, so Flux controllers run against eddy's schemas.
 * Returns the names applied.
 */
export async function applyFluxOnlyCRDs(client: KubeClient, crdDirs: readonly string[], timeoutMs = 60_000): Promise<string[]> {
  const ours = new Set(allCRDs().map((c) => c.metadata.name));
  const missing: KubeObject[] = [];
  for (const dir of crdDirs) {
    for (const file of (await fs.readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
      for (const doc of parseAllDocuments(await fs.readFile(path.join(dir, file), 'utf8'))) {
        const crd = doc.toJS() as KubeObject | null;
        if (crd?.kind === 'CustomResourceDefinition' && !ours.has(crd.metadata.name)) missing.push(crd);
      }
    }
  }
  for (const crd of missing) await client.apply(crd, { fieldManager: 'eddy-test-flux', force: true });
  for (const crd of missing) {
    await eventually(`CRD ${crd.metadata.name ?? ''} Established`, async () => {
      const got = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CRD_REF, crd.metadata.name ?? '');
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, timeoutMs, 200);
  }
  return missing.map((c) => c.metadata.name ?? '');
}
