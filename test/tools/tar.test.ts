import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { run } from './exec.ts';
import { createTarGz } from './tar.ts';
import { makeTempDir } from './tmp.ts';

void test('GNU tar reads what createTarGz writes, long names and symlinks included', async () => {
  const tmp = await makeTempDir();
  after(() => tmp.remove());
  const long = `${'d'.repeat(120)}/${'e'.repeat(90)}/${'f'.repeat(99)}.yaml`;
  const archive = createTarGz([
    { path: 'dir', type: 'dir' },
    { path: 'dir/a.txt', content: 'alpha\n' },
    { path: 'run.sh', content: '#!/bin/sh\n', mode: 0o755 },
    { path: long, content: 'long\n' },
    { path: 'link', type: 'symlink', linkTarget: 'dir/a.txt' },
  ]);
  assert.deepEqual(archive, createTarGz([
    { path: 'dir', type: 'dir' },
    { path: 'dir/a.txt', content: 'alpha\n' },
    { path: 'run.sh', content: '#!/bin/sh\n', mode: 0o755 },
    { path: long, content: 'long\n' },
    { path: 'link', type: 'symlink', linkTarget: 'dir/a.txt' },
  ]), 'deterministic');
  const file = path.join(tmp.path, 'a.tgz');
  await fs.writeFile(file, archive);
  const out = path.join(tmp.path, 'out');
  await fs.mkdir(out);
  await run('tar', ['-xzf', file, '-C', out]);
  assert.equal(await fs.readFile(path.join(out, 'dir/a.txt'), 'utf8'), 'alpha\n');
  assert.equal(await fs.readFile(path.join(out, long), 'utf8'), 'long\n');
  assert.equal((await fs.stat(path.join(out, 'run.sh'))).mode & 0o777, 0o755);
  assert.equal(await fs.readlink(path.join(out, 'link')), 'dir/a.txt');
});
