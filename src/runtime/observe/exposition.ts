// The /metrics text in chunks. Metrics that print themselves (SeriesHistogram) skip prom-client's
// per-line value and label objects; the rest is prom-client's own text, joined as its
// registry.metrics() joins it.
import { Registry, type RegistryContentType } from 'prom-client';

interface SelfPrinting {
  name: string;
  exposition(): string[];
}

const selfPrinting = (m: unknown): m is SelfPrinting => typeof (m as Partial<SelfPrinting>).exposition === 'function';

export async function metricsText(registry: Registry<RegistryContentType>): Promise<string[]> {
  if (registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE) return [await registry.metrics()];
  const blocks = await Promise.all(registry.getMetricsAsArray().map(async (m) => (selfPrinting(m) ? m.exposition() : [await registry.getSingleMetricAsString(m.name)])));
  const out: string[] = [];
  blocks.forEach((block, i) => {
    if (i > 0) out.push('\n\n');
    out.push(...block);
  });
  out.push('\n');
  return out;
}
