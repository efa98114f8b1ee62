import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { addFinalizer, FluxFinalizer, hasFinalizer, removeFinalizer } from './finalizers.ts';

function ks(finalizers?: string[], resourceVersion: string | null = '42'): KubeObject {
  return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system', ...(resourceVersion === null ? {} : { resourceVersion }), ...(finalizers ? { finalizers } : {}) } };
}

describe('finalizers', () => {
  it('uses the Flux finalizer name by default', () => {
    assert.equal(FluxFinalizer, 'finalizers.fluxcd.io');
    assert.equal(hasFinalizer(ks(['finalizers.fluxcd.io'])), true);
    assert.equal(hasFinalizer(ks()), false);
  });

  it('adds to an object without finalizers', () => {
    const obj = ks();
    const change = addFinalizer(obj);
    assert.deepEqual(obj.metadata.finalizers, [FluxFinalizer]);
    assert.deepEqual(change?.mergePatch, { metadata: { finalizers: [FluxFinalizer], resourceVersion: '42' } });
    assert.deepEqual(change?.jsonPatch, [
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/metadata/finalizers', value: [FluxFinalizer] },
    ]);
    assert.equal(addFinalizer(obj), undefined);
  });

  it('appends to an existing list, keeping the others', () => {
    const obj = ks(['other.io/x']);
    const change = addFinalizer(obj, 'mine.io/f');
    assert.deepEqual(change?.finalizers, ['other.io/x', 'mine.io/f']);
    assert.deepEqual(change?.jsonPatch.at(-1), { op: 'add', path: '/metadata/finalizers/-', value: 'mine.io/f' });
  });

  it('removes every occurrence, deleting the list when it empties', () => {
    const obj = ks([FluxFinalizer, 'other.io/x', FluxFinalizer]);
    const change = removeFinalizer(obj);
    assert.deepEqual(obj.metadata.finalizers, ['other.io/x']);
    assert.deepEqual(change?.jsonPatch.slice(1), [
      { op: 'remove', path: '/metadata/finalizers/2' },
      { op: 'remove', path: '/metadata/finalizers/0' },
    ]);
    const last = removeFinalizer(ks([FluxFinalizer], null));
    assert.deepEqual(last?.mergePatch, { metadata: { finalizers: null } });
    assert.deepEqual(last?.jsonPatch, [{ op: 'remove', path: '/metadata/finalizers/0' }]);
    assert.equal(removeFinalizer(ks()), undefined);
  });
});
