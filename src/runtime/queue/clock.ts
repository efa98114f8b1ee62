/** Cancels a scheduled callback; calling it twice, or after it ran, is harmless. */
export type Cancel = () => void;

/**
 * Time as the runtime sees it. Injected everywhere so tests drive time instead
 * of sleeping (see FakeClock).
 */
export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  schedule(ms: number, fn: () => void): Cancel;
}

/** The process clock: monotonic `performance.now()` and real timers. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  schedule(ms: number, fn: () => void): Cancel {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
});
