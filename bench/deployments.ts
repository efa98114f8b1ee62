// How fast the local control plane's kube-controller-manager rolls out many new Deployments.
//   node bench/deployments.ts [--count 100] [--binary <eddy-cluster binary>]
// Creates N Deployments with replicas 0, then N with replicas 1, in one namespace, and times each
// batch from the first create until every Deployment has status.observedGeneration ==
// metadata.generation (and, for replicas 1, Available=True). --binary measures an older build.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { KubeClient, type KubeObject } from '../src/kube/index.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    binary: { type: 'string' },
  },
});
const N = Number(values.count);
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const NS = 'rollout';

async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  }));
}

function deployment(name: string, replicas: number): KubeObject {
  const labels = { app: name };
  return {
    ...DEPLOYMENT,
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } } },
  };
}

interface DeploymentStatus { observedGeneration?: number; conditions?: { type: string; status: string }[] }

function rolledOut(d: KubeObject, replicas: number): boolean {
  const st = (d['status'] ?? {}) as DeploymentStatus;
  if (st.observedGeneration !== d.metadata?.generation) return false;
  return replicas === 0 || (st.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
}

/** Seconds from the first create until all N Deployments with this prefix are rolled out. */
async function batch(client: KubeClient, prefix: string, replicas: number): Promise<{ createdSeconds: number; doneSeconds: number }> {
  const t0 = performance.now();
  await parallel(N, 16, async (i) => {
    await client.create(deployment(`${prefix}-${i}`, replicas));
  });
  const createdSeconds = (performance.now() - t0) / 1000;
  for (;;) {
    const items = (await client.listAll(DEPLOYMENT, { namespace: NS })).items.filter((d) => d.metadata?.name?.startsWith(`${prefix}-`));
    if (items.length === N && items.every((d) => rolledOut(d, replicas))) return { createdSeconds, doneSeconds: (performance.now() - t0) / 1000 };
    if (performance.now() - t0 > 600_000) throw new Error(`${prefix}: not rolled out after 10 min`);
    // Listing thousands of Deployments is itself work for the API server: poll less often then.
    await sleep(Math.max(100, N / 2));
  }
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'eddy-bench-deploy-'));
  const binary = values.binary ?? await ensureClusterBinary({ moduleDir: clusterModuleDir, home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const st = await clusterUp({ home: scratch, name: 'bench-deploy', nodes: 2, binary });
  const client = KubeClient.fromKubeconfig({ kubeconfig: st.kubeconfig ?? '', qps: 500, burst: 1000 });
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // The namespace's default ServiceAccount must exist before pods can be created.
    for (let i = 0; i < 100; i++) {
      const ok = await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', NS).then(() => true, () => false);
      if (ok) break;
      await sleep(100);
    }
    const zero = await batch(client, 'zero', 0);
    const one = await batch(client, 'one', 1);
    const result = { benchmark: 'deployments', date: new Date().toISOString(), machine: machine(), binary, count: N, replicas0: zero, replicas1: one };
    const f = (x: number) => x.toFixed(1);
    console.log(`\n### ${N} new Deployments, kube-controller-manager of ${binary.split('/').pop() ?? ''}\n`);
    console.log('| batch | created | all observed (and Available) |\n|---|---|---|');
    console.log(`| replicas 0 | ${f(zero.createdSeconds)} s | ${f(zero.doneSeconds)} s |`);
    console.log(`| replicas 1 | ${f(one.createdSeconds)} s | ${f(one.doneSeconds)} s |`);
    const out = join(repo, 'bench', 'results', `deployments-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(out, JSON.stringify(result, null, 2));
    console.log(`wrote ${out}`);
  } finally {
    await client.close();
    await clusterDown(scratch, 'bench-deploy');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
