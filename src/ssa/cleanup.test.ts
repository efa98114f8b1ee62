import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../kube/types.ts';
import { cleanupPatch, mergeFieldSets, transferFieldManagers } from './cleanup.ts';

const managers = [
  { name: 'kubectl', operation: 'Update' as const },
  { name: 'kubectl', operation: 'Apply' as const },
  { name: 'before-first-apply', operation: 'Update' as const },
];

describe('cleanupPatch', () => {
  it('removes annotations and labels and hands kubectl fields to our manager', () => {
    const existing: KubeObject = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: {
        name: 'c', resourceVersion: '7',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'x' },
        labels: { 'fluxcd.io/sync-gc-mark': 'y', app: 'a' },
        managedFields: [
          { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:extra': {} } } } },
          { manager: 'eddy', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } } },
          { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } },
          { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } },
        ],
      },
    };
    const ops = cleanupPatch(existing, { annotations: ['kubectl.kubernetes.io/last-applied-configuration', 'absent'], labels: ['fluxcd.io/sync-gc-mark'], fieldManagers: managers }, 'eddy');
    assert.deepEqual(ops.slice(0, 3), [
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
      { op: 'remove', path: '/metadata/labels/fluxcd.io~1sync-gc-mark' },
    ]);
    const replace = ops[3];
    assert.ok(replace && replace.op === 'replace');
    const entries = replace.value as { manager: string; operation: string; fieldsV1: unknown; subresource?: string }[];
    assert.deepEqual(entries.map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`), [
      'eddy/Apply', 'kube-controller-manager/Update', 'kubectl-edit/Update/status',
    ]);
    assert.deepEqual(entries[0]?.fieldsV1, { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:extra': {} } } });
  });

  it('is empty for a clean object', () => {
    const clean: KubeObject = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'c', managedFields: [{ manager: 'eddy', operation: 'Apply', fieldsV1: {} }] },
    };
    assert.deepEqual(cleanupPatch(clean, { annotations: ['kubectl.kubernetes.io/last-applied-configuration'], labels: [], fieldManagers: managers }, 'eddy'), []);
  });
});

describe('transferFieldManagers', () => {
  it('creates our Apply entry when there is none yet', () => {
    const out = transferFieldManagers([{ manager: 'before-first-apply', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:a': {} } }], managers, 'eddy');
    assert.deepEqual(out, [{ manager: 'eddy', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:a': {} } }]);
  });
  it('does not take Apply entries when only Update is listed', () => {
    assert.equal(transferFieldManagers([{ manager: 'kubectl', operation: 'Apply', fieldsV1: {} }], [{ name: 'kubectl', operation: 'Update' }], 'eddy'), undefined);
  });
  it('merges tries', () => {
    assert.deepEqual(mergeFieldSets({ '.': {}, 'f:x': { 'f:y': {} } }, { 'f:x': { 'f:z': {} }, 'f:w': {} }), { '.': {}, 'f:x': { 'f:y': {}, 'f:z': {} }, 'f:w': {} });
  });
});
