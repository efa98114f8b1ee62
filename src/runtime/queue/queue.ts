import { systemClock, type Cancel, type Clock } from './clock.ts';
import { DelayHeap } from './heap.ts';
import { noopQueueMetrics, type QueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

export interface WorkQueueOptions<K extends string> {
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
  /** Hooks from RuntimeMetrics.workqueue(name, clock); none by default. */
  metrics?: QueueMetrics<K>;
}

/** FIFO with amortised O(1) shift: a head index, compacted once half the array is consumed. */
class Fifo<K> {
  private items: K[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(k: K): void {
    this.items.push(k);
  }

  shift(): K | undefined {
    if (this.head >= this.items.length) return undefined;
    const k = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return k;
  }
}

/**
 * A level-based, rate-limited, delaying work queue with client-go semantics:
 * - a key waiting in the queue is held once however often it is added;
 * - a key being processed is never handed out again until `done`; adds meanwhile
 *   mark it dirty and it is re-queued on `done`;
 * - delayed adds keep the earliest ready time per key, on one timer;
 * - unlike client-go, handing a key out drops its pending delayed add: the reconcile it starts
 *   decides when to look again (a Kustomization that waited for its source with a requeue in
 *   30 s, then ran on the source's artifact event, would otherwise run again for nothing);
 * - after `shutDown`, adds are ignored, keys already queued are still handed
 *   out, and `get` resolves `undefined` once the queue is empty.
 */
export class WorkQueue<K extends string = string> {
  private readonly queue = new Fifo<K>();
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private readonly delayed = new DelayHeap<K>();
  private readonly rateLimiter: RateLimiter<K>;
  private readonly clock: Clock;
  private readonly metrics: QueueMetrics<K>;
  private shuttingDown = false;
  private timer: { at: number; cancel: Cancel } | undefined;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? systemClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>({ clock: this.clock });
    this.metrics = opts.metrics ?? noopQueueMetrics;
  }

  /** Queue `key` now. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.add(key);
    this.dirty.add(key);
    // Processing: `done` re-queues it, so one key never reaches two workers.
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.dispatch();
  }

  /** Queue `key` after `ms`; if it is already waiting, the earlier time wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    this.delayed.upsert(key, this.clock.now() + ms);
    this.armTimer();
  }

  /** Queue `key` after the rate limiter's delay for it (one more failure). */
  addRateLimited(key: K): void {
    // Count before the shutdown check, as client-go does.
    this.metrics.retry();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Reset `key`'s failure history (it stays queued if queued). */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.retries(key);
  }

  /** The next key to process; `undefined` once shut down and empty. Call `done` when finished. */
  get(): Promise<K | undefined> {
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Mark `key` finished; if it was added meanwhile it goes back in the queue. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    this.metrics.done(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.dispatch();
    } else if (this.processing.size === 0) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Keys ready to hand out (excludes delayed and in-flight keys). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stop accepting adds and drop delayed keys; idle `get` calls resolve `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  /** shutDown, then wait until every key handed out has been marked done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private take(): K | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.metrics.get(key);
    this.processing.add(key);
    this.dirty.delete(key);
    if (this.delayed.remove(key)) this.armTimer();
    return key;
  }

  /** Hand queued keys to idle getters synchronously, so the key is marked processing at once. */
  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const resolve = this.waiters.shift();
      resolve?.(this.take());
    }
  }

  /** Keep exactly one timer, aimed at the earliest delayed key. */
  private armTimer(): void {
    const at = this.delayed.peekReadyAt();
    if (at === this.timer?.at) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (at === undefined) return;
    const cancel = this.clock.schedule(at - this.clock.now(), () => this.onTimer());
    this.timer = { at, cancel };
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let key = this.delayed.popReady(now); key !== undefined; key = this.delayed.popReady(now)) this.add(key);
    this.armTimer();
  }
}
