// Flux's reconcile-duration histogram (fluxcd/pkg runtime/metrics), created on a registry the
// caller owns: prom-client's default registry is module-global and is not used here.
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export const reconcileDurationMetricName = 'gotk_reconcile_duration_seconds';

/** Flux's buckets: prometheus.ExponentialBuckets(10e-3, 10, 6), i.e. 10 ms to 1000 s. */
export const reconcileDurationBuckets: readonly number[] = [0.01, 0.1, 1, 10, 100, 1000];

export type ReconcileDurationLabels = 'kind' | 'name' | 'namespace';

/** The histogram on `registry`; the same instance when called again for that registry. */
export function reconcileDurationHistogram(registry: Registry): Histogram<ReconcileDurationLabels> {
  const existing = registry.getSingleMetric(reconcileDurationMetricName);
  if (existing instanceof Histogram) return existing;
  return new Histogram({
    name: reconcileDurationMetricName,
    help: 'The duration in seconds of a GitOps Toolkit resource reconciliation.',
    labelNames: ['kind', 'name', 'namespace'],
    buckets: [...reconcileDurationBuckets],
    registers: [registry],
  });
}
