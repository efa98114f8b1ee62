// `eddy install --crds`: print eddy's CRDs as YAML (--export) or server-side apply them and wait
// until the API server serves each one (Established).
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { allCRDs } from '../api/crds.ts';
import { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { parseDuration } from '../runtime/duration.ts';
import type { CliContext } from './context.ts';

export interface InstallFlags {
  crds?: boolean;
  export?: boolean;
  kubeconfig?: string;
  insecureKubeconfigExec?: boolean;
  timeout?: string;
}

const CRD_TYPE = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;
export const FIELD_MANAGER = 'eddy';
const POLL_MS = 250;

/** All CRDs as one multi-document YAML stream, in allCRDs() order. */
export function exportCRDs(crds: KubeObject[] = allCRDs()): string {
  return crds.map((crd) => `---\n${stringify(crd, { lineWidth: 0 })}`).join('');
}

export class InstallError extends Error {
  readonly reason: 'NotEstablished' | 'ApplyFailed';
  constructor(reason: 'NotEstablished' | 'ApplyFailed', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InstallError';
    this.reason = reason;
  }
}

interface CRDStatus {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Server-side applies every CRD (field manager eddy, forced), then waits for each to be Established. */
export async function applyCRDs(client: KubeClient, opts: { timeoutMs: number; log?: (line: string) => void }): Promise<void> {
  const crds = allCRDs();
  for (const crd of crds) {
    try {
      await client.apply(crd, { fieldManager: FIELD_MANAGER, force: true });
    } catch (cause) {
      throw new InstallError('ApplyFailed', `applying CustomResourceDefinition ${crd.metadata.name ?? ''}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    opts.log?.(`customresourcedefinition/${crd.metadata.name ?? ''} applied`);
  }
  const deadline = Date.now() + opts.timeoutMs;
  for (const crd of crds) {
    await waitEstablished(client, crd.metadata.name ?? '', deadline, opts.timeoutMs);
    opts.log?.(`customresourcedefinition/${crd.metadata.name ?? ''} established`);
  }
}

async function waitEstablished(client: KubeClient, name: string, deadline: number, timeoutMs: number): Promise<void> {
  let last = 'no conditions yet';
  for (;;) {
    const crd = await client.get<KubeObject & CRDStatus>(CRD_TYPE, name);
    const conditions = crd.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    // NamesAccepted=False (a name clash with another CRD) never resolves by waiting.
    const names = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (names) throw new InstallError('NotEstablished', `CustomResourceDefinition ${name}: names not accepted: ${names.message ?? names.reason ?? ''}`);
    const established = conditions.find((c) => c.type === 'Established');
    if (established) last = `Established=${established.status}${established.message ? `: ${established.message}` : ''}`;
    if (Date.now() >= deadline) {
      throw new InstallError('NotEstablished', `CustomResourceDefinition ${name} not Established within ${timeoutMs / 1000} s (${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The `eddy install` action. */
export async function runInstall(ctx: CliContext, flags: InstallFlags): Promise<void> {
  if (!flags.crds) throw new Error('eddy install: only --crds is supported so far (controllers and RBAC come later)');
  if (flags.export) {
    ctx.out(exportCRDs().trimEnd());
    return;
  }
  const timeoutMs = parseDuration(flags.timeout ?? '60s');
  const client = KubeClient.fromKubeconfig({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    allowExec: flags.insecureKubeconfigExec ?? false,
    userAgent: 'eddy',
  });
  try {
    await applyCRDs(client, { timeoutMs, log: (l) => ctx.err(l) });
  } finally {
    await client.close();
  }
}

export function registerInstall(program: Command, ctx: CliContext): void {
  program
    .command('install')
    .description("install eddy's custom resource definitions (Flux's source and kustomize kinds)")
    .option('--crds', 'install the CustomResourceDefinitions')
    .option('--export', 'print the manifests as YAML instead of applying them')
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster, then KUBECONFIG, then ~/.kube/config)')
    .option('--insecure-kubeconfig-exec', 'allow kubeconfig exec plugins', false)
    .option('--timeout <duration>', 'how long to wait for the CRDs to be Established', '60s')
    .action(async (flags: InstallFlags) => runInstall(ctx, flags));
}
