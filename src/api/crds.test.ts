import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allCRDs } from './crds.ts';
import { DURATION_PATTERN, TIMEOUT_PATTERN } from './meta.ts';

void describe('API patterns and CRD shapes', () => {
  it('duration patterns accept Go durations Flux accepts', () => {
    const interval = new RegExp(DURATION_PATTERN);
    for (const ok of ['1m', '1m30s', '500ms', '1.5h', '10h5m']) assert.match(ok, interval);
    for (const bad of ['1d', '', '1', 'm', '-1m', '1 m']) assert.doesNotMatch(bad, interval);
    assert.doesNotMatch('1h', new RegExp(TIMEOUT_PATTERN), 'timeouts take no hours');
  });

  it('every CRD serves one storage version with a status subresource and Flux names', () => {
    const byKind = new Map(allCRDs().map((c) => [(c['spec'] as { names: { kind: string } }).names.kind, c['spec'] as {
      names: { shortNames?: string[]; categories?: string[] };
      versions: { name: string; served: boolean; storage: boolean; subresources: unknown }[];
    }]));
    assert.deepEqual([...byKind.keys()], ['Bucket', 'ExternalArtifact', 'GitRepository', 'OCIRepository', 'Kustomization']);
    assert.deepEqual(byKind.get('Kustomization')?.names.shortNames, ['ks']);
    assert.deepEqual(byKind.get('GitRepository')?.names.shortNames, ['gitrepo']);
    assert.deepEqual(byKind.get('OCIRepository')?.names.shortNames, ['ocirepo']);
    assert.equal(byKind.get('Bucket')?.names.shortNames, undefined);
    for (const [kind, spec] of byKind) {
      if (kind !== 'Kustomization') assert.deepEqual(spec.names.categories, ['all', 'fluxcd', 'fluxcd-sources']);
      assert.deepEqual(spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources]), [['v1', true, true, { status: {} }]]);
    }
  });
});
