import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTar, createTarGz, type TarEntry } from '../../test/tools/tar.ts';
import { makeTempDir, type TempDir } from '../../test/tools/tmp.ts';
import type { ArtifactErrorReason } from './errors.ts';
import { extractTarGz, type ExtractLimits } from './extract.ts';
import { extractTarGzToTree } from './tree.ts';

const MiB = 1024 * 1024;
const LIMITS: ExtractLimits = { maxUntarBytes: 8 * MiB, maxFiles: 100 };

/** Rewrites the typeflag (and optionally the size) of the first header and fixes its checksum. */
function patchHeader(tarBuf: Buffer, typeflag: string, size?: number): Buffer {
  const out = Buffer.from(tarBuf);
  out.write(typeflag, 156, 'ascii');
  if (size !== undefined) out.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  out.write('        ', 148, 'ascii');
  let sum = 0;
  for (const byte of out.subarray(0, 512)) sum += byte;
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return out;
}

/**
 * A gzip bomb written as it is generated: gzip members of 1 MiB of zeros (about 1 KiB each)
 * concatenated 1024 times inflate to 1 GiB from about 1 MiB on disk.
 */
async function writeBomb(file: string, head: Buffer): Promise<number> {
  const out = createWriteStream(file);
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  out.write(gzipSync(head));
  for (let i = 0; i < 1024; i++) {
    if (!out.write(member)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return (await fs.stat(file)).size;
}

describe('extractTarGz', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await makeTempDir('eddy-extract-');
  });
  after(async () => {
    await tmp.remove();
  });

  /**
   * Extracts into <case>/dest and checks the typed failure and that nothing exists beside dest;
   * then the same into memory, which must fail for the same reason.
   */
  async function expectRejected(archive: Buffer | string, reason: ArtifactErrorReason, limits = LIMITS): Promise<string> {
    const open = () => (typeof archive === 'string' ? createReadStream(archive) : Readable.from([archive]));
    await assert.rejects(extractTarGzToTree(open(), limits), (err: Error & { reason?: string }) => {
      assert.equal(err.name, 'ArtifactError');
      assert.equal(err.reason, reason, `in memory: ${err.message}`);
      return true;
    });
    const base = path.join(tmp.path, randomUUID());
    await fs.mkdir(path.join(base, 'outside'), { recursive: true });
    const dest = path.join(base, 'dest');
    const input = typeof archive === 'string' ? createReadStream(archive) : Readable.from([archive]);
    await assert.rejects(extractTarGz(input, dest, limits), (err: Error & { reason?: string }) => {
      assert.equal(err.name, 'ArtifactError');
      assert.equal(err.reason, reason, err.message);
      return true;
    });
    assert.deepEqual((await fs.readdir(base)).sort(), ['dest', 'outside']);
    assert.deepEqual(await fs.readdir(path.join(base, 'outside')), [], 'nothing written outside dest');
    assert.deepEqual(await fs.readdir(dest), [], 'dest left empty');
    return base;
  }

  it('extracts a normal archive with long names, links inside and normalised modes', async () => {
    const long = `${'deep/'.repeat(30)}file.yaml`;
    const archive = createTarGz([
      { path: 'dir', type: 'dir', mode: 0o700 },
      { path: 'dir/a.yaml', content: 'a: 1\n', mode: 0o4777 },
      { path: 'dir/private', content: 'p', mode: 0o600 },
      { path: long, content: 'long\n' },
      { path: 'link', type: 'symlink', linkTarget: 'dir/a.yaml' },
      { path: 'dir/up', type: 'symlink', linkTarget: '../link' },
    ]);
    const dest = path.join(tmp.path, 'ok');
    const result = await extractTarGz(Readable.from([archive]), dest, LIMITS);
    assert.equal(result.entries, 6);
    assert.equal(await fs.readFile(path.join(dest, long), 'utf8'), 'long\n');
    assert.equal(await fs.readFile(path.join(dest, 'dir/up'), 'utf8'), 'a: 1\n');
    assert.equal((await fs.stat(path.join(dest, 'dir/a.yaml'))).mode & 0o7777, 0o755);
    assert.equal((await fs.stat(path.join(dest, 'dir/private'))).mode & 0o7777, 0o644);
    assert.equal((await fs.stat(path.join(dest, 'dir'))).mode & 0o7777, 0o755);

    const { tree, entries } = await extractTarGzToTree(Readable.from([archive]), LIMITS);
    assert.equal(entries, 6);
    assert.equal(tree.readFile(long).toString(), 'long\n');
    assert.equal(tree.resolve('dir/up'), 'dir/a.yaml');
    assert.deepEqual(tree.list('dir'), ['a.yaml', 'private', 'up']);
    assert.deepEqual(tree.entries().map((e) => `${e.type}:${e.path}${e.executable ? '*' : ''}`).slice(0, 4), ['dir:deep', 'dir:deep/deep', 'dir:deep/deep/deep', 'dir:deep/deep/deep/deep']);
    assert.ok(tree.entries().some((e) => e.path === 'dir/a.yaml' && e.executable === true));
  });

  it('refuses traversal and absolute names', async () => {
    await expectRejected(createTarGz([{ path: '../x', content: 'x' }]), 'IllegalPath');
    await expectRejected(createTarGz([{ path: 'ok', content: 'x' }, { path: '/etc/x', content: 'x' }]), 'IllegalPath');
    await expectRejected(createTarGz([{ path: 'a/../../outside/x', content: 'x' }]), 'IllegalPath');
    await expectRejected(createTarGz([{ path: `${'a/'.repeat(70)}../../../x`, content: 'x' }]), 'IllegalPath');
    await expectRejected(createTarGz([{ path: 'a\\..\\..\\x', content: 'x' }]), 'IllegalPath');
  });

  it('refuses symlinks that leave dest and writes through symlinks', async () => {
    const probe = `eddy-extract-test-${randomUUID()}`;
    await expectRejected(createTarGz([{ path: 'l', type: 'symlink', linkTarget: '/etc' }, { path: `l/${probe}`, content: 'x' }]), 'IllegalLink');
    assert.equal(existsSync(path.join('/etc', probe)), false);
    await expectRejected(createTarGz([{ path: 'd/l', type: 'symlink', linkTarget: '../../outside' }, { path: 'd/l/x', content: 'x' }]), 'IllegalLink');
    await expectRejected(createTarGz([{ path: 'l', type: 'symlink', linkTarget: '../../x' }]), 'IllegalLink');
    // Lexically inside, really outside: a link through a link to '.'.
    await expectRejected(createTarGz([{ path: 'x', type: 'symlink', linkTarget: '.' }, { path: 'l', type: 'symlink', linkTarget: 'x/..' }]), 'IllegalLink');
    // Nothing is written through a symlink, even one pointing inside.
    await expectRejected(
      createTarGz([{ path: 'sub', type: 'dir' }, { path: 'l', type: 'symlink', linkTarget: 'sub' }, { path: 'l/f', content: 'x' }]),
      'IllegalPath',
    );
    await expectRejected(createTarGz([{ path: 'd', type: 'dir' }, { path: 'd', content: 'file over dir' }]), 'IllegalPath');
  });

  it('replaces an earlier symlink by a later file instead of following it', async () => {
    const dest = path.join(tmp.path, 'replace');
    await extractTarGz(
      Readable.from([createTarGz([{ path: 'target', content: 'keep' }, { path: 'l', type: 'symlink', linkTarget: 'target' }, { path: 'l', content: 'new' }])]),
      dest,
      LIMITS,
    );
    assert.equal((await fs.lstat(path.join(dest, 'l'))).isFile(), true);
    assert.equal(await fs.readFile(path.join(dest, 'target'), 'utf8'), 'keep');
    const { tree } = await extractTarGzToTree(Readable.from([createTarGz([{ path: 'target', content: 'keep' }, { path: 'l', type: 'symlink', linkTarget: 'target' }, { path: 'l', content: 'new' }])]), LIMITS);
    assert.equal(tree.readFile('l').toString(), 'new');
    assert.equal(tree.readFile('target').toString(), 'keep');
  });

  it('resolves links in memory as the kernel would below the root', async () => {
    // A link to itself never resolves: the archive is refused as a whole, on disk and in memory.
    await expectRejected(createTarGz([{ path: 'loop', type: 'symlink', linkTarget: 'loop' }]), 'IllegalLink');
    const { tree } = await extractTarGzToTree(Readable.from([createTarGz([
      { path: 'a/b', content: 'x' },
      { path: 'dangling', type: 'symlink', linkTarget: 'nowhere/at/all' },
      { path: 'a/up', type: 'symlink', linkTarget: '../a/b' },
    ])]), LIMITS);
    assert.equal(tree.resolve('a/up'), 'a/b');
    assert.equal(tree.resolve('dangling'), 'nowhere/at/all');
    assert.equal(tree.resolve('..'), undefined);
    assert.equal(tree.isDir('a'), true);
    assert.equal(tree.isFile('a/b'), true);
  });

  it('refuses hard links, devices and fifos', async () => {
    const linkTo = (target: string) => createTar([{ path: 'h', type: 'symlink', linkTarget: target }]);
    await expectRejected(gzipSync(patchHeader(linkTo('/etc/passwd'), '1')), 'IllegalLink');
    await expectRejected(gzipSync(Buffer.concat([createTar([{ path: 'f', content: 'x' }]).subarray(0, 1024), patchHeader(linkTo('f'), '1')])), 'IllegalLink');
    await expectRejected(gzipSync(patchHeader(createTar([{ path: 'dev', content: '' }]), '3')), 'IllegalPath');
    await expectRejected(gzipSync(patchHeader(createTar([{ path: 'fifo', content: '' }]), '6')), 'IllegalPath');
  });

  it('stops at the entry limit', async () => {
    const entries: TarEntry[] = Array.from({ length: 101 }, (_, i) => ({ path: `f${i}`, content: '' }));
    await expectRejected(createTarGz(entries), 'TooManyFiles');
  });

  it('stops gzip bombs early, declared or hidden in padding', async () => {
    const declared = path.join(tmp.path, 'bomb-declared.tar.gz');
    const header = patchHeader(createTar([{ path: 'zeros', content: '' }]), '0', 1024 * MiB).subarray(0, 512);
    assert.ok((await writeBomb(declared, header)) < 2 * MiB);
    let started = Date.now();
    await expectRejected(declared, 'TooLarge');
    assert.ok(Date.now() - started < 5000);

    // One small file, no end marker, then 1 GiB of zero blocks: only the inflate counter sees it.
    const hidden = path.join(tmp.path, 'bomb-hidden.tar.gz');
    await writeBomb(hidden, createTar([{ path: 'a', content: 'a' }]).subarray(0, 1024));
    started = Date.now();
    await expectRejected(hidden, 'TooLarge');
    assert.ok(Date.now() - started < 5000);
  });

  it('reports truncated and non-gzip input as Corrupt', async () => {
    const good = createTarGz([{ path: 'a', content: 'x'.repeat(100_000) }, { path: 'b', content: 'y' }]);
    await expectRejected(good.subarray(0, Math.floor(good.length / 2)), 'Corrupt');
    await expectRejected(Buffer.from('not a gzip stream at all'), 'Corrupt');
    await expectRejected(gzipSync(createTar([{ path: 'a', content: 'x'.repeat(5000) }]).subarray(0, 1024)), 'Corrupt');
  });

  it('refuses a destination that is not empty', async () => {
    const dest = path.join(tmp.path, 'full');
    await fs.mkdir(dest);
    await fs.writeFile(path.join(dest, 'x'), '');
    await assert.rejects(extractTarGz(Readable.from([createTarGz([])]), dest, LIMITS), { reason: 'IllegalPath' });
  });
});
