// What every integration test needs from the run's control plane: its kubeconfig, kubectl 1.35
// bound to it, and a namespace of its own that is deleted afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDown, clusterUp } from '../../src/cluster/lifecycle.ts';
import { run, type RunResult } from '../tools/exec.ts';
import { k8sBinaries } from '../tools/k8s-binaries.ts';

export interface TestCluster {
  kubeconfig: string;
  home: string;
  name: string;
  binary: string;
}

export function testCluster(): TestCluster {
  const env = process.env;
  const kubeconfig = env['EDDY_TEST_KUBECONFIG'];
  if (!kubeconfig) throw new Error('EDDY_TEST_KUBECONFIG is not set: run integration tests through `npm test` (scripts/run-tests.ts)');
  return {
    kubeconfig,
    home: env['EDDY_TEST_HOME'] ?? '',
    name: env['EDDY_TEST_CLUSTER'] ?? 'test',
    binary: env['EDDY_CLUSTER_BINARY'] ?? '',
  };
}

export interface KubectlOptions {
  input?: string;
  kubeconfig?: string;
  timeoutMs?: number;
}

/** kubectl 1.35 against the test cluster; throws CommandError on a non-zero exit. */
export async function kubectl(args: readonly string[], opts: KubectlOptions = {}): Promise<RunResult> {
  const { kubectl: bin } = await k8sBinaries();
  const kubeconfig = opts.kubeconfig ?? testCluster().kubeconfig;
  return run(bin, ['--kubeconfig', kubeconfig, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeoutMs: opts.timeoutMs ?? 90_000,
  });
}

export async function kubectlJson<T>(args: readonly string[], opts: KubectlOptions = {}): Promise<T> {
  const { stdout } = await kubectl([...args, '-o', 'json'], opts);
  return JSON.parse(stdout) as T;
}

/** Creates a uniquely named namespace; the returned function deletes it (without waiting). */
export async function createNamespace(prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', name]);
  return {
    name,
    remove: async () => {
      await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
    },
  };
}

export interface PrivateCluster {
  home: string;
  name: string;
  kubeconfig: string;
  dir: string;
  stop: () => Promise<void>;
}

/**
 * A cluster of the test's own, for tests that restart the API server or otherwise disturb
 * everything else running against the shared one.
 */
export async function startPrivateCluster(name: string, nodes = 1): Promise<PrivateCluster> {
  const home = await mkdtemp(join(tmpdir(), `eddy-${name}-`));
  const st = await clusterUp({ home, name, nodes, binary: testCluster().binary });
  return {
    home, name, kubeconfig: st.kubeconfig ?? '', dir: join(home, 'clusters', name),
    stop: async () => {
      await clusterDown(home, name);
      await rm(home, { recursive: true, force: true });
    },
  };
}
