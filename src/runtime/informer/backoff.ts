import { InformerError } from './errors.ts';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: each delay is drawn from [d·(1−jitter), d], so it never exceeds maxMs. */
  jitter: number;
  /** A retry that came this long after the previous one means things were healthy: start over. */
  resetAfterMs: number;
}

/** client-go's reflector values: 800 ms doubling to 30 s, reset after 2 min without trouble. */
export function defaultBackoffOptions(): BackoffOptions {
  return { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 0.5, resetAfterMs: 120_000 };
}

/** Exponential backoff with jitter and a cap, reset after a healthy period. */
export class Backoff {
  readonly #opts: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;
  #lastAt: number | undefined;

  constructor(opts: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    const o = { ...defaultBackoffOptions(), ...opts };
    const valid = o.initialMs > 0 && o.maxMs >= o.initialMs && o.factor >= 1 && o.jitter >= 0 && o.jitter <= 1;
    if (!valid) throw new InformerError('InvalidOptions', `invalid backoff ${JSON.stringify(o)}`);
    this.#opts = o;
    this.#random = random;
  }

  /** The delay before the next retry, given the time now. */
  next(now: number): number {
    if (this.#lastAt !== undefined && now - this.#lastAt >= this.#opts.resetAfterMs) this.#attempt = 0;
    const { initialMs, maxMs, factor, jitter } = this.#opts;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    if (base < maxMs) this.#attempt++;
    const ms = Math.round(base * (1 - jitter * this.#random()));
    this.#lastAt = now + ms;
    return ms;
  }

  reset(): void {
    this.#attempt = 0;
    this.#lastAt = undefined;
  }
}
