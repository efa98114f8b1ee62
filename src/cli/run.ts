import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { components, type ComponentSettings } from '../controllers/components.ts';
import { KubeClient } from '../kube/client.ts';
import { parseDuration } from '../runtime/duration.ts';
import { closeOnStop, Manager } from '../runtime/manager/manager.ts';
import { ObserveServer, createLogger, isLogLevel } from '../runtime/observe/index.ts';
import { serveGitRepos } from '../local/git-server.ts';
import { concurrencyOf } from './concurrency.ts';
import type { CliContext } from './context.ts';

/** Flux's common controller flags: same names, same defaults. */
export interface RunFlags {
  kubeconfig?: string;
  components?: string;
  concurrent: string;
  requeueDependency: string;
  minRetryDelay: string;
  maxRetryDelay: string;
  intervalJitterPercentage: string;
  kubeApiQps: string;
  kubeApiBurst: string;
  watchLabelSelector: string;
  watchAllNamespaces: boolean;
  enableLeaderElection: boolean;
  leaderElectionNamespace: string;
  leaderElectionLeaseDuration: string;
  leaderElectionRenewDeadline: string;
  leaderElectionRetryPeriod: string;
  metricsAddr: string;
  healthAddr: string;
  logLevel: string;
  logEncoding: string;
  insecureKubeconfigExec: boolean;
  gracefulShutdownTimeout: string;
  storagePath?: string;
  storageAddr: string;
  storageAdvAddr?: string;
  artifactRetentionRecords: string;
  artifactRetentionTtl: string;
  /** Commander's negatable flags: --no-cross-namespace-refs sets this false. */
  crossNamespaceRefs: boolean;
  /** Undefined unless --remote-bases (or --no-remote-bases=false) was given. */
  remoteBases?: boolean;
  defaultServiceAccount?: string;
  engines: string;
  engineMemoryLimit: string;
  engineBinary?: string;
  serveGitDir?: string;
  serveGitPort: string;
}

/**
 * Flux's Go boolean flags accept `--no-remote-bases=false`; commander's negatable options take
 * no value, so such forms are rewritten before parsing.
 */
export function normalizeBoolFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m = /^--no-(remote-bases|cross-namespace-refs)=(true|false)$/.exec(a);
    if (!m) out.push(a);
    else if (m[2] === 'true') out.push(`--no-${m[1] ?? ''}`);
    else if (m[1] === 'remote-bases') out.push('--remote-bases');
  }
  return out;
}

export function registerRun(program: Command, ctx: CliContext, env: NodeJS.ProcessEnv): void {
  program
    .command('run')
    .description('run eddy controllers in one process against a cluster')
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster, then KUBECONFIG, then ~/.kube/config)')
    .option('--components <list>', `comma-separated components to run (available: ${components.map((c) => c.name).join(', ') || 'none yet'}; default all)`)
    .option('--concurrent <n>', 'concurrent reconciles per controller; per component too, as in Flux\'s separate processes: 4,kustomize-controller=20', '4')
    .option('--requeue-dependency <duration>', 'interval to requeue on dependencies not ready', '30s')
    .option('--min-retry-delay <duration>', 'minimum per-item retry backoff', '750ms')
    .option('--max-retry-delay <duration>', 'maximum per-item retry backoff', '15m')
    .option('--interval-jitter-percentage <n>', 'jitter added to reconcile intervals, percent', '5')
    .option('--kube-api-qps <n>', 'client-side QPS limit for the API server', '50')
    .option('--kube-api-burst <n>', 'client-side burst limit for the API server', '300')
    .option('--watch-label-selector <selector>', 'only watch objects matching this label selector', '')
    .option('--no-watch-all-namespaces', 'only watch the runtime namespace')
    .option('--enable-leader-election', 'run controllers only while holding the leader Lease', false)
    .option('--leader-election-namespace <ns>', 'namespace of the leader Lease', env['RUNTIME_NAMESPACE'] ?? 'flux-system')
    .option('--leader-election-lease-duration <duration>', 'lease duration', '35s')
    .option('--leader-election-renew-deadline <duration>', 'renew deadline', '30s')
    .option('--leader-election-retry-period <duration>', 'retry period', '5s')
    .option('--metrics-addr <addr>', 'address of the /metrics endpoint', ':8080')
    .option('--health-addr <addr>', 'address of the /healthz and /readyz endpoints', ':9440')
    .option('--log-level <level>', 'trace, debug, info or error', 'info')
    .option('--log-encoding <encoding>', 'json or console', 'json')
    .option('--insecure-kubeconfig-exec', 'allow kubeconfig exec plugins', false)
    .option('--no-cross-namespace-refs', 'refuse references to sources and dependencies in other namespaces')
    .option('--remote-bases', 'allow kustomize remote bases (same as --no-remote-bases=false)')
    .option('--no-remote-bases', 'refuse kustomize remote bases (the default)')
    .option('--default-service-account <name>', 'service account impersonated when a Kustomization names none')
    .option('--engines <n>', 'rendering engine processes (one builds a podinfo-sized overlay in ~5 ms)', '1')
    .option('--engine-memory-limit <MiB>', 'memory cap of each engine process, MiB', '512')
    .option('--engine-binary <path>', 'a prebuilt eddy-engine binary (default: build and cache it)')
    .addOption(new Option('--serve-git-dir <dir>', 'also serve the Git repositories in this directory (the local default)').hideHelp())
    .addOption(new Option('--serve-git-port <port>', 'port of --serve-git-dir on 127.0.0.1').default('0').hideHelp())
    .option('--graceful-shutdown-timeout <duration>', 'how long in-flight reconciles may finish after SIGTERM', '30s')
    .option('--storage-path <dir>', 'where artifacts are stored (default: $EDDY_HOME/storage)')
    .option('--storage-addr <addr>', 'address of the artifact server', ':9090')
    .option('--storage-adv-addr <host:port>', 'address advertised in artifact URLs (default: the bound address)')
    .option('--artifact-retention-records <n>', 'artifacts kept per object', '2')
    .option('--artifact-retention-ttl <duration>', 'how long superseded artifacts are kept', '60s')
    .action(async (flags: RunFlags) => runManager(ctx, env, flags));
}

function int(name: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

function selectedComponents(list: string | undefined): typeof components {
  if (!list) return components;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !components.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown components: ${unknown.join(', ')} (available: ${components.map((c) => c.name).join(', ') || 'none yet'})`);
  return components.filter((c) => names.includes(c.name));
}

async function runManager(ctx: CliContext, env: NodeJS.ProcessEnv, flags: RunFlags): Promise<void> {
  if (!isLogLevel(flags.logLevel)) throw new Error(`--log-level must be trace, debug, info or error, got ${flags.logLevel}`);
  if (flags.logEncoding !== 'json' && flags.logEncoding !== 'console') throw new Error('--log-encoding must be json or console');
  const log = createLogger({ level: flags.logLevel, encoding: flags.logEncoding });
  const chosen = selectedComponents(flags.components);
  const concurrency = concurrencyOf(flags.concurrent);
  const client = KubeClient.fromKubeconfig({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    allowExec: flags.insecureKubeconfigExec,
    qps: int('kube-api-qps', flags.kubeApiQps),
    burst: int('kube-api-burst', flags.kubeApiBurst),
    userAgent: 'eddy',
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const manager = new Manager({
    client, registry, log,
    controllerDefaults: {
      concurrency: concurrency.all,
      jitterPercent: int('interval-jitter-percentage', flags.intervalJitterPercentage),
      minRetryDelayMs: parseDuration(flags.minRetryDelay),
      maxRetryDelayMs: parseDuration(flags.maxRetryDelay),
    },
    ...(flags.enableLeaderElection ? {
      leaderElection: {
        namespace: flags.leaderElectionNamespace,
        name: 'eddy-controller-leader-election',
        identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
        leaseDurationMs: parseDuration(flags.leaderElectionLeaseDuration),
        renewDeadlineMs: parseDuration(flags.leaderElectionRenewDeadline),
        retryPeriodMs: parseDuration(flags.leaderElectionRetryPeriod),
      },
    } : {}),
  });
  const settings: ComponentSettings = {
    concurrent: concurrency.all,
    requeueDependencyMs: parseDuration(flags.requeueDependency),
    intervalJitterPercent: int('interval-jitter-percentage', flags.intervalJitterPercentage),
    watchAllNamespaces: flags.watchAllNamespaces,
    namespace: env['RUNTIME_NAMESPACE'] ?? 'flux-system',
    watchLabelSelector: flags.watchLabelSelector,
    registry,
    storage: {
      path: flags.storagePath ?? join(ctx.home, 'storage'),
      addr: flags.storageAddr,
      ...(flags.storageAdvAddr ? { advAddr: flags.storageAdvAddr } : {}),
      retentionRecords: int('artifact-retention-records', flags.artifactRetentionRecords, 1),
      retentionTtlMs: parseDuration(flags.artifactRetentionTtl),
    },
    log: (fields, msg) => log.info(fields, msg),
    shared: {},
    ...kustomizeSettings(ctx, flags),
  };
  for (const c of chosen) await c.setup(manager, { ...settings, concurrent: concurrency.of(c.name) });
  if (flags.serveGitDir) await serveGit(manager, flags.serveGitDir, int('serve-git-port', flags.serveGitPort), join(ctx.home, 'git-http-backend.log'), log);

  const observe = new ObserveServer({ registry });
  observe.addHealthCheck('ping', () => undefined);
  observe.addReadyCheck('informers-synced', () => {
    if (!manager.cachesSynced()) throw new Error('caches not synced');
  });
  const metricsAddr = await observe.start(flags.healthAddr);
  const metricsServer = flags.metricsAddr !== flags.healthAddr ? new ObserveServer({ registry }) : undefined;
  const metricsBound = metricsServer ? await metricsServer.start(flags.metricsAddr) : metricsAddr;
  log.info({ components: chosen.map((c) => c.name), health: metricsAddr, metrics: metricsBound }, 'eddy manager starting');

  const stop = new AbortController();
  const onSignal = (sig: string) => {
    log.info({ signal: sig }, 'shutting down');
    stop.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const { lostLeadership } = await manager.start(stop.signal);
  await observe.stop();
  await metricsServer?.stop();
  await client.close();
  if (lostLeadership) throw new Error('leader election lost');
  ctx.err('eddy manager stopped');
}

async function serveGit(manager: Manager, dir: string, port: number, logFile: string, log: { info: (f: Record<string, unknown>, m: string) => void }): Promise<void> {
  const server = await serveGitRepos(dir, port, logFile);
  log.info({ url: server.url, dir }, 'serving Git repositories');
  manager.add(closeOnStop('git-server', () => server.close()));
}

/** The kustomize controller's part of the component settings. */
function kustomizeSettings(ctx: CliContext, flags: RunFlags): Pick<ComponentSettings, 'home' | 'allowKubeconfigExec' | 'noCrossNamespaceRefs' | 'noRemoteBases' | 'defaultServiceAccount' | 'engines'> {
  return {
    home: ctx.home,
    allowKubeconfigExec: flags.insecureKubeconfigExec,
    noCrossNamespaceRefs: !flags.crossNamespaceRefs,
    noRemoteBases: flags.remoteBases !== true,
    defaultServiceAccount: flags.defaultServiceAccount,
    engines: { size: int('engines', flags.engines, 1), memoryLimitBytes: int('engine-memory-limit', flags.engineMemoryLimit, 64) * 1024 * 1024, binary: flags.engineBinary },
  };
}
