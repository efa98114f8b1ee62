// The git client against a real smart-HTTP server: every ref kind with exact Flux revision
// strings, new commits, sparse checkout, submodules behind authentication, signed objects.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkout, loadVerificationKeys, resolveRemote, verifySource } from '../../../src/sources/git/index.ts';
import type { GitAuth } from '../../../src/sources/git/index.ts';
import { startGitHttpServer } from '../../servers/git-http.ts';
import type { GitHttpServer } from '../../servers/git-http.ts';
import { commitFiles, createTag } from '../../tools/git-repo.ts';
import { makeTempDir } from '../../tools/tmp.ts';
import type { TempDir } from '../../tools/tmp.ts';
import { bareGit, dirFactory, expectGitError, listDir, writeObject } from './helpers.ts';
import { generateTestKey, signedCommit, signedTag } from './pgp-signing.ts';

let plain: GitHttpServer;
let basic: GitHttpServer;
let work: TempDir;
let nextDir: () => string;
const BASIC_AUTH: GitAuth = { http: { type: 'basic', username: 'bot', password: 'sub-m0dule-pass' } };

before(async () => {
  work = await makeTempDir('eddy-git-client-');
  nextDir = dirFactory(work.path);
  [plain, basic] = await Promise.all([
    startGitHttpServer(),
    startGitHttpServer({ auth: { type: 'basic', username: 'bot', password: 'sub-m0dule-pass' } }),
  ]);
});
after(async () => {
  await Promise.all([plain.stop(), basic.stop()]);
  await work.remove();
});

void test('every ref kind resolves and checks out with the exact Flux revision', async () => {
  const url = await plain.createRepo('refs');
  const c1 = await commitFiles(url, { files: { 'app.yaml': 'v: 1\n' }, message: 'first' });
  await createTag(url, { name: 'v1.0.0', target: c1 });
  const c2 = await commitFiles(url, { files: { 'app.yaml': 'v: 2\n' }, message: 'second\n\nwith a body' });
  const annotated = await createTag(url, { name: 'v1.1.0', target: c2, message: 'release 1.1' });
  await createTag(url, { name: 'v2.0.0-rc.1', target: c2 });
  await createTag(url, { name: 'not-semver', target: c1 });
  const m1 = await commitFiles(url, { branch: 'master', files: { 'app.yaml': 'v: master\n' } });
  await bareGit(plain.reposDir, 'refs', ['update-ref', 'refs/pull/1/head', c1]);

  const cases = [
    { ref: undefined, revision: `master@sha1:${m1}`, content: 'v: master\n' },
    { ref: { branch: 'main' }, revision: `main@sha1:${c2}`, content: 'v: 2\n' },
    { ref: { tag: 'v1.0.0' }, revision: `v1.0.0@sha1:${c1}`, content: 'v: 1\n' },
    { ref: { tag: 'v1.1.0' }, revision: `v1.1.0@sha1:${c2}`, content: 'v: 2\n' },
    { ref: { semver: '>=1.0.0 <2' }, revision: `v1.1.0@sha1:${c2}`, content: 'v: 2\n' },
    { ref: { semver: '~1.0' }, revision: `v1.0.0@sha1:${c1}`, content: 'v: 1\n' },
    { ref: { semver: '>=2.0.0-0' }, revision: `v2.0.0-rc.1@sha1:${c2}`, content: 'v: 2\n' },
    { ref: { name: 'refs/pull/1/head' }, revision: `refs/pull/1/head@sha1:${c1}`, content: 'v: 1\n' },
    { ref: { commit: c1 }, revision: `sha1:${c1}`, content: 'v: 1\n' },
    { ref: { branch: 'main', commit: c1 }, revision: `main@sha1:${c1}`, content: 'v: 1\n' },
  ];
  const results = await Promise.all(cases.map(async (c) => {
    const dir = nextDir();
    const result = await checkout({ url, dir, ...(c.ref ? { ref: c.ref } : {}) });
    return { c, result, content: await fs.readFile(path.join(dir, 'app.yaml'), 'utf8'), shallow: await isShallow(dir) };
  }));
  for (const { c, result, content, shallow } of results) {
    assert.equal(result.revision, c.revision, JSON.stringify(c.ref));
    assert.equal(content, c.content, JSON.stringify(c.ref));
    assert.ok(shallow, `depth 1 for ${JSON.stringify(c.ref)}`);
  }
  const tagged = results[3]!.result;
  assert.equal(tagged.tagName, 'v1.1.0');
  assert.ok(tagged.tagObject?.toString().includes(`object ${annotated.commit}`));
  assert.equal(tagged.commitMessage, 'second\n\nwith a body\n');
  assert.deepEqual([tagged.author.name, tagged.author.email], ['eddy test', 'test@eddy.invalid']);
  assert.equal(results[2]!.result.tagObject, undefined, 'a lightweight tag has no tag object');

  await expectGitError(checkout({ url, dir: nextDir(), ref: { branch: 'nope' } }), 'RefNotFound');
  await expectGitError(checkout({ url, dir: nextDir(), ref: { semver: '>=5' } }), 'RefNotFound');
  await expectGitError(checkout({ url, dir: nextDir(), ref: { commit: 'f'.repeat(40) } }), 'RefNotFound');
  await expectGitError(checkout({ url: plain.repoUrl('missing'), dir: nextDir() }), 'RepositoryNotFound');
});

/** A depth-limited fetch leaves .git/shallow. */
async function isShallow(dir: string): Promise<boolean> {
  const shallow = await fs.readFile(path.join(dir, '.git', 'shallow'), 'utf8').catch(() => '');
  return shallow.trim() !== '';
}

void test('protocol v0 servers that refuse unadvertised objects: fetched by ref name instead', async () => {
  const url = await plain.createRepo('v0');
  const c1 = await commitFiles(url, { files: { a: '1' } });
  await createTag(url, { name: 'v1.0.0', target: c1, message: 'annotated' });
  const c2 = await commitFiles(url, { files: { a: '2' } });
  const before = plain.requests.length;
  const branch = await checkout({ url, dir: nextDir(), ref: { branch: 'main' }, protocolVersion: 0 });
  assert.equal(branch.revision, `main@sha1:${c2}`);
  const tag = await checkout({ url, dir: nextDir(), ref: { tag: 'v1.0.0' }, protocolVersion: 0 });
  assert.equal(tag.revision, `v1.0.0@sha1:${c1}`);
  assert.ok(tag.tagObject);
  const old = await checkout({ url, dir: nextDir(), ref: { branch: 'main', commit: c1 }, protocolVersion: 0 });
  assert.equal(old.revision, `main@sha1:${c1}`);
  // The by-id fetch was refused at least once (v0 without allowReachableSHA1InWant).
  assert.ok(plain.requests.slice(before).filter((r) => r.method === 'POST').length > 3);
});

void test('a new commit is a new revision; resolveRemote needs no fetch', async () => {
  const url = await plain.createRepo('moving');
  const first = await commitFiles(url, { files: { a: '1' } });
  assert.equal((await resolveRemote({ url, ref: { branch: 'main' } })).revision, `main@sha1:${first}`);
  const second = await commitFiles(url, { files: { a: '2' } });
  const resolved = await resolveRemote({ url, ref: { branch: 'main' } });
  assert.equal(resolved.revision, `main@sha1:${second}`);
  const result = await checkout({ url, dir: nextDir(), ref: { branch: 'main' } });
  assert.equal(result.revision, `main@sha1:${second}`);
  assert.notEqual(second, first);
});

void test('sparse checkout holds only the listed directories, as Flux does', async () => {
  const url = await plain.createRepo('sparse');
  await commitFiles(url, { files: { 'deploy/app/a.yaml': 'a', 'deploy/b.yaml': 'b', 'docs/readme.md': 'r', 'root.yaml': 'x', 'deployment/c': 'c' } });
  const dir = nextDir();
  await checkout({ url, dir, ref: { branch: 'main' }, sparseCheckout: ['./deploy/'] });
  assert.deepEqual(await listDir(dir), ['deploy']);
  assert.deepEqual(await listDir(path.join(dir, 'deploy')), ['app', 'b.yaml']);
  await expectGitError(checkout({ url, dir: nextDir(), ref: { branch: 'main' }, sparseCheckout: ['nope'] }), 'SparseCheckoutPathNotFound');
  await expectGitError(checkout({ url, dir: nextDir(), sparseCheckout: ['../etc'] }), 'InvalidRef');
});

void test('submodules are checked out with the same credentials when asked for', async () => {
  const libUrl = await basic.createRepo('lib');
  const libCommit = await commitFiles(libUrl, { files: { 'lib.yaml': 'lib: true\n' }, config: basic.gitConfig });
  await basic.createRepo('app');
  const modules = `[submodule "lib"]\n\tpath = vendor/lib\n\turl = ${libUrl}\n`;
  const modulesBlob = await writeObject(basic.reposDir, 'app', 'blob', modules);
  const appBlob = await writeObject(basic.reposDir, 'app', 'blob', 'app: true\n');
  const vendor = await bareGit(basic.reposDir, 'app', ['mktree'], `160000 commit ${libCommit}\tlib\n`);
  const tree = await bareGit(basic.reposDir, 'app', ['mktree'], `100644 blob ${modulesBlob}\t.gitmodules\n100644 blob ${appBlob}\tapp.yaml\n040000 tree ${vendor}\tvendor\n`);
  const commit = await bareGit(basic.reposDir, 'app', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit-tree', tree, '-m', 'with submodule']);
  await bareGit(basic.reposDir, 'app', ['update-ref', 'refs/heads/main', commit]);

  const url = basic.repoUrl('app');
  const withSubs = nextDir();
  const result = await checkout({ url, dir: withSubs, ref: { branch: 'main' }, auth: BASIC_AUTH, recurseSubmodules: true });
  assert.equal(result.revision, `main@sha1:${commit}`);
  assert.equal(await fs.readFile(path.join(withSubs, 'vendor', 'lib', 'lib.yaml'), 'utf8'), 'lib: true\n');
  const without = nextDir();
  await checkout({ url, dir: without, ref: { branch: 'main' }, auth: BASIC_AUTH });
  assert.deepEqual(await listDir(path.join(without, 'vendor', 'lib')), []);
});

void test('signed commit and signed annotated tag verify after checkout; tampering does not', async () => {
  const url = await plain.createRepo('signed');
  const base = await commitFiles(url, { files: { 'app.yaml': 'signed: true\n' } });
  const tree = await bareGit(plain.reposDir, 'signed', ['rev-parse', `${base}^{tree}`]);
  const [trusted, stranger] = await Promise.all([generateTestKey('trusted'), generateTestKey('stranger')]);
  const signed = await writeObject(plain.reposDir, 'signed', 'commit', await signedCommit(tree, [base], 'signed commit\n', trusted));
  const tag = await writeObject(plain.reposDir, 'signed', 'tag', await signedTag(signed, 'v1.0.0', 'signed release\n', trusted));
  await bareGit(plain.reposDir, 'signed', ['update-ref', 'refs/heads/main', signed]);
  await bareGit(plain.reposDir, 'signed', ['update-ref', 'refs/tags/v1.0.0', tag]);
  const strangers = await writeObject(plain.reposDir, 'signed', 'commit', await signedCommit(tree, [signed], 'other signer\n', stranger));
  await bareGit(plain.reposDir, 'signed', ['update-ref', 'refs/heads/stranger', strangers]);

  const keys = await loadVerificationKeys({ 'trusted.asc': trusted.armoredPublicKey });
  const byTag = await checkout({ url, dir: nextDir(), ref: { tag: 'v1.0.0' } });
  assert.equal(byTag.revision, `v1.0.0@sha1:${signed}`);
  const verified = await verifySource(byTag, 'TagAndHEAD', keys);
  assert.equal(verified.tag?.keyId, trusted.keyId);
  assert.equal(verified.commit?.keyId, trusted.keyId);

  const unsigned = await checkout({ url, dir: nextDir(), ref: { commit: base } });
  await assert.rejects(verifySource(unsigned, 'HEAD', keys), { name: 'SignatureError', reason: 'NoSignature' });
  const other = await checkout({ url, dir: nextDir(), ref: { branch: 'stranger' } });
  await assert.rejects(verifySource(other, 'HEAD', keys), { name: 'SignatureError', reason: 'UnknownKey' });
  await assert.rejects(verifySource(other, 'Tag', keys), { name: 'SignatureError', reason: 'NoTagReference' });
});
