import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../kube/types.ts';
import { anyInMetadata, hasDrifted, jsonEqual } from './normalize.ts';

const live: KubeObject = {
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: {
    name: 'c', namespace: 'n', uid: 'u1', resourceVersion: '10', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z',
    labels: { a: '1' }, managedFields: [{ manager: 'x' }],
  },
  data: { k: 'v', j: 'w' },
};

describe('hasDrifted', () => {
  it('ignores server-written metadata, status and key order', () => {
    const dry: KubeObject = {
      kind: 'ConfigMap', apiVersion: 'v1', data: { j: 'w', k: 'v' },
      metadata: { name: 'c', namespace: 'n', uid: 'u1', resourceVersion: '11', generation: 2, labels: { a: '1' }, annotations: {}, managedFields: [{ manager: 'y' }] },
      status: { anything: true },
    };
    assert.equal(hasDrifted(live, dry), false);
  });
  it('sees changed data, labels, annotations and a missing live object', () => {
    const base = structuredClone(live);
    assert.equal(hasDrifted(live, { ...base, data: { k: 'v2', j: 'w' } }), true);
    assert.equal(hasDrifted(live, { ...base, metadata: { ...base.metadata, labels: { a: '2' } } }), true);
    assert.equal(hasDrifted(live, { ...base, metadata: { ...base.metadata, annotations: { x: 'y' } } }), true);
    assert.equal(hasDrifted(undefined, base), true);
    // A dry-run create has no resourceVersion.
    assert.equal(hasDrifted(live, { ...base, metadata: { ...base.metadata, resourceVersion: '' } }), true);
  });
});

describe('jsonEqual', () => {
  it('compares structurally', () => {
    assert.ok(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!jsonEqual(null, {}));
  });
});

describe('anyInMetadata', () => {
  it('matches labels or annotations case-insensitively', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'X', metadata: { labels: { l: 'Enabled' }, annotations: { 'a/ssa': 'merge' } } };
    assert.ok(anyInMetadata(obj, { l: 'enabled' }));
    assert.ok(anyInMetadata(obj, { 'a/ssa': 'Merge' }));
    assert.ok(!anyInMetadata(obj, { 'a/ssa': 'Ignore' }));
    assert.ok(!anyInMetadata(undefined, { l: 'enabled' }));
  });
});
