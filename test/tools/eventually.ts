// Polls until a condition holds: for state that other processes change (the API server,
// controllers, child processes). Throws naming what was awaited.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the first value `fn` returns that is neither undefined nor false; a throw
 * counts as "not yet".
 */
export async function eventually<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
