import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { test } from 'node:test';
import { LazyTempDir } from './scratch-dir.ts';

void test('the scratch dir is made on first use only, once, and removed only if made', async () => {
  await new LazyTempDir('eddy-scratch-test-').remove(); // never asked for: nothing to do
  const scratch = new LazyTempDir('eddy-scratch-test-');
  const [a, b] = await Promise.all([scratch.get(), scratch.get()]);
  assert.equal(a, b);
  assert.ok((await stat(a)).isDirectory());
  await scratch.remove();
  await assert.rejects(stat(a), { code: 'ENOENT' });
});
