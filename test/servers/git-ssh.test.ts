import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CommandError, run } from '../tools/exec.ts';
import { cloneRepo, commitFiles, createTag, listRemoteRefs } from '../tools/git-repo.ts';
import { makeTempDir } from '../tools/tmp.ts';
import type { TempDir } from '../tools/tmp.ts';
import { startGitHttpServer } from './git-http.ts';
import type { GitHttpServer } from './git-http.ts';
import { startGitSshServer } from './git-ssh.ts';
import type { GitSshServer } from './git-ssh.ts';

let ssh: GitSshServer;
let http: GitHttpServer;
let work: TempDir;

before(async () => {
  work = await makeTempDir();
  http = await startGitHttpServer();
  ssh = await startGitSshServer({ reposDir: http.reposDir });
});
after(async () => {
  await ssh.stop();
  await http.stop();
  await work.remove();
});

void test('clone and push over SSH with a verified host key; same repos as over HTTP', async () => {
  assert.match(ssh.knownHosts, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${ssh.port} ssh-ed25519 AAAA\\S+$`, 'm'));
  assert.match(ssh.clientKeys.ed25519.privateKey, /BEGIN OPENSSH PRIVATE KEY/);
  assert.match(ssh.clientKeys.rsa.privateKey, /BEGIN RSA PRIVATE KEY/);
  const url = await ssh.createRepo('team/app');
  assert.equal(url, `ssh://${ssh.user}@127.0.0.1:${ssh.port}${ssh.reposDir}/team/app.git`);

  const sha = await commitFiles(url, { files: { 'app.yaml': 'kind: Namespace\n' }, env: ssh.gitEnv });
  const tag = await createTag(url, { name: 'v1', target: 'main', message: 'v1', env: ssh.gitEnv });
  assert.equal(tag.commit, sha);
  const dir = await cloneRepo(url, path.join(work.path, 'ssh-clone'), { env: ssh.gitEnv });
  assert.equal(await fs.readFile(path.join(dir, 'app.yaml'), 'utf8'), 'kind: Namespace\n');
  // The HTTP server sees what was pushed over SSH.
  assert.equal((await listRemoteRefs(http.repoUrl('team/app'))).get('refs/heads/main'), sha);

  // Every authorized key type works (RSA in PKCS#1 PEM, ECDSA).
  for (const key of [ssh.clientKeys.rsa, ssh.clientKeys.ecdsa]) {
    const refs = await listRemoteRefs(url, { env: { GIT_SSH_COMMAND: ssh.sshCommand(key.privateKeyPath) } });
    assert.equal(refs.get('refs/heads/main'), sha);
  }
});

void test('a wrong known_hosts entry is refused', async () => {
  const url = await ssh.createRepo('refused');
  const other = path.join(work.path, 'other_host_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const otherKey = (await fs.readFile(`${other}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  const wrongHosts = path.join(work.path, 'wrong_known_hosts');
  await fs.writeFile(wrongHosts, `[127.0.0.1]:${ssh.port} ${otherKey}\n`);
  const env = { GIT_SSH_COMMAND: ssh.sshCommand(ssh.clientKeys.ed25519.privateKeyPath, wrongHosts) };
  await assert.rejects(listRemoteRefs(url, { env }), (err: unknown) => {
    assert.ok(err instanceof CommandError);
    assert.match(err.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    return true;
  });
  const empty = path.join(work.path, 'empty_known_hosts');
  await fs.writeFile(empty, '');
  await assert.rejects(
    listRemoteRefs(url, { env: { GIT_SSH_COMMAND: ssh.sshCommand(ssh.clientKeys.ed25519.privateKeyPath, empty) } }),
    /Host key verification failed/,
  );
});

void test('an unknown client key is refused; the passphrase key decrypts with its passphrase', async () => {
  const url = await ssh.createRepo('keys');
  const stranger = path.join(work.path, 'stranger');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  await assert.rejects(listRemoteRefs(url, { env: { GIT_SSH_COMMAND: ssh.sshCommand(stranger) } }), /Permission denied/);
  const protectedKey = ssh.clientKeys.ed25519Passphrase;
  const pub = await run('ssh-keygen', ['-y', '-P', protectedKey.passphrase ?? '', '-f', protectedKey.privateKeyPath]);
  assert.equal(pub.stdout.trim().split(' ').slice(0, 2).join(' '), protectedKey.publicKey.split(' ').slice(0, 2).join(' '));
  await assert.rejects(run('ssh-keygen', ['-y', '-P', 'wrong', '-f', protectedKey.privateKeyPath]), CommandError);
});
