import type { Registry } from 'prom-client';
import type { KubeClient } from '../../kube/client.ts';
import { LeaderElector, type LeaderElectionOptions } from '../leader/election.ts';
import type { Controller } from '../queue/controller.ts';
import type { Logger } from '../queue/logger.ts';
import { noopLogger } from '../queue/logger.ts';
import { RuntimeMetrics } from '../queue/metrics.ts';
import { ControllerBuilder, type BuilderOptions, type ControllerSink } from './builder.ts';
import { InformerCache } from './informers.ts';

/** Leader election as the manager runs it; the client is the manager's. */
export type LeaderElectionConfig = Omit<LeaderElectionOptions, 'client' | 'onError'>;

export interface ManagerOptions {
  client: KubeClient;
  registry: Registry;
  log?: Logger;
  /** When set, controllers run only while this process holds the Lease. */
  leaderElection?: LeaderElectionConfig;
  /** Defaults for every controller (concurrency, retry delays, …). */
  controllerDefaults?: BuilderOptions;
}

/** Something the manager runs beside its controllers (an HTTP server, …) until shutdown. */
export interface Runnable {
  name: string;
  start(signal: AbortSignal): Promise<void>;
}

/** A runnable that only holds something open (a server, a pool) and closes it at shutdown. */
export function closeOnStop(name: string, close: () => Promise<void>): Runnable {
  return {
    name,
    start: async (signal) => {
      await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
      await close();
    },
  };
}

export type ManagerPhase = 'Created' | 'Syncing' | 'WaitingForLeadership' | 'Running' | 'Stopping' | 'Stopped';

/**
 * Runs shared informers and controllers: caches first, then (once leading, when leader election
 * is on) every controller; on abort it stops intake and lets controllers finish in-flight work.
 */
export class Manager implements ControllerSink {
  readonly client: KubeClient;
  readonly informers: InformerCache;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  private readonly opts: ManagerOptions;
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private phase: ManagerPhase = 'Created';

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.client = opts.client;
    this.log = opts.log ?? noopLogger;
    this.metrics = new RuntimeMetrics(opts.registry);
    this.informers = new InformerCache(opts.client, this.log);
  }

  controller(name: string): ControllerBuilder {
    return new ControllerBuilder(this, name);
  }

  defaults(): ReturnType<ControllerSink['defaults']> {
    return { ...this.opts.controllerDefaults, metrics: this.metrics, log: this.log };
  }

  register(controller: Controller): void {
    this.controllers.push(controller);
  }

  /** Runs on every replica, leader or not, from start until shutdown. */
  add(runnable: Runnable): void {
    this.runnables.push(runnable);
  }

  status(): ManagerPhase {
    return this.phase;
  }

  /** Healthy while caches are synced (or still syncing for the first time). */
  cachesSynced(): boolean {
    return this.informers.hasSynced();
  }

  /** Resolves after shutdown (signal aborted) or when leadership is lost (`{lost: true}`). */
  async start(signal: AbortSignal): Promise<{ lostLeadership: boolean }> {
    const running = this.runnables.map((r) => r.start(signal).catch((err: unknown) => this.log.error({ runnable: r.name, err: String(err) }, 'runnable failed')));
    try {
      return await this.startControllers(signal);
    } finally {
      await Promise.all(running);
    }
  }

  private async startControllers(signal: AbortSignal): Promise<{ lostLeadership: boolean }> {
    this.phase = 'Syncing';
    const synced = await this.informers.start(signal);
    if (!synced) {
      this.phase = 'Stopped';
      return { lostLeadership: false };
    }
    this.log.info({ controllers: this.controllers.map((c) => c.name) }, 'caches synced');
    const le = this.opts.leaderElection;
    if (!le) {
      await this.runControllers(signal);
      return { lostLeadership: false };
    }
    this.phase = 'WaitingForLeadership';
    const elector = new LeaderElector({ client: this.client, ...le, onError: (err) => this.log.warn({ err: String(err) }, 'leader election') });
    const { lost } = await elector.run(signal, async (leading) => {
      this.log.info({ identity: le.identity, lease: `${le.namespace}/${le.name}` }, 'became leader');
      await this.runControllers(leading);
    });
    if (lost) this.log.error({ identity: le.identity }, 'leadership lost');
    return { lostLeadership: lost };
  }

  /** Runs until the signal aborts, even with no controllers (health and metrics stay up). */
  private async runControllers(signal: AbortSignal): Promise<void> {
    this.phase = 'Running';
    const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await Promise.all([...this.controllers.map((c) => c.start(signal)), aborted]);
    this.phase = 'Stopped';
  }
}
