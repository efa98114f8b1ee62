// Every corpus case (and the podinfo overlay) built by the engine must print exactly what
// `kubectl kustomize` 1.35 prints.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { after, before, describe, it } from 'node:test';
import { EnginePool } from '../../src/engines/index.ts';
import { CORPUS, engineBinary, inlineTreeOf, kubectlKustomize, PODINFO } from './helpers.ts';

const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('kustomize.build fidelity with kubectl kustomize', () => {
  let pool: EnginePool;
  before(async () => {
    pool = new EnginePool({ binary: await engineBinary(), size: 2 });
  });
  after(() => pool.close());

  it('has the corpus cases the brief lists', () => {
    for (const c of ['components', 'crd-openapi', 'generators', 'large', 'overlays', 'replacements']) assert.ok(cases.includes(c), c);
  });

  for (const name of cases) {
    it(`builds corpus/${name} byte-for-byte like kubectl`, async () => {
      const dir = join(CORPUS, name);
      const [ours, theirs] = await Promise.all([pool.kustomizeBuild({ root: dir, path: '.' }), kubectlKustomize(dir)]);
      assert.ok(theirs.length > 0);
      assert.equal(ours, theirs);
    });
  }

  for (const name of [...cases, 'podinfo']) {
    it(`returns corpus/${name} as objects equal to kubectl's YAML, in the same order`, async () => {
      const dir = name === 'podinfo' ? PODINFO : join(CORPUS, name);
      const [objects, theirs] = await Promise.all([pool.kustomizeBuildObjects({ root: dir, path: '.' }), kubectlKustomize(dir)]);
      const parsed = parseAllDocuments(theirs);
      assert.deepEqual(objects, (Array.isArray(parsed) ? parsed : [parsed]).map((d) => d.toJS() as unknown));
    });
  }

  it('builds every corpus case sent inline (a tree extracted in memory) the same as from its directory', async () => {
    for (const name of cases) {
      const dir = join(CORPUS, name);
      assert.equal(await pool.kustomizeBuild({ tree: await inlineTreeOf(dir), path: '.' }), await pool.kustomizeBuild({ root: dir, path: '.' }), name);
    }
    assert.deepEqual(await pool.kustomizeBuildObjects({ tree: await inlineTreeOf(CORPUS), path: 'overlays' }), await pool.kustomizeBuildObjects({ root: CORPUS, path: 'overlays' }));
  });

  it('builds the podinfo overlay byte-for-byte like kubectl', async () => {
    const [ours, theirs] = await Promise.all([pool.kustomizeBuild({ root: PODINFO, path: '.' }), kubectlKustomize(PODINFO)]);
    assert.equal(ours, theirs);
  });

  it('builds a path below the root the same as the directory itself', async () => {
    const nested = await pool.kustomizeBuild({ root: CORPUS, path: 'overlays' });
    assert.equal(nested, await kubectlKustomize(join(CORPUS, 'overlays')));
  });

  it('builds in parallel on both processes with the same results', async () => {
    const dir = join(CORPUS, 'generators');
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.kustomizeBuild({ root: dir, path: '.' })));
    assert.equal(new Set(results).size, 1);
    assert.equal(pool.processIds().length, 2);
  });
});
