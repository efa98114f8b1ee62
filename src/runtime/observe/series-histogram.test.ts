import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { metricsText } from './exposition.ts';
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
    const same = async () => {
      const expected = await theirs.metrics();
      assert.equal(await ours.metrics(), expected, 'through the registry');
      assert.equal((await metricsText(ours)).join(''), expected, 'printed by itself');
    };
    await same();
    h.remove({ kind: 'Kustomization', name: 'b', namespace: 'x' });
    p.remove({ kind: 'Kustomization', name: 'b', namespace: 'x' });
    await same();
  });

  it('prints itself like prom-client beside other metrics, without labels, and across chunks', async () => {
    const [ours, theirs] = [new Registry(), new Registry()];
    for (const r of [ours, theirs]) new Counter({ name: 'first_total', help: 'before', registers: [r] }).inc(2);
    const bare = { name: 'bare_seconds', help: 'No labels.\nTwo lines', labelNames: [] as const, buckets: [1, 2.5] };
    const h = new SeriesHistogram({ ...bare, registry: ours });
    const p = new Histogram({ ...bare, labelNames: [], registers: [theirs] });
    const many = new SeriesHistogram({ ...opts, name: 'many_seconds', registry: ours });
    const pm = new Histogram({ ...opts, name: 'many_seconds', labelNames: [...opts.labelNames], registers: [theirs] });
    for (const r of [ours, theirs]) new Counter({ name: 'last_total', help: 'after', registers: [r] }).inc();
    h.observe({}, 2);
    p.observe(2);
    for (let i = 0; i < 2000; i++) {
      const labels = { kind: 'Kustomization', name: `app-${i}`, namespace: 'bench' };
      many.observe(labels, i / 100);
      pm.observe(labels, i / 100);
    }
    const chunks = await metricsText(ours);
    assert.ok(many.exposition().length > 1, 'more than one chunk');
    assert.equal(chunks.join(''), await theirs.metrics());
  });

  it('refuses values that are not finite numbers', () => {
    const h = new SeriesHistogram(opts);
    assert.throws(() => h.observe({ kind: 'k', name: 'n', namespace: 'ns' }, Number.NaN), TypeError);
  });
});
