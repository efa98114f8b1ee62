import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommandError, run } from '../tools/exec.ts';
import { cloneRepo, commitFiles, createTag, listRemoteRefs } from '../tools/git-repo.ts';
import { makeTempDir } from '../tools/tmp.ts';
import type { TempDir } from '../tools/tmp.ts';
import { startGitHttpServer } from './git-http.ts';

let work: TempDir;
before(async () => {
  work = await makeTempDir();
});
after(() => work.remove());

void describe('git over HTTP without auth', () => {
  void test('commit, clone, tags, push from a clone', async (t) => {
    const server = await startGitHttpServer();
    t.after(() => server.stop());
    const url = await server.createRepo('org/app');
    assert.equal(url, `${server.url}/org/app.git`);

    const first = await commitFiles(url, { files: { 'README.md': 'hello\n', 'deploy/app.yaml': 'kind: ConfigMap\n' } });
    const second = await commitFiles(url, { files: { 'README.md': 'hello again\n' }, message: 'second' });
    assert.match(second, /^[0-9a-f]{40}$/);
    await commitFiles(url, { branch: 'dev', files: { 'only-dev.txt': 'x' } });

    const light = await createTag(url, { name: 'v1.0.0', target: first });
    assert.deepEqual(light, { object: first, commit: first });
    const annotated = await createTag(url, { name: 'v1.1.0', target: 'main', message: 'release 1.1.0' });
    assert.equal(annotated.commit, second);
    assert.notEqual(annotated.object, second);

    const refs = await listRemoteRefs(url);
    assert.equal(refs.get('refs/heads/main'), second);
    assert.equal(refs.get('refs/tags/v1.0.0'), first);
    assert.equal(refs.get('refs/tags/v1.1.0'), annotated.object);
    assert.equal(refs.get('refs/tags/v1.1.0^{}'), second);
    assert.ok(refs.has('refs/heads/dev'));

    const dir = await cloneRepo(url, path.join(work.path, 'noauth'));
    assert.equal(await fs.readFile(path.join(dir, 'README.md'), 'utf8'), 'hello again\n');
    assert.equal(await fs.readFile(path.join(dir, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
    await assert.rejects(fs.access(path.join(dir, 'only-dev.txt')));

    // A plain `git push` from the clone (not through the helpers).
    await fs.writeFile(path.join(dir, 'pushed.txt'), 'via clone\n');
    const git = (...args: string[]) =>
      run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, env: { GIT_CONFIG_GLOBAL: '/dev/null' } });
    await git('add', '.');
    await git('commit', '-q', '-m', 'pushed');
    await git('push', '-q', 'origin', 'main');
    const head = (await git('rev-parse', 'HEAD')).stdout.trim();
    assert.equal((await listRemoteRefs(url)).get('refs/heads/main'), head);
    assert.ok(server.requests.some((r) => r.path.includes('git-receive-pack') && r.status === 200));

    const replaced = await commitFiles(url, { files: { 'new.txt': 'n' }, replace: true });
    const fresh = await cloneRepo(url, path.join(work.path, 'replaced'));
    assert.deepEqual((await fs.readdir(fresh)).filter((f) => f !== '.git'), ['new.txt']);
    assert.equal((await listRemoteRefs(url)).get('refs/heads/main'), replaced);
  });
});

void describe('git over HTTPS with basic auth', () => {
  void test('credentials are required, the custom CA is trusted', async (t) => {
    const server = await startGitHttpServer({ auth: { type: 'basic', username: 'git', password: 's3cr3t' }, tls: true });
    t.after(() => server.stop());
    assert.match(server.url, /^https:/);
    const url = await server.createRepo('app');
    const sha = await commitFiles(url, { files: { a: '1' }, config: server.gitConfig });

    const ca = { 'http.sslCAInfo': server.tls!.ca.certPath };
    await assert.rejects(listRemoteRefs(url, { config: ca }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.match(err.stderr, /Authentication failed|could not read Username|401/);
      return true;
    });
    await assert.rejects(listRemoteRefs(server.repoUrlWithCredentials('app')), /certificate|SSL/i);
    const withUrlCreds = await listRemoteRefs(server.repoUrlWithCredentials('app'), { config: ca });
    assert.equal(withUrlCreds.get('refs/heads/main'), sha);
    const wrong = new URL(url);
    wrong.username = 'git';
    wrong.password = 'nope';
    await assert.rejects(listRemoteRefs(wrong.href, { config: ca }), CommandError);

    const dir = await cloneRepo(url, path.join(work.path, 'basic'), { config: server.gitConfig });
    assert.equal(await fs.readFile(path.join(dir, 'a'), 'utf8'), '1');
  });
});

void describe('git over HTTP with a bearer token', () => {
  void test('the token header is required', async (t) => {
    const server = await startGitHttpServer({ auth: { type: 'bearer', token: 'tok-123' } });
    t.after(() => server.stop());
    const url = await server.createRepo('app');
    await assert.rejects(commitFiles(url, { files: { a: '1' } }), CommandError);
    await assert.rejects(
      listRemoteRefs(url, { config: { 'http.extraHeader': 'Authorization: Bearer wrong' } }),
      CommandError,
    );
    const sha = await commitFiles(url, { files: { a: '1' }, config: server.gitConfig });
    assert.equal((await listRemoteRefs(url, { config: server.gitConfig })).get('refs/heads/main'), sha);
    assert.ok(server.requests.some((r) => r.status === 401));
  });
});
