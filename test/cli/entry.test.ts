// bin/entry.mjs: the compiled CLI only while it matches the TypeScript sources exactly.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error plain JS launcher module without type declarations
import { cliEntry, sourceDigest } from '../../bin/entry.mjs';

type Entry = (src?: string, lib?: string) => string;
type Digest = (src?: string) => string;

describe('bin/entry.mjs', () => {
  it('loads lib/ while its stamp matches src/, the TypeScript otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eddy-entry-'));
    try {
      const [src, lib] = [join(dir, 'src'), join(dir, 'lib')];
      await mkdir(join(src, 'cli'), { recursive: true });
      await writeFile(join(src, 'cli', 'main.ts'), 'export const a = 1;\n');
      await writeFile(join(src, 'cli', 'main.test.ts'), 'tests do not count\n');
      const entry = cliEntry as Entry;
      assert.equal(entry(src, lib), join(src, 'cli', 'main.ts'), 'never compiled');
      await mkdir(lib);
      await writeFile(join(lib, '.source-sha256'), `${(sourceDigest as Digest)(src)}\n`);
      assert.equal(entry(src, lib), join(lib, 'cli', 'main.js'), 'compiled from these sources');
      await writeFile(join(src, 'cli', 'main.test.ts'), 'a test changed\n');
      assert.equal(entry(src, lib), join(lib, 'cli', 'main.js'), 'tests are not compiled');
      await writeFile(join(src, 'cli', 'main.ts'), 'export const a = 2;\n');
      assert.equal(entry(src, lib), join(src, 'cli', 'main.ts'), 'a source changed since');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
