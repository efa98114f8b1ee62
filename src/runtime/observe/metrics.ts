// Flux's reconcile-duration histogram (fluxcd/pkg runtime/metrics), created on a registry the
// caller owns: prom-client's default registry is module-global and is not used here.
import type { Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram.ts';

export const reconcileDurationMetricName = 'gotk_reconcile_duration_seconds';

/** Flux's buckets: prometheus.ExponentialBuckets(10e-3, 10, 6), i.e. 10 ms to 1000 s. */
export const reconcileDurationBuckets: readonly number[] = [0.01, 0.1, 1, 10, 100, 1000];

export type ReconcileDurationLabels = 'kind' | 'name' | 'namespace';

export type ReconcileDurationHistogram = SeriesHistogram<ReconcileDurationLabels>;

/** The histogram on `registry`; the same instance when called again for that registry. */
export function reconcileDurationHistogram(registry: Registry): ReconcileDurationHistogram {
  const existing: unknown = registry.getSingleMetric(reconcileDurationMetricName);
  if (existing instanceof SeriesHistogram) return existing as ReconcileDurationHistogram;
  // One series per reconciled object: a compact histogram (series-histogram.ts).
  return new SeriesHistogram({
    name: reconcileDurationMetricName,
    help: 'The duration in seconds of a GitOps Toolkit resource reconciliation.',
    labelNames: ['kind', 'name', 'namespace'],
    buckets: reconcileDurationBuckets,
    registry,
  });
}
