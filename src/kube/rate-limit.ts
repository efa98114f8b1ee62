import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Client-side token bucket (client-go's flowcontrol): `qps` tokens a second, at most `burst`
 * saved up. Waiters are served in order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly qps: number;
  private readonly burst: number;

  constructor(qps: number, burst: number, now: () => number = () => performance.now()) {
    this.qps = qps;
    this.burst = burst;
    this.tokens = burst;
    this.now = now;
    this.last = now();
  }

  private readonly now: () => number;

  /** Resolves when the caller may send one request. qps <= 0 disables limiting. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.qps <= 0) return Promise.resolve();
    const turn = this.tail.then(() => this.take(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    const waitMs = ((1 - this.tokens) / this.qps) * 1000;
    await sleep(waitMs, undefined, signal ? { signal } : undefined);
    this.tokens = 0;
    this.last = this.now();
  }
}
