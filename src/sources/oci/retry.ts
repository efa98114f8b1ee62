// Bounded retries for registry calls: 429 waits what Retry-After says (within a cap), 5xx and
// network failures back off exponentially with jitter. Anything else fails at once.
import { OciError } from './errors.ts';

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error goes back to the caller. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 30_000 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Retry-After as delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with "equal jitter": between half and all of base·2^(n-1), capped. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function isRetryable(err: unknown): err is OciError {
  return err instanceof OciError && (err.reason === 'TooManyRequests' || err.reason === 'Server' || err.reason === 'Network');
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the tries run out. */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy, sleep: Sleep, signal?: AbortSignal): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err) || n >= policy.attempts || signal?.aborted) throw err;
      const delay = err.retryAfterMs ?? backoffDelay(n, policy);
      if (delay > policy.maxRetryAfterMs) throw err;
      await sleep(delay, signal);
    }
  }
}

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new OciError('Network', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OciError('Network', 'aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
