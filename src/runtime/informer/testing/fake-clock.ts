import type { Clock } from '../clock.ts';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Virtual time: `sleep` only returns when a test advances the clock (or the signal aborts),
 * so backoffs and timeouts of minutes run in microseconds and in the same order every run.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();
  /** Every duration passed to sleep, in order. */
  readonly sleeps: number[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fire: () => done() };
      const done = () => {
        this.#timers.delete(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#timers.add(timer);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time to the earliest timer and fires every timer due then; false if none is pending. */
  advanceToNext(): boolean {
    const due = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
    const first = due[0];
    if (!first) return false;
    this.#now = Math.max(this.#now, first.at);
    for (const t of due) if (t.at <= this.#now) t.fire();
    return true;
  }

  /** Moves time forward by `ms`, firing timers in order as their time comes. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await tick();
      const next = Math.min(...[...this.#timers].map((t) => t.at));
      if (!(next <= end)) break;
      this.advanceToNext();
    }
    this.#now = end;
    await tick();
  }
}

/** Lets every pending promise chain run: nothing in these tests waits on real I/O or timers. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the system until `cond` holds, moving virtual time to the next timer whenever
 * everything is idle. Fails loudly instead of spinning if the condition never comes.
 */
export async function runUntil(
  clock: FakeClock,
  cond: () => boolean,
  opts: { maxVirtualMs?: number; what?: string } = {},
): Promise<void> {
  const limit = clock.now() + (opts.maxVirtualMs ?? 3_600_000);
  for (let step = 0; step < 100_000; step++) {
    await tick();
    if (cond()) return;
    if (clock.now() > limit || !clock.advanceToNext()) break;
  }
  throw new Error(`runUntil: ${opts.what ?? 'condition'} never held (virtual time ${clock.now()})`);
}
