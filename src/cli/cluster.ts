import type { Command } from 'commander';
import { ensureClusterBinary } from '../cluster/binary.ts';
import { clusterDown, clusterStatus, clusterUp } from '../cluster/lifecycle.ts';
import { listNodes } from '../cluster/nodes.ts';
import { clusterModuleDir } from '../cluster/paths.ts';
import type { CliContext } from './context.ts';

export interface ClusterUpFlags {
  name: string;
  nodes: string;
  apiserverPort?: string;
  perControllerCredentials?: boolean;
}

/** Builds (if needed) and starts a cluster; returns its admin kubeconfig path. */
export async function startCluster(ctx: CliContext, flags: ClusterUpFlags): Promise<string> {
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home: ctx.home, onProgress: (l) => ctx.err(l) });
  const nodes = Number.parseInt(flags.nodes, 10);
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 100) throw new Error(`--nodes must be 0..100, got ${flags.nodes}`);
  const st = await clusterUp({
    home: ctx.home,
    name: flags.name,
    nodes,
    binary,
    ...(flags.apiserverPort ? { apiserverPort: Number.parseInt(flags.apiserverPort, 10) } : {}),
    ...(flags.perControllerCredentials ? { extraArgs: ['--per-controller-credentials'] } : {}),
  });
  if (!st.kubeconfig) throw new Error('cluster is Ready but wrote no kubeconfig');
  ctx.err(`cluster ${st.name} ready: Kubernetes ${st.version} at ${st.server}${st.readySeconds ? ` (started in ${st.readySeconds.toFixed(1)} s)` : ''}`);
  return st.kubeconfig;
}

export async function printNodes(ctx: CliContext, kubeconfig: string): Promise<void> {
  for (const n of await listNodes(kubeconfig)) {
    ctx.out(`node ${n.name}\t${n.ready ? 'Ready' : 'NotReady'}\t${n.version}`);
  }
}

export function registerCluster(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('local Kubernetes control planes for development and tests');
  cluster
    .command('up')
    .description('start a local control plane (built on first use) and print its kubeconfig path')
    .option('--name <name>', 'cluster name', 'default')
    .option('--nodes <count>', 'fake KWOK nodes', '2')
    .option('--apiserver-port <port>', 'kube-apiserver port on 127.0.0.1 (default: a free one)')
    .option('--per-controller-credentials', 'run each controller with its own ServiceAccount (slower start)')
    .action(async (flags: ClusterUpFlags) => {
      ctx.out(await startCluster(ctx, flags));
    });
  cluster
    .command('down')
    .description('stop a local control plane and remove its state')
    .option('--name <name>', 'cluster name', 'default')
    .action(async (flags: { name: string }) => {
      const had = await clusterDown(ctx.home, flags.name);
      ctx.err(had ? `cluster ${flags.name} stopped and removed` : `cluster ${flags.name} was not running`);
    });
  cluster
    .command('status')
    .description('list local control planes')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const all = await clusterStatus(ctx.home);
      if (flags.json) return ctx.out(JSON.stringify(all, null, 2));
      if (all.length === 0) return ctx.out('no clusters');
      for (const c of all) ctx.out(`${c.name}\t${c.phase}\t${c.server ?? '-'}\t${c.kubeconfig ?? '-'}`);
    });
}
