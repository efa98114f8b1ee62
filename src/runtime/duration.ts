/** Go's time.Duration syntax as Flux's CRDs validate it (`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`), plus us/ns as Go's flags accept. */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y;

export class DurationError extends Error {
  readonly input: string;
  constructor(input: string) {
    super(`invalid duration ${JSON.stringify(input)}: use Go syntax such as 750ms, 30s, 5m, 1h30m`);
    this.name = 'DurationError';
    this.input = input;
  }
}

/** Parses `1h30m`, `750ms`, `0` into milliseconds. */
export function parseDuration(input: string): number {
  const s = input.trim();
  if (s === '0') return 0;
  if (s === '') throw new DurationError(input);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) throw new DurationError(input);
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
  }
  return total;
}

/** Formats milliseconds the way Go prints durations (`1h30m0s`, `750ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
