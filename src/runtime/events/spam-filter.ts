// A token bucket per key (client-go's EventSourceObjectSpamFilter): an object that keeps
// producing events gets `burst` of them, then one per refill interval, so a hot loop cannot
// flood the API server with Events.

export interface TokenBucketOptions {
  /** Events allowed at once. client-go: 25. */
  burst: number;
  /** Tokens regained per second. client-go: 1/300 (one every five minutes). */
  refillPerSecond: number;
  /** Buckets kept; the least recently used go first. Default 4096. */
  maxKeys?: number;
}

export const defaultSpamFilter: TokenBucketOptions = { burst: 25, refillPerSecond: 1 / 300 };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketFilter {
  readonly #opts: Required<TokenBucketOptions>;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: TokenBucketOptions = defaultSpamFilter) {
    this.#opts = { maxKeys: 4096, ...opts };
  }

  /** Takes a token for `key` at `nowMs`; false when the bucket is empty (drop the event). */
  allow(key: string, nowMs: number): boolean {
    const { burst, refillPerSecond, maxKeys } = this.#opts;
    const prev = this.#buckets.get(key);
    const elapsed = prev ? Math.max(0, nowMs - prev.at) / 1000 : 0;
    const tokens = prev ? Math.min(burst, prev.tokens + elapsed * refillPerSecond) : burst;
    // Re-insert so Map order is least-recently-used first.
    this.#buckets.delete(key);
    const ok = tokens >= 1;
    this.#buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: nowMs });
    if (this.#buckets.size > maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
    return ok;
  }
}
