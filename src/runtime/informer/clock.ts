import { setTimeout as delay } from 'node:timers/promises';

/** Time as the informer sees it; tests inject a fake one so nothing waits for real. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (never rejecting) once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (signal.aborted) return;
    try {
      await delay(ms, undefined, { signal });
    } catch {
      // Aborted: the caller looks at its signal.
    }
  },
};
