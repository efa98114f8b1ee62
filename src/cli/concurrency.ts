import { components } from '../controllers/components.ts';

export interface Concurrency {
  /** For every controller not named. */
  all: number;
  of(component: string): number;
}

/**
 * `--concurrent`: `N` for every controller, `name=N` for one component's (Flux runs each in a
 * process of its own, so each has its own flag). Without a plain `N`, 4.
 */
export function concurrencyOf(value: string): Concurrency {
  const counts = countsOf(value);
  const all = counts.get('') ?? 4;
  return { all, of: (component) => counts.get(component) ?? all };
}

function countsOf(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, n] = part.includes('=') ? part.split('=', 2) as [string, string] : ['', part];
    if (name && !components.some((c) => c.name === name)) throw new Error(`--concurrent: unknown component ${name} (available: ${components.map((c) => c.name).join(', ')})`);
    const count = Number(n);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--concurrent must be an integer ≥ 1, got ${n}`);
    out.set(name, count);
  }
  return out;
}
