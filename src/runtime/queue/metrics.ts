import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from './clock.ts';
import { ControllerError } from './errors.ts';

/** client-go: prometheus.ExponentialBuckets(10e-9, 10, 10), i.e. 1e-8 … 10 s. Built from literals to avoid float drift. */
export const WORKQUEUE_BUCKETS: readonly number[] = Array.from({ length: 10 }, (_, i) => Number(`1e${i - 8}`));

/** controller-runtime's reconcile_time_seconds buckets. */
export const RECONCILE_TIME_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';
const RESULT_LABELS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after'];

/** What a WorkQueue reports; mirrors client-go's queueMetrics hooks. */
export interface QueueMetrics<K extends string = string> {
  /** A key entered the queue (not counted again while it is already dirty). */
  add(key: K): void;
  /** A key was handed to a worker. */
  get(key: K): void;
  /** A worker finished a key. */
  done(key: K): void;
  /** A rate-limited re-add. */
  retry(): void;
}

const noop = (): void => {};
export const noopQueueMetrics: QueueMetrics<never> = Object.freeze({ add: noop, get: noop, done: noop, retry: noop });

/** What a Controller reports; mirrors controller-runtime's ctrlmetrics. */
export interface ReconcileMetrics {
  setMaxConcurrent(n: number): void;
  workerStarted(): void;
  workerFinished(): void;
  result(result: ReconcileResultLabel): void;
  error(): void;
  terminalError(): void;
  panic(): void;
  reconcileSeconds(seconds: number): void;
}

/** Per-queue timing state; unfinished-work gauges are computed from it at scrape time. */
class QueueRecorder<K extends string> implements QueueMetrics<K> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly m: RuntimeMetrics;
  private readonly addTimes = new Map<K, number>();
  private readonly startTimes = new Map<K, number>();

  constructor(name: string, clock: Clock, m: RuntimeMetrics) {
    this.name = name;
    this.clock = clock;
    this.m = m;
  }

  add(key: K): void {
    this.m.adds.inc({ name: this.name });
    this.m.depth.inc({ name: this.name });
    if (!this.addTimes.has(key)) this.addTimes.set(key, this.clock.now());
  }

  get(key: K): void {
    const now = this.clock.now();
    this.m.depth.dec({ name: this.name });
    const added = this.addTimes.get(key);
    if (added !== undefined) {
      this.m.queueDuration.observe({ name: this.name }, (now - added) / 1000);
      this.addTimes.delete(key);
    }
    this.startTimes.set(key, now);
  }

  done(key: K): void {
    const started = this.startTimes.get(key);
    if (started === undefined) return;
    this.m.workDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
    this.startTimes.delete(key);
  }

  retry(): void {
    this.m.retries.inc({ name: this.name });
  }

  /** [sum of in-progress seconds, longest in-progress seconds]. */
  inProgress(): [number, number] {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const start of this.startTimes.values()) {
      const s = (now - start) / 1000;
      total += s;
      longest = Math.max(longest, s);
    }
    return [total, longest];
  }
}

/**
 * All workqueue and reconcile metrics, registered once on one Registry. Share one
 * instance between the controllers of a manager; there is no global registry.
 */
export class RuntimeMetrics {
  readonly registry: Registry;
  readonly depth: Gauge<'name'>;
  readonly adds: Counter<'name'>;
  readonly queueDuration: Histogram<'name'>;
  readonly workDuration: Histogram<'name'>;
  readonly unfinishedWork: Gauge<'name'>;
  readonly longestRunning: Gauge<'name'>;
  readonly retries: Counter<'name'>;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalErrors: Counter<'controller'>;
  readonly reconcilePanics: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrent: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  private readonly queues = new Set<QueueRecorder<string>>();
  private readonly controllers = new Set<string>();

  constructor(registry: Registry) {
    if (registry.getSingleMetric('workqueue_depth') || registry.getSingleMetric('controller_runtime_reconcile_total')) {
      throw new ControllerError('MetricsAlreadyRegistered', 'runtime metrics are already registered on this registry; share the RuntimeMetrics instance instead');
    }
    this.registry = registry;
    const registers = [registry];
    const name = ['name'] as const;
    const controller = ['controller'] as const;
    this.depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: name, registers });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: name, registers });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: name,
      buckets: [...WORKQUEUE_BUCKETS],
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: name,
      buckets: [...WORKQUEUE_BUCKETS],
      registers,
    });
    // client-go refreshes these on a 500 ms ticker; computing them at scrape time needs no timer.
    this.unfinishedWork = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: name,
      registers,
      collect: () => this.collectInProgress(),
    });
    this.longestRunning = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: name,
      registers,
      collect: () => this.collectInProgress(),
    });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: name, registers });
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'] as const,
      registers,
    });
    this.reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: controller, registers });
    this.terminalErrors = new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: controller, registers });
    this.reconcilePanics = new Counter({ name: 'controller_runtime_reconcile_panics_total', help: 'Total number of reconciliation panics per controller', labelNames: controller, registers });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: controller,
      buckets: [...RECONCILE_TIME_BUCKETS],
      registers,
    });
    this.maxConcurrent = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: controller, registers });
    this.activeWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: controller, registers });
  }

  /** Metrics hooks for one named queue. */
  workqueue<K extends string>(name: string, clock: Clock): QueueMetrics<K> {
    const rec = new QueueRecorder<K>(name, clock, this);
    this.queues.add(rec);
    // Series exist from the start, as client-go's provider creates them eagerly.
    this.depth.set({ name }, 0);
    this.adds.inc({ name }, 0);
    this.retries.inc({ name }, 0);
    return rec;
  }

  /** Metrics hooks for one controller; names must be unique per RuntimeMetrics, as in controller-runtime. */
  controller(name: string): ReconcileMetrics {
    if (this.controllers.has(name)) throw new ControllerError('DuplicateName', `a controller named "${name}" is already registered`);
    this.controllers.add(name);
    const c = { controller: name };
    // Zero every series up front so rate() works before the first event.
    for (const result of RESULT_LABELS) this.reconcileTotal.inc({ controller: name, result }, 0);
    this.reconcileErrors.inc(c, 0);
    this.terminalErrors.inc(c, 0);
    this.reconcilePanics.inc(c, 0);
    this.activeWorkers.set(c, 0);
    return {
      setMaxConcurrent: (n) => this.maxConcurrent.set(c, n),
      workerStarted: () => this.activeWorkers.inc(c),
      workerFinished: () => this.activeWorkers.dec(c),
      result: (result) => this.reconcileTotal.inc({ controller: name, result }),
      error: () => this.reconcileErrors.inc(c),
      terminalError: () => this.terminalErrors.inc(c),
      panic: () => this.reconcilePanics.inc(c),
      reconcileSeconds: (s) => this.reconcileTime.observe(c, s),
    };
  }

  private collectInProgress(): void {
    for (const q of this.queues) {
      const [total, longest] = q.inProgress();
      this.unfinishedWork.set({ name: q.name }, total);
      this.longestRunning.set({ name: q.name }, longest);
    }
  }
}
