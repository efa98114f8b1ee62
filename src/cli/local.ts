// `eddy up` / `eddy down`: the local default, one step at a time with progress; a failure
// names the step and the log to read.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { clusterDown } from '../cluster/lifecycle.ts';
import { ensureEngineBinary } from '../engines/index.ts';
import { KubeClient } from '../kube/client.ts';
import {
  applyAll, EXAMPLE_NAME, exampleObjects, exampleProgress, LOCAL_NAMESPACE, localPaths, seedExample, startControllers, stopControllers, waitHealthy,
} from '../local/up.ts';
import { freePort } from '../local/ports.ts';
import { printNodes, startCluster } from './cluster.ts';
import type { CliContext } from './context.ts';
import { applyCRDs } from './install.ts';

interface UpFlags {
  name: string;
  nodes: string;
  timeout: string;
}

class StepError extends Error {
  constructor(step: string, cause: unknown, log?: string) {
    super(`${step} failed: ${cause instanceof Error ? cause.message : String(cause)}${log ? ` (log: ${log})` : ''}`, { cause });
    this.name = 'StepError';
  }
}

async function step<T>(ctx: CliContext, name: string, fn: () => Promise<T>, log?: string): Promise<T> {
  const started = Date.now();
  ctx.err(`→ ${name}…`);
  try {
    const v = await fn();
    ctx.err(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return v;
  } catch (err) {
    throw new StepError(name, err, log);
  }
}

async function waitExample(ctx: CliContext, client: KubeClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const p = await exampleProgress(client);
    if (p.message !== last) ctx.err(`  ${p.message}`);
    last = p.message;
    if (p.ready) return;
    await sleep(1000);
  }
  throw new Error(`not Ready within ${timeoutMs / 1000} s: ${last}`);
}

export async function localUp(ctx: CliContext, flags: UpFlags): Promise<void> {
  const p = localPaths(ctx.home, flags.name);
  const kubeconfig = await step(ctx, 'start the local control plane', () => startCluster(ctx, { name: flags.name, nodes: flags.nodes }));
  await printNodes(ctx, kubeconfig);
  const engine = await step(ctx, 'build the rendering engine', () => ensureEngineBinary({ home: ctx.home, onProgress: (l) => ctx.err(`  ${l}`) }));
  const client = KubeClient.fromKubeconfig({ kubeconfig, userAgent: 'eddy' });
  try {
    await step(ctx, 'install the CRDs', () => applyCRDs(client, { timeoutMs: 60_000 }));
    await step(ctx, 'seed the example repository', () => seedExample(p));
    const ports = { git: await freePort(), storage: await freePort(), health: await freePort(), metrics: await freePort() };
    await step(ctx, 'start the controllers', async () => waitHealthy(ports.health, await startControllers(p, kubeconfig, engine, ports), 120_000), p.log);
    await step(ctx, 'create the GitRepository and Kustomization', () => applyAll(client, exampleObjects(`http://127.0.0.1:${ports.git}`)));
    await step(ctx, 'reconcile the example until the Deployment is Available', () => waitExample(ctx, client, Number.parseInt(flags.timeout, 10) * 1000), p.log);
  } finally {
    await client.close();
  }
  ctx.out([
    `podinfo is deployed: Deployment, Service and HorizontalPodAutoscaler in namespace default,`,
    `applied by Kustomization ${LOCAL_NAMESPACE}/${EXAMPLE_NAME} from GitRepository ${LOCAL_NAMESPACE}/${EXAMPLE_NAME}.`,
    '',
    `  export KUBECONFIG=${kubeconfig}`,
    '  kubectl get kustomizations,gitrepositories -A',
    '',
    'Change it: edit the manifests and commit, the next poll (30 s) deploys the change:',
    `  cd ${p.worktree} && $EDITOR deployment.yaml && git commit -am "my change"`,
    `  kubectl -n ${LOCAL_NAMESPACE} annotate --overwrite gitrepository/${EXAMPLE_NAME} reconcile.fluxcd.io/requestedAt="$(date +%s)"   # now, not in 30 s`,
    '',
    `Controller log: ${p.log}. Stop everything: npx eddy down`,
  ].join('\n'));
}

export function registerLocal(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('bring up the local default: control plane, controllers and the podinfo example reconciled from Git')
    .option('--name <name>', 'cluster name', 'default')
    .option('--nodes <count>', 'fake KWOK nodes', '2')
    .option('--timeout <seconds>', 'how long to wait for the example to be Ready', '300')
    .action(async (flags: UpFlags) => localUp(ctx, flags));
  program
    .command('down')
    .description('stop the local default: controllers and control plane')
    .option('--name <name>', 'cluster name', 'default')
    .action(async (flags: { name: string }) => {
      const p = localPaths(ctx.home, flags.name);
      ctx.err(await stopControllers(p) ? 'controllers stopped' : 'controllers were not running');
      ctx.err(await clusterDown(ctx.home, flags.name) ? `cluster ${flags.name} stopped and removed` : `cluster ${flags.name} was not running`);
    });
}
