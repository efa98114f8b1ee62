// The in-memory packaging of an OCI layer must give the artifact the disk path gives: the same
// bytes, so the same digest (a digest change would make every consumer re-apply).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createTarGz, type TarEntry } from '../../test/tools/tar.ts';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import { buildTarGz } from './build.ts';
import { extractTarGz, type ExtractLimits } from './extract.ts';
import { sourceIgnoreFilter } from './ignore.ts';
import { treeArchiveInput } from './tree-archive.ts';
import { extractTarGzToTree } from './tree.ts';

const LIMITS: ExtractLimits = { maxUntarBytes: 1 << 20, maxFiles: 1000 };

/** Nested dirs, an executable, links (inside, to a dir, chained, dangling, to the root), ignore files at two levels and one inside .git. */
const LAYER: TarEntry[] = [
  { path: '.sourceignore', content: '# docs stay out\n*.md\n!keep.md\n' },
  { path: '.git/.sourceignore', content: '*\n' },
  { path: '.git/config', content: '[core]\n' },
  { path: 'README.md', content: '# readme\n' },
  { path: 'keep.md', content: 'kept\n' },
  { path: 'logo.png', content: 'png' },
  { path: 'bin/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
  { path: 'deploy/.sourceignore', content: 'secret.yaml\n*.txt\n' },
  { path: 'deploy/app.yaml', content: 'kind: ConfigMap\n' },
  { path: 'deploy/secret.yaml', content: 'kind: Secret\n' },
  { path: 'deploy/notes.txt', content: 'notes\n' },
  { path: 'deploy/nested/deep/cm.yaml', content: 'kind: ConfigMap\n' },
  { path: 'deploy/nested/.sourceignore', type: 'symlink', linkTarget: '../.sourceignore' },
  { path: 'deploy/link-app.yaml', type: 'symlink', linkTarget: 'app.yaml' },
  { path: 'deploy-x/a.yaml', content: 'x\n' },
  { path: 'current', type: 'symlink', linkTarget: 'deploy/nested' },
  { path: 'chained', type: 'symlink', linkTarget: 'current/deep/cm.yaml' },
  { path: 'dangling', type: 'symlink', linkTarget: 'deploy/missing.yaml' },
  { path: 'self', type: 'symlink', linkTarget: '.' },
  { path: 'é.yaml', content: 'accent\n' },
  { path: 'Z.yaml', content: 'upper\n' },
];

describe('treeArchiveInput', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('eddy-tree-archive-');
  });
  after(async () => {
    await tmp.remove();
  });

  /** The artifact the disk path builds (extract, walk, read .sourceignore files) and the in-memory one. */
  async function bothWays(name: string, layer: Buffer, ignore: string | undefined): Promise<[Buffer, Buffer]> {
    const dir = path.join(tmp.path, name, 'content');
    await extractTarGz(Readable.from([layer]), dir, LIMITS);
    const onDisk = await buildTarGz({ dir }, path.join(tmp.path, name, 'disk.tar.gz'), { filter: await sourceIgnoreFilter(dir, { ignore }) });
    const { tree } = await extractTarGzToTree(Readable.from([layer]), LIMITS);
    const { source, filter } = await treeArchiveInput(tree, { ignore });
    const inMemory = await buildTarGz(source, path.join(tmp.path, name, 'memory.tar.gz'), { filter });
    assert.equal(inMemory.digest, onDisk.digest);
    return [await fs.readFile(onDisk.path), await fs.readFile(inMemory.path)];
  }

  /** Paths (and link targets, exec bits) of an artifact, to see the rules did apply. */
  async function listing(artifact: Buffer): Promise<string[]> {
    const { tree } = await extractTarGzToTree(Readable.from([artifact]), LIMITS);
    return tree.entries().map((e) => `${e.path}${e.type === 'symlink' ? ` -> ${e.linkTarget}` : ''}${e.executable === true ? ' (x)' : ''}`);
  }

  it('gives the bytes of the disk path: .sourceignore at two levels, spec.ignore, links, modes', async () => {
    // spec.ignore has the last word over the deeper .sourceignore.
    const [disk, memory] = await bothWays('rules', createTarGz(LAYER), '/bin/extra\n!deploy/secret.yaml\n');
    assert.deepEqual(memory, disk);
    assert.deepEqual(await listing(memory), [
      '.sourceignore', 'Z.yaml', 'bin', 'bin/run.sh (x)', 'chained -> current/deep/cm.yaml', 'current -> deploy/nested',
      'deploy', 'deploy/.sourceignore', 'deploy/app.yaml', 'deploy/link-app.yaml -> app.yaml', 'deploy/nested',
      'deploy/nested/.sourceignore -> ../.sourceignore', 'deploy/nested/deep', 'deploy/nested/deep/cm.yaml', 'deploy/secret.yaml',
      'deploy-x', 'deploy-x/a.yaml', 'keep.md', 'logo.png', 'self -> .', 'é.yaml',
    ]);
  });

  it('gives the bytes of the disk path with the default exclusions (no patterns at all)', async () => {
    const layer = createTarGz(LAYER.filter((e) => !e.path.endsWith('.sourceignore')));
    const [disk, memory] = await bothWays('defaults', layer, undefined);
    assert.deepEqual(memory, disk);
    assert.ok(!(await listing(memory)).includes('logo.png'), 'the default list applies');
  });
});
