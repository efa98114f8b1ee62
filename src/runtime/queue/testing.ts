import type { Registry } from 'prom-client';

// Helpers for testing controllers built on this package (and for its own tests).

/** The value of one series read back from the registry; histogram series by their `_sum`/`_count`/`_bucket` name. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const base = name.replace(/_(sum|count|bucket)$/, '');
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const match = values.find(
    (v: { metricName?: string; labels: Record<string, string | number | undefined> }) =>
      (v.metricName ?? name) === name && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return match?.value;
}

/** A promise with its resolve exposed, for reconcilers a test releases step by step. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  const { promise, resolve } = Promise.withResolvers<T>();
  return { promise, resolve };
}
