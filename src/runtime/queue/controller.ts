import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from './clock.ts';
import { ControllerError, isTerminalError } from './errors.ts';
import { noopLogger, type Logger } from './logger.ts';
import { RuntimeMetrics, type ReconcileMetrics } from './metrics.ts';
import { WorkQueue } from './queue.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { parseKey, requestKey, type Request } from './request.ts';

/** What a reconcile asks of the queue next. Empty (or void) means converged. */
export interface Result {
  /** Reconcile again after this long (jittered); resets the failure backoff. */
  requeueAfterMs?: number;
  /** Reconcile again after the rate limiter's backoff. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted on reconcile timeout or when shutdown outlasts its grace period. */
  signal: AbortSignal;
  reconcileId: string;
  /** Bound to controller, namespace, name and reconcileId. */
  log: Logger;
}

export interface Reconciler {
  reconcile(req: Request, ctx: ReconcileContext): Promise<Result | void>;
}

export interface ControllerOptions {
  /** Unique per RuntimeMetrics; used as the `controller` and `name` metric labels. */
  name: string;
  reconciler: Reconciler;
  /** Parallel workers; one key is still never reconciled twice at once. Default 1. */
  concurrency?: number;
  rateLimiter?: RateLimiter;
  /** Abort `ctx.signal` after this long and count the reconcile as an error. Default: none. */
  reconcileTimeoutMs?: number;
  /** requeueAfter is stretched by a random 0..jitterPercent% so periodic reconciles spread out. Default 5. */
  jitterPercent?: number;
  /** How long `start` waits for in-flight reconciles after the stop signal. Default 30 s (controller-runtime's). */
  shutdownTimeoutMs?: number;
  /** Shared metrics of the manager; else built on `registry`; else on a private registry. */
  metrics?: RuntimeMetrics;
  registry?: Registry;
  log?: Logger;
  clock?: Clock;
  /** Source of jitter in [0, 1); tests pin it. Default Math.random. */
  random?: () => number;
}

type Outcome = { kind: 'ok'; result: Result } | { kind: 'error'; error: unknown };

/**
 * Bugs rather than failures, counted as panics (controller-runtime recovers Go
 * panics): non-Error throws and JS engine errors. A TypeError with a `cause`
 * (undici's "fetch failed") is a network failure, not a bug.
 */
function isPanic(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof TypeError) return err.cause === undefined;
  return err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
}

function requireOption(ok: boolean, message: string): void {
  if (!ok) throw new ControllerError('InvalidOption', message);
}

/** Runs a Reconciler over a level-based work queue, like controller-runtime's controller. */
export class Controller {
  readonly name: string;
  private readonly reconciler: Reconciler;
  private readonly concurrency: number;
  private readonly reconcileTimeoutMs: number | undefined;
  private readonly jitterPercent: number;
  private readonly shutdownTimeoutMs: number;
  private readonly queue: WorkQueue<string>;
  private readonly metrics: ReconcileMetrics;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly inflight = new Set<AbortController>();
  private started = false;

  constructor(opts: ControllerOptions) {
    const concurrency = opts.concurrency ?? 1;
    requireOption(opts.name.length > 0, 'controller name is required');
    requireOption(Number.isInteger(concurrency) && concurrency >= 1, `concurrency must be an integer >= 1, got ${concurrency}`);
    requireOption((opts.jitterPercent ?? 0) >= 0, 'jitterPercent must be >= 0');
    requireOption(opts.reconcileTimeoutMs === undefined || opts.reconcileTimeoutMs > 0, 'reconcileTimeoutMs must be > 0');
    this.name = opts.name;
    this.reconciler = opts.reconciler;
    this.concurrency = concurrency;
    this.reconcileTimeoutMs = opts.reconcileTimeoutMs;
    this.jitterPercent = opts.jitterPercent ?? 5;
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 30_000;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.log ?? noopLogger).child({ controller: opts.name });
    const runtimeMetrics = opts.metrics ?? new RuntimeMetrics(opts.registry ?? new Registry());
    this.metrics = runtimeMetrics.controller(opts.name);
    this.queue = new WorkQueue<string>({
      clock: this.clock,
      rateLimiter: opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock }),
      metrics: runtimeMetrics.workqueue(opts.name, this.clock),
    });
  }

  /** Ask for `req` to be reconciled; repeated requests before it runs collapse into one. */
  enqueue(req: Request): void {
    this.queue.add(requestKey(req));
  }

  /** Ask for `req` to be reconciled after `ms`; the earliest pending time wins. */
  enqueueAfter(req: Request, ms: number): void {
    this.queue.addAfter(requestKey(req), ms);
  }

  /**
   * Run the workers until `signal` aborts, then stop taking work (queued keys are
   * dropped: the next start re-lists everything) and wait up to shutdownTimeoutMs
   * for in-flight reconciles, aborting their signals if they outlast it.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new ControllerError('AlreadyStarted', `controller "${this.name}" was already started`);
    this.started = true;
    this.metrics.setMaxConcurrent(this.concurrency);
    this.log.info({ workerCount: this.concurrency }, 'Starting workers');
    const workers = Array.from({ length: this.concurrency }, () => this.worker(signal));
    await aborted(signal);
    this.log.info('Shutdown signal received, waiting for all workers to finish');
    this.queue.shutDown();
    if (await this.settlesWithin(Promise.all(workers), this.shutdownTimeoutMs)) {
      this.log.info('All workers finished');
      return;
    }
    const reason = new ControllerError('ShutdownTimeout', `in-flight reconciles outlasted the ${this.shutdownTimeoutMs} ms shutdown timeout`);
    for (const ac of this.inflight) ac.abort(reason);
    this.log.error({ err: reason, inflight: this.inflight.size }, 'Shutdown timed out; aborted in-flight reconciles');
  }

  private async worker(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        if (!signal.aborted) await this.processItem(key);
      } catch (err) {
        // Only a broken logger or metrics hook gets here; keep the worker alive.
        this.log.error({ err, key }, 'Unexpected error processing item');
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async processItem(key: string): Promise<void> {
    const req = parseKey(key);
    const reconcileId = randomUUID();
    const log = this.log.child({ namespace: req.namespace, name: req.name, reconcileId });
    const outcome = await this.runReconcile(req, reconcileId, log);
    if (outcome.kind === 'error') this.handleError(key, outcome.error, log);
    else this.handleResult(key, outcome.result, log);
  }

  private async runReconcile(req: Request, reconcileId: string, log: Logger): Promise<Outcome> {
    const ac = new AbortController();
    let timeout: ControllerError | undefined;
    const timeoutMs = this.reconcileTimeoutMs;
    const cancelTimeout =
      timeoutMs === undefined
        ? undefined
        : this.clock.schedule(timeoutMs, () => {
            timeout = new ControllerError('ReconcileTimeout', `reconcile exceeded ${timeoutMs} ms`);
            ac.abort(timeout);
          });
    this.inflight.add(ac);
    this.metrics.workerStarted();
    const startedAt = this.clock.now();
    try {
      const result = await this.reconciler.reconcile(req, { signal: ac.signal, reconcileId, log });
      // Finishing after the deadline still counts as a timeout: its work may be stale.
      return timeout ? { kind: 'error', error: timeout } : { kind: 'ok', result: result ?? {} };
    } catch (error) {
      if (timeout && error !== timeout) return { kind: 'error', error: new ControllerError('ReconcileTimeout', timeout.message, { cause: error }) };
      return { kind: 'error', error };
    } finally {
      cancelTimeout?.();
      this.inflight.delete(ac);
      this.metrics.workerFinished();
      this.metrics.reconcileSeconds((this.clock.now() - startedAt) / 1000);
    }
  }

  private handleResult(key: string, result: Result, log: Logger): void {
    if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
      const delayMs = result.requeueAfterMs * (1 + (this.random() * this.jitterPercent) / 100);
      log.debug({ requeueAfterMs: delayMs }, 'Reconcile done, requeueing after delay');
      this.queue.forget(key);
      this.queue.addAfter(key, delayMs);
      this.metrics.result('requeue_after');
    } else if (result.requeue) {
      log.debug('Reconcile done, requeueing');
      this.queue.addRateLimited(key);
      this.metrics.result('requeue');
    } else {
      log.debug('Reconcile successful');
      this.queue.forget(key);
      this.metrics.result('success');
    }
  }

  private handleError(key: string, error: unknown, log: Logger): void {
    const terminal = isTerminalError(error);
    const panic = isPanic(error);
    if (panic) this.metrics.panic();
    if (terminal) {
      // Retrying cannot help; the next change to the object enqueues it again.
      this.metrics.terminalError();
      this.queue.forget(key);
    } else {
      this.queue.addRateLimited(key);
    }
    this.metrics.error();
    this.metrics.result('error');
    log.error({ err: error, terminal, panic, retries: this.queue.numRequeues(key) }, 'Reconciler error');
  }

  /** Whether `p` settles within `ms` on the controller's clock. */
  private settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = this.clock.schedule(ms, () => resolve(false));
      const settled = (): void => {
        cancel();
        resolve(true);
      };
      p.then(settled, settled);
    });
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
