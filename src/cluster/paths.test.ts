import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterDir, eddyHome, validateClusterName } from './paths.ts';

describe('paths', () => {
  it('defaults EDDY_HOME to ~/.eddy and honours the variable', () => {
    assert.match(eddyHome({}), /\.eddy$/);
    assert.equal(eddyHome({ EDDY_HOME: '/x' }), '/x');
    assert.equal(clusterDir('/x', 'a'), '/x/clusters/a');
  });

  it('accepts DNS-label-like names and refuses others', () => {
    for (const ok of ['default', 'a', 'test-2', 'x'.repeat(40)]) assert.equal(validateClusterName(ok), ok);
    for (const bad of ['', 'A', '-a', 'a-', '../etc', 'a/b', 'x'.repeat(41)]) assert.throws(() => validateClusterName(bad));
  });
});
