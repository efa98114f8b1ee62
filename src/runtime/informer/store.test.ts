import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { InformerError } from './errors.ts';
import { Store } from './store.ts';

function cm(ns: string, name: string, labels: Record<string, string> = {}, rv = '1'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name, labels, resourceVersion: rv } };
}

const byApp = (o: KubeObject) => (o.metadata.labels?.['app'] ? [o.metadata.labels['app']] : []);
const byNamespace = (o: KubeObject) => [o.metadata.namespace ?? ''];
const sortedKeys = (objs: KubeObject[]) => objs.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();

describe('Store', () => {
  it('keys objects by namespace/name and by name when cluster-scoped', () => {
    const s = new Store<KubeObject>();
    s.upsert(cm('a', 'x'));
    s.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    assert.deepEqual(s.keys().sort(), ['a', 'a/x']);
    assert.equal(s.get('a/x')?.metadata.name, 'x');
    assert.equal(s.size, 2);
    assert.equal(s.delete('a/x')?.metadata.name, 'x');
    assert.equal(s.delete('a/x'), undefined);
    assert.deepEqual(s.list().map((o) => o.kind), ['Namespace']);
  });

  it('keeps indexes right through upsert, delete and replace', () => {
    const s = new Store<KubeObject>({ indexers: { app: byApp, ns: byNamespace } });
    s.upsert(cm('a', 'x', { app: 'web' }));
    s.upsert(cm('a', 'y', { app: 'web' }));
    s.upsert(cm('b', 'z', { app: 'db' }));
    assert.deepEqual(sortedKeys(s.byIndex('app', 'web')), ['a/x', 'a/y']);
    s.upsert(cm('a', 'x', { app: 'db' }, '2')); // relabelled: moves between index values
    assert.deepEqual(sortedKeys(s.byIndex('app', 'web')), ['a/y']);
    assert.deepEqual(sortedKeys(s.byIndex('app', 'db')), ['a/x', 'b/z']);
    s.delete('a/y');
    assert.deepEqual(s.byIndex('app', 'web'), []);
    assert.deepEqual(s.indexValues('app').sort(), ['db']);

    const r = s.replace([cm('b', 'z', { app: 'db' }, '3'), cm('c', 'w', { app: 'web' })]);
    assert.deepEqual(sortedKeys(r.added), ['c/w']);
    assert.deepEqual(r.kept.map((k) => [k.old.metadata.resourceVersion, k.new.metadata.resourceVersion]), [['1', '3']]);
    assert.deepEqual(sortedKeys(r.deleted), ['a/x']);
    assert.deepEqual(sortedKeys(s.byIndex('app', 'db')), ['b/z']);
    assert.deepEqual(sortedKeys(s.byIndex('app', 'web')), ['c/w']);
    assert.deepEqual(s.byIndex('ns', 'a'), []);
    assert.deepEqual(s.indexValues('ns').sort(), ['b', 'c']);
  });

  it('files an object under many values, once each', () => {
    const s = new Store<KubeObject>({ indexers: { labels: (o) => Object.values(o.metadata.labels ?? {}) } });
    s.upsert(cm('a', 'x', { one: 'v', two: 'v', three: 'w' }));
    assert.deepEqual(s.indexKeys('labels', 'v'), ['a/x']);
    assert.deepEqual(s.indexKeys('labels', 'w'), ['a/x']);
  });

  it('indexes existing objects when an indexer is added later, and refuses duplicates', () => {
    const s = new Store<KubeObject>();
    s.upsert(cm('a', 'x', { app: 'web' }));
    s.addIndexers({ app: byApp });
    assert.deepEqual(sortedKeys(s.byIndex('app', 'web')), ['a/x']);
    assert.throws(() => s.addIndexers({ app: byApp }), (e) => e instanceof InformerError && e.reason === 'DuplicateIndex');
  });

  it('refuses unknown indexes and leaves the store untouched when an index function throws', () => {
    const s = new Store<KubeObject>({
      indexers: {
        picky: (o) => {
          if (o.metadata.name === 'bad') throw new Error('no');
          return ['ok'];
        },
      },
    });
    assert.throws(() => s.byIndex('nope', 'x'), (e) => e instanceof InformerError && e.reason === 'UnknownIndex');
    s.upsert(cm('a', 'x'));
    assert.throws(() => s.upsert(cm('a', 'bad')), (e) => e instanceof InformerError && e.reason === 'IndexFuncFailed');
    assert.throws(() => s.replace([cm('a', 'bad')]), (e) => e instanceof InformerError && e.reason === 'IndexFuncFailed');
    assert.deepEqual(s.keys(), ['a/x']);
    assert.deepEqual(s.indexKeys('picky', 'ok'), ['a/x']);
  });
});
