import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import { buildTarGz, collectEntries } from './build.ts';
import { sourceIgnoreFilter } from './ignore.ts';

interface Listed {
  name: string;
  type: string;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  linkname: string | null;
}

async function list(file: string): Promise<Listed[]> {
  const extract = tar.extract();
  const out: Listed[] = [];
  createReadStream(file).pipe(createGunzip()).pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    out.push({ name: h.name, type: h.type, mode: h.mode, mtime: h.mtime.getTime(), uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, linkname: h.linkname });
    entry.resume();
  }
  return out;
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
}

describe('buildTarGz', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('eddy-build-');
  });
  after(async () => {
    await tmp.remove();
  });

  it('is byte-identical across builds, mtimes and permission noise', async () => {
    const src = path.join(tmp.path, 'det');
    await writeTree(src, { 'b.yaml': 'b: 1\n', 'a/x.yaml': 'x: 1\n', 'a-b/y.yaml': 'y\n', 'bin/run.sh': '#!/bin/sh\n' });
    await fs.chmod(path.join(src, 'bin/run.sh'), 0o700);
    const one = await buildTarGz({ dir: src }, path.join(tmp.path, 'one.tgz'));
    const two = await buildTarGz({ dir: src }, path.join(tmp.path, 'two.tgz'));
    assert.deepEqual(await fs.readFile(one.path), await fs.readFile(two.path));
    assert.equal(one.digest, two.digest);
    assert.match(one.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(one.size, (await fs.stat(one.path)).size);

    // Different mtimes, group/other bits and an executable bit spelled differently: same bytes.
    const past = new Date('2001-02-03T04:05:06Z');
    for (const rel of ['b.yaml', 'a/x.yaml', 'a', 'bin/run.sh']) await fs.utimes(path.join(src, rel), past, past);
    await fs.chmod(path.join(src, 'b.yaml'), 0o600);
    await fs.chmod(path.join(src, 'bin/run.sh'), 0o751);
    await fs.chmod(path.join(src, 'a'), 0o700);
    const three = await buildTarGz({ dir: src }, path.join(tmp.path, 'three.tgz'));
    assert.equal(three.digest, one.digest);

    // The same tree given as entries gives the same archive.
    const entries = await buildTarGz(
      {
        entries: [
          { path: 'bin/run.sh', content: '#!/bin/sh\n', executable: true },
          { path: 'b.yaml', content: 'b: 1\n' },
          { path: 'a-b/y.yaml', content: 'y\n' },
          { path: 'a/x.yaml', content: 'x: 1\n' },
        ],
      },
      path.join(tmp.path, 'entries.tgz'),
    );
    assert.equal(entries.digest, one.digest);

    const changed = await writeTree(src, { 'b.yaml': 'b: 2\n' }).then(() => buildTarGz({ dir: src }, path.join(tmp.path, 'four.tgz')));
    assert.notEqual(changed.digest, one.digest);
  });

  it('writes normalised headers in walk order and a bare gzip header', async () => {
    const src = path.join(tmp.path, 'hdr');
    await writeTree(src, { 'a/x': 'x', 'a-b': 'y', 'run': 'z' });
    await fs.chmod(path.join(src, 'run'), 0o755);
    const out = await buildTarGz({ dir: src }, path.join(tmp.path, 'hdr.tgz'));
    const entries = await list(out.path);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.mode.toString(8)]),
      [
        ['a/', 'directory', '755'],
        ['a/x', 'file', '644'],
        ['a-b', 'file', '644'],
        ['run', 'file', '755'],
      ],
    );
    for (const e of entries) assert.deepEqual([e.mtime, e.uid, e.gid, e.uname, e.gname], [0, 0, 0, '', '']);
    const head = (await fs.readFile(out.path)).subarray(0, 10);
    assert.deepEqual([...head.subarray(0, 4)], [0x1f, 0x8b, 8, 0], 'deflate, no FNAME/FEXTRA/FCOMMENT');
    assert.equal(head.readUInt32LE(4), 0, 'no mtime in the gzip header');
    assert.equal(head[9], 0xff, 'OS unknown, as Go writes');
  });

  it('keeps symlinks that resolve inside the root and skips the rest', async () => {
    const src = path.join(tmp.path, 'links');
    await writeTree(src, { 'dir/file': 'f', 'top': 't' });
    await fs.symlink('../top', path.join(src, 'dir/up-inside'));
    await fs.symlink('dir', path.join(src, 'to-dir'));
    await fs.symlink('../../etc/passwd', path.join(src, 'dir/escape'));
    await fs.symlink('/etc/passwd', path.join(src, 'absolute'));
    await fs.symlink('missing', path.join(src, 'dangling'));
    await fs.symlink('.', path.join(src, 'self'));
    await fs.symlink('self/..', path.join(src, 'chained-escape'));
    const names = (await collectEntries(src)).map((e) => `${e.path}${e.type === 'symlink' ? ` -> ${e.linkTarget}` : ''}`);
    assert.deepEqual(names, ['dir', 'dir/file', 'dir/up-inside -> ../top', 'self -> .', 'to-dir -> dir', 'top']);
  });

  it('applies Flux default exclusions, .sourceignore files and spec.ignore', async () => {
    const src = path.join(tmp.path, 'ign');
    await writeTree(src, {
      '.git/config': '',
      '.jj/repo': '',
      '.gitignore': '',
      '.github/workflows/ci.yaml': '',
      'logo.png': '',
      'deploy/app.yaml': '',
      'deploy/.sops.yaml': '',
      'bundle.tar.gz': '',
    });
    const names = async (dir: string, ignore?: string) =>
      (await collectEntries(dir, await sourceIgnoreFilter(dir, { ignore }))).map((e) => e.path);
    assert.deepEqual(await names(src), ['deploy', 'deploy/app.yaml']);

    // spec.ignore replaces the default list (VCS stays excluded), as in Flux.
    assert.deepEqual(await names(src, '/deploy/\n# comment\n'), ['.github', '.github/workflows', '.github/workflows/ci.yaml', 'bundle.tar.gz', 'logo.png']);

    // A nested .sourceignore is scoped to its directory; spec.ignore has the last word.
    await writeTree(src, { 'deploy/.sourceignore': '*.yaml\n!keep.yaml\n', 'deploy/keep.yaml': '', 'other/app.yaml': '' });
    const nested = await names(src);
    assert.ok(nested.includes('deploy/keep.yaml') && nested.includes('other/app.yaml') && nested.includes('deploy/.sourceignore'));
    assert.ok(!nested.includes('deploy/app.yaml') && !nested.includes('deploy/.sops.yaml'));
    assert.ok(nested.includes('logo.png'), 'defaults no longer apply once patterns exist');
    assert.ok(!(await names(src, 'keep.yaml\n')).includes('deploy/keep.yaml'));
  });

  it('refuses entries that would escape the archive root', async () => {
    for (const bad of ['../x', '/etc/x', 'a/../../x', 'a\\b', '']) {
      await assert.rejects(buildTarGz({ entries: [{ path: bad, content: 'x' }] }, path.join(tmp.path, 'bad.tgz')), { reason: 'IllegalPath' });
    }
  });
});
