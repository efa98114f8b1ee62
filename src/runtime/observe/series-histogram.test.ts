import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram.ts';

const opts = { name: 'gotk_reconcile_duration_seconds', help: 'The duration.', labelNames: ['kind', 'name', 'namespace'] as const, buckets: [0.01, 0.1, 1, 10, 100, 1000] };

describe('SeriesHistogram', () => {
  it('prints exactly what prom-client\'s Histogram prints for the same observations', async () => {
    const [ours, theirs] = [new Registry(), new Registry()];
    const h = new SeriesHistogram({ ...opts, registry: ours });
    const p = new Histogram({ ...opts, labelNames: [...opts.labelNames], registers: [theirs] });
    const observations: [Record<'kind' | 'name' | 'namespace', string>, number][] = [
      [{ kind: 'Kustomization', name: 'a', namespace: 'x' }, 0.5],
      [{ kind: 'Kustomization', name: 'a', namespace: 'x' }, 0.01],
      [{ kind: 'Kustomization', name: 'b', namespace: 'x' }, 5000],
      [{ kind: 'GitRepository', name: 'a', namespace: 'y"\\' }, 12.25],
    ];
    for (const [labels, v] of observations) {
      h.observe(labels, v);
      p.observe(labels, v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    h.remove({ kind: 'Kustomization', name: 'b', namespace: 'x' });
    p.remove({ kind: 'Kustomization', name: 'b', namespace: 'x' });
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('refuses values that are not finite numbers', () => {
    const h = new SeriesHistogram(opts);
    assert.throws(() => h.observe({ kind: 'k', name: 'n', namespace: 'ns' }, Number.NaN), TypeError);
  });
});
