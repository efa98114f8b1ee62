import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localReplacements, requiredVersion } from './flux-binaries.ts';

const gomod = `module github.com/fluxcd/kustomize-controller

go 1.26.0

replace github.com/fluxcd/kustomize-controller/api => ./api

replace github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be

require (
	github.com/fluxcd/kustomize-controller/api v1.9.4
	github.com/fluxcd/source-controller/api v1.9.0 // indirect
)

replace (
	sigs.k8s.io/kustomize/api => sigs.k8s.io/kustomize/api v0.21.1
	example.com/local v1.0.0 => ../local
)
`;

describe('go.mod parsing for Flux module builds', () => {
  it('finds only replacements by a local directory', () => {
    assert.deepEqual(localReplacements(gomod), [
      { module: 'github.com/fluxcd/kustomize-controller/api', dir: './api' },
      { module: 'example.com/local', dir: '../local' },
    ]);
  });

  it('reads required versions, not replacement versions', () => {
    assert.equal(requiredVersion(gomod, 'github.com/fluxcd/kustomize-controller/api'), 'v1.9.4');
    assert.equal(requiredVersion(gomod, 'github.com/fluxcd/source-controller/api'), 'v1.9.0');
    assert.equal(requiredVersion(gomod, 'sigs.k8s.io/kustomize/api'), undefined);
    assert.equal(requiredVersion(gomod, 'github.com/fluxcd/kustomize-controller'), undefined);
  });
});
