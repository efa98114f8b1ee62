import { systemClock, type Clock } from './clock.ts';
import { ControllerError } from './errors.ts';

/** Decides how long a key waits before its next retry (client-go's workqueue.RateLimiter). */
export interface RateLimiter<K extends string = string> {
  /** Delay in milliseconds before `key` may be retried; records one more failure. */
  when(key: K): number;
  /** Stop tracking `key`: its next failure starts from the base delay again. */
  forget(key: K): void;
  /** How many times `key` has failed since it was last forgotten. */
  retries(key: K): number;
}

/** Flux's --min-retry-delay and --max-retry-delay defaults. */
export const DEFAULT_MIN_RETRY_DELAY_MS = 750;
export const DEFAULT_MAX_RETRY_DELAY_MS = 15 * 60 * 1000;

function requirePositive(what: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new ControllerError('InvalidOption', `${what} must be a positive finite number, got ${value}`);
  }
}

/** Per-key exponential backoff: base · 2^failures, capped at max. */
export class ItemExponentialFailureRateLimiter<K extends string = string> implements RateLimiter<K> {
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly failures = new Map<K, number>();

  constructor(baseMs = DEFAULT_MIN_RETRY_DELAY_MS, maxMs = DEFAULT_MAX_RETRY_DELAY_MS) {
    requirePositive('baseMs', baseMs);
    requirePositive('maxMs', maxMs);
    this.baseMs = baseMs;
    this.maxMs = Math.max(baseMs, maxMs);
  }

  when(key: K): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    // 2 ** exp overflows to Infinity rather than wrapping, so the cap always holds.
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * One token bucket shared by all keys (overall retry rate, not per item), as
 * golang.org/x/time/rate's Reserve: tokens may go negative, the debt is the delay.
 */
export class BucketRateLimiter<K extends string = string> implements RateLimiter<K> {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps = 10, burst = 100, clock: Clock = systemClock) {
    requirePositive('qps', qps);
    requirePositive('burst', burst);
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The worst (longest) delay of several limiters; every limiter records the failure. */
export class MaxOfRateLimiter<K extends string = string> implements RateLimiter<K> {
  private readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new ControllerError('InvalidOption', 'MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: K): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: K): number {
    return Math.max(...this.limiters.map((l) => l.retries(key)));
  }
}

export interface ControllerRateLimiterOptions {
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/** Flux's controller limiter: per-key backoff (750 ms → 15 min) and an overall 10 qps / 100 burst bucket. */
export function defaultControllerRateLimiter<K extends string = string>(opts: ControllerRateLimiterOptions = {}): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialFailureRateLimiter<K>(opts.minRetryDelayMs ?? DEFAULT_MIN_RETRY_DELAY_MS, opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS),
    new BucketRateLimiter<K>(opts.qps ?? 10, opts.burst ?? 100, opts.clock ?? systemClock),
  );
}
