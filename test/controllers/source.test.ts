// The source controller on the real control plane against real servers: GitRepository over
// smart HTTP with basic auth, OCIRepository from the Debian registry, Bucket from the S3 server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchArtifact, fetchArtifactTree } from '../../src/artifact/fetch.ts';
import { isNotFound } from '../../src/kube/index.ts';
import { startGitHttpServer, type GitHttpServer } from '../servers/git-http.ts';
import { startGitSshServer } from '../servers/git-ssh.ts';
import { bareGit, writeObject } from '../sources/git/helpers.ts';
import { generateTestKey, signedCommit } from '../sources/git/pgp-signing.ts';
import { startOciRegistry } from '../servers/oci-registry.ts';
import { startS3Server } from '../servers/s3.ts';
import { commitFiles } from '../tools/git-repo.ts';
import { pushArtifact } from '../tools/oci-push.ts';
import { eventually } from '../tools/eventually.ts';
import { kubectl } from '../cluster/harness.ts';
import { V1, cond, startSourceEnv, type SourceEnv, type SourceKindName, type Src } from './source-harness.ts';

describe('source controller', () => {
  let env: SourceEnv;
  let git: GitHttpServer;
  const stops: (() => Promise<void>)[] = [];

  const get = (kind: SourceKindName, name: string) => env.get(kind, name);
  const readyWith = (kind: SourceKindName, name: string, test: (o: Src) => boolean, what: string) => env.waitFor(kind, name, test, what);
  const secret = (name: string, data: Record<string, string>) => env.secret(name, data);
  const requestReconcile = (kind: SourceKindName, name: string, at: string) => env.requestReconcile(kind, name, at);

  before(async () => {
    env = await startSourceEnv('source');
    git = await startGitHttpServer({ auth: { type: 'basic', username: 'flux', password: 's3cret' } });
    stops.push(() => git.stop());
  });
  after(async () => {
    for (const s of stops) await s();
    await env.close();
  });

  it('GitRepository: artifact with ignore rules, new commits, no fetch when unchanged, auth failure and recovery, GC on delete', async () => {
    const url = await git.createRepo('app');
    const first = await commitFiles(url, { branch: 'main', config: git.gitConfig, files: { 'deploy/app.yaml': 'kind: ConfigMap\n', '.github/workflows/ci.yaml': 'on: push\n', 'README.md': '# app\n' } });
    await secret('git-auth', { username: 'flux', password: 's3cret' });
    await env.client.create({ apiVersion: V1, kind: 'GitRepository', metadata: { name: 'app', namespace: env.ns }, spec: { url, interval: '10m', ref: { branch: 'main' }, secretRef: { name: 'git-auth' } } });
    let repo = await readyWith('GitRepository', 'app', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
    assert.equal(repo.status?.artifact?.revision, `main@sha1:${first}`);
    assert.equal(cond(repo, 'ArtifactInStorage')?.reason, 'Succeeded');
    assert.equal(repo.status?.observedGeneration, 1);
    await kubectl(['wait', '--for=condition=Ready', 'gitrepository/app', '-n', env.ns, '--timeout=10s']);
    // Flux's reconcile duration metric, with Flux's labels.
    const metrics = await env.registry.getSingleMetricAsString('gotk_reconcile_duration_seconds');
    assert.match(metrics, new RegExp(`gotk_reconcile_duration_seconds_count\\{kind="GitRepository",name="app",namespace="${env.ns}"\\} [1-9]`));

    // A consumer downloads and verifies the artifact; default exclusions dropped .github/.
    const dest = await mkdtemp(join(tmpdir(), 'eddy-consumer-'));
    stops.push(() => rm(dest, { recursive: true, force: true }));
    const artifact = repo.status?.artifact;
    assert.ok(artifact);
    await fetchArtifact({ url: artifact.url, digest: artifact.digest, dest });
    assert.deepEqual((await readdir(dest)).sort(), ['README.md', 'deploy']);

    // A new commit becomes a new artifact on request; lastHandledReconcileAt echoes the request.
    const second = await commitFiles(url, { branch: 'main', config: git.gitConfig, files: { 'deploy/app.yaml': 'kind: Secret\n' } });
    await requestReconcile('GitRepository', 'app', 'r1');
    repo = await readyWith('GitRepository', 'app', (o) => o.status?.artifact?.revision === `main@sha1:${second}`, 'at the second commit');
    assert.equal(repo.status?.lastHandledReconcileAt, 'r1');

    // Unchanged remote: one ls-remote, no fetch, the same artifact.
    const before = git.requests.length;
    await requestReconcile('GitRepository', 'app', 'r2');
    repo = await readyWith('GitRepository', 'app', (o) => o.status?.lastHandledReconcileAt === 'r2', 'handled r2');
    const upload = git.requests.slice(before).filter((r) => r.path.includes('git-upload-pack') && r.method === 'POST');
    assert.ok(upload.length <= 1, `only ls-refs, no fetch (${upload.length} upload-pack POSTs)`);
    assert.equal(repo.status?.artifact?.revision, `main@sha1:${second}`);

    // Wrong credentials: FetchFailed/GitOperationFailed (Flux keeps AuthenticationFailed for an
    // unusable Secret), the last artifact stays served.
    await secret('git-auth', { username: 'flux', password: 'wrong' });
    await requestReconcile('GitRepository', 'app', 'r3');
    repo = await readyWith('GitRepository', 'app', (o) => cond(o, 'Ready')?.status === 'False', 'failing');
    assert.equal(cond(repo, 'FetchFailed')?.reason, 'GitOperationFailed');
    assert.equal(cond(repo, 'Ready')?.reason, 'GitOperationFailed');
    assert.match(cond(repo, 'Ready')?.message ?? '', /^failed to checkout and determine revision: .*authentication/i);
    assert.doesNotMatch(JSON.stringify(repo.status), /wrong|s3cret/, 'no credentials in status');
    const served = await fetch(repo.status?.artifact?.url ?? '');
    assert.equal(served.status, 200);
    await served.arrayBuffer();
    await secret('git-auth', { username: 'flux', password: 's3cret' });
    repo = await readyWith('GitRepository', 'app', (o) => cond(o, 'Ready')?.status === 'True' && !cond(o, 'FetchFailed'), 'recovered');
    // Events: the new revisions, the failure, the recovery; none for the unchanged reconcile.
    const events = await eventually('the recovery event', async () => {
      const ours = (await env.events('GitRepository')).map((e) => `${e.type}/${e.reason}`);
      return ours.includes('Normal/Succeeded') ? ours : undefined;
    });
    assert.deepEqual([...new Set(events)].sort(), ['Normal/NewArtifact', 'Normal/Succeeded', 'Warning/GitOperationFailed']);

    // Deletion removes the stored artifacts.
    const path = repo.status?.artifact;
    assert.ok(path);
    await env.client.delete({ apiVersion: V1, kind: 'GitRepository' }, 'app', env.ns);
    await eventually('GitRepository deleted', async () => (await get('GitRepository', 'app').then(() => false, (e: unknown) => isNotFound(e))) || undefined);
    assert.equal(await env.storage.exists({ path: `gitrepository/${env.ns}/app/x` }), false);
    await assert.rejects(readdir(join(env.storageDir, 'gitrepository', env.ns, 'app')), { code: 'ENOENT' });
  });

  it('GitRepository include: another repository\'s artifact at toPath, rebuilt when it changes; a missing one is IncludeUnavailable', async () => {
    await secret('git-auth', { username: 'flux', password: 's3cret' });
    const libUrl = await git.createRepo('lib');
    await commitFiles(libUrl, { branch: 'main', config: git.gitConfig, files: { 'lib/a.yaml': 'a: 1\n', 'other.txt': 'x\n' } });
    const appUrl = await git.createRepo('app2');
    await commitFiles(appUrl, { branch: 'main', config: git.gitConfig, files: { 'app.yaml': 'kind: ConfigMap\n' } });
    const spec = (url: string) => ({ url, interval: '10m', ref: { branch: 'main' }, secretRef: { name: 'git-auth' } });
    await env.client.create({ apiVersion: V1, kind: 'GitRepository', metadata: { name: 'lib', namespace: env.ns }, spec: spec(libUrl) });
    await env.client.create({ apiVersion: V1, kind: 'GitRepository', metadata: { name: 'app2', namespace: env.ns }, spec: { ...spec(appUrl), include: [{ repository: { name: 'lib' }, fromPath: 'lib', toPath: 'vendor/lib' }] } });
    const files = async (o: Src) => {
      const dest = await mkdtemp(join(tmpdir(), 'eddy-include-'));
      stops.push(() => rm(dest, { recursive: true, force: true }));
      await fetchArtifact({ url: o.status?.artifact?.url ?? '', digest: o.status?.artifact?.digest ?? '', dest });
      return (await readdir(dest, { recursive: true })).map(String).sort();
    };
    let app = await readyWith('GitRepository', 'app2', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
    assert.deepEqual(await files(app), ['app.yaml', 'vendor', 'vendor/lib', 'vendor/lib/a.yaml']);
    const lib = await get('GitRepository', 'lib');
    assert.equal((app.status as { includedArtifacts?: { revision: string }[] }).includedArtifacts?.[0]?.revision, lib.status?.artifact?.revision);

    // A new commit in the included repository reaches the including one by itself.
    await commitFiles(libUrl, { branch: 'main', config: git.gitConfig, files: { 'lib/b.yaml': 'b: 2\n' } });
    await requestReconcile('GitRepository', 'lib', 'l1');
    const before = app.status?.artifact?.digest;
    app = await readyWith('GitRepository', 'app2', (o) => o.status?.artifact?.digest !== before && cond(o, 'Ready')?.status === 'True', 'rebuilt with the new include');
    assert.deepEqual(await files(app), ['app.yaml', 'vendor', 'vendor/lib', 'vendor/lib/a.yaml', 'vendor/lib/b.yaml']);

    await env.client.create({ apiVersion: V1, kind: 'GitRepository', metadata: { name: 'app3', namespace: env.ns }, spec: { ...spec(appUrl), include: [{ repository: { name: 'missing' } }] } });
    const waiting = await readyWith('GitRepository', 'app3', (o) => cond(o, 'IncludeUnavailable')?.status === 'True', 'IncludeUnavailable');
    assert.equal(cond(waiting, 'Ready')?.status, 'False');
    assert.equal(cond(waiting, 'Ready')?.reason, 'NoArtifact');
  });

  it('GitRepository over SSH with known_hosts and PGP verification: signed Ready, foreign signer and wrong host key refused', async () => {
    const ssh = await startGitSshServer();
    stops.push(() => ssh.stop());
    const url = await ssh.createRepo('signed');
    const base = await commitFiles(url, { branch: 'main', env: ssh.gitEnv, files: { 'app.yaml': 'kind: ConfigMap\n' } });
    const tree = await bareGit(ssh.reposDir, 'signed', ['rev-parse', `${base}^{tree}`]);
    const [trusted, stranger] = await Promise.all([generateTestKey('trusted'), generateTestKey('stranger')]);
    const good = await writeObject(ssh.reposDir, 'signed', 'commit', await signedCommit(tree, [base], 'signed\n', trusted));
    await bareGit(ssh.reposDir, 'signed', ['update-ref', 'refs/heads/main', good]);
    const bad = await writeObject(ssh.reposDir, 'signed', 'commit', await signedCommit(tree, [good], 'other signer\n', stranger));
    await bareGit(ssh.reposDir, 'signed', ['update-ref', 'refs/heads/stranger', bad]);
    await secret('ssh-auth', { identity: ssh.clientKeys.ed25519.privateKey, known_hosts: ssh.knownHosts });
    await secret('ssh-wrong-host', { identity: ssh.clientKeys.ed25519.privateKey, known_hosts: ssh.knownHosts.replace(/AAAA[A-Za-z0-9+/=]+/g, (k) => k.slice(0, 20) + 'x'.repeat(Math.max(0, k.length - 20))) });
    await secret('pgp', { 'trusted.asc': trusted.armoredPublicKey });
    const repo = (name: string, branch: string, secretName: string) => env.client.create({
      apiVersion: V1, kind: 'GitRepository', metadata: { name, namespace: env.ns },
      spec: { url, interval: '10m', ref: { branch }, secretRef: { name: secretName }, verify: { mode: 'HEAD', secretRef: { name: 'pgp' } } },
    });
    await repo('signed', 'main', 'ssh-auth');
    await repo('foreign', 'stranger', 'ssh-auth');
    await repo('wrong-host', 'main', 'ssh-wrong-host');
    const ok = await readyWith('GitRepository', 'signed', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
    assert.equal(ok.status?.artifact?.revision, `main@sha1:${good}`);
    assert.equal(cond(ok, 'SourceVerified')?.status, 'True');
    const foreign = await readyWith('GitRepository', 'foreign', (o) => cond(o, 'SourceVerified')?.status === 'False', 'verification failed');
    assert.equal(cond(foreign, 'SourceVerified')?.reason, 'InvalidCommitSignature');
    assert.match(cond(foreign, 'SourceVerified')?.message ?? '', new RegExp(`^signature verification of commit '${bad}' failed: `));
    assert.deepEqual([cond(foreign, 'Ready')?.status, cond(foreign, 'Ready')?.reason], ['False', 'InvalidCommitSignature']);
    assert.equal(foreign.status?.artifact, undefined, 'no artifact from an unverified commit');
    const host = await readyWith('GitRepository', 'wrong-host', (o) => cond(o, 'FetchFailed')?.status === 'True', 'host key refused');
    assert.equal(cond(host, 'FetchFailed')?.reason, 'GitOperationFailed');
    assert.match(cond(host, 'FetchFailed')?.message ?? '', /host key/i);
  });

  it('OCIRepository: a pushed Flux artifact becomes an artifact with tag@digest revision and origin metadata', async () => {
    const registry = await startOciRegistry();
    stops.push(() => registry.stop());
    const pushed = await pushArtifact({
      registryUrl: registry.url, repository: 'manifests/app', tag: 'v1.0.0', files: { 'app.yaml': 'kind: ConfigMap\n' },
      source: 'https://example.com/app.git', revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    });
    await env.client.create({
      apiVersion: V1, kind: 'OCIRepository', metadata: { name: 'app', namespace: env.ns },
      spec: { url: `oci://${registry.host}/manifests/app`, interval: '10m', insecure: true, ref: { semver: '>=1.0.0' } },
    });
    const repo = await readyWith('OCIRepository', 'app', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
    assert.equal(repo.status?.artifact?.revision, `v1.0.0@${pushed.digest}`);
    const meta = (repo.status?.artifact as { metadata?: Record<string, string> }).metadata ?? {};
    assert.equal(meta['org.opencontainers.image.revision'], 'main@sha1:0123456789abcdef0123456789abcdef01234567');

    // The layer is extracted in memory and repackaged with .sourceignore files and spec.ignore.
    await pushArtifact({
      registryUrl: registry.url, repository: 'manifests/ignored', tag: 'v1', files: {
        '.sourceignore': 'docs/\n', 'docs/README.md': '# docs\n', 'deploy/.sourceignore': '*.txt\n', 'deploy/notes.txt': 'n\n',
        'deploy/app.yaml': 'kind: ConfigMap\n', 'extra.yaml': 'kind: Secret\n', 'logo.png': 'png',
      },
    });
    await env.client.create({
      apiVersion: V1, kind: 'OCIRepository', metadata: { name: 'ignored', namespace: env.ns },
      spec: { url: `oci://${registry.host}/manifests/ignored`, interval: '10m', insecure: true, ref: { tag: 'v1' }, ignore: 'extra.yaml\n' },
    });
    const ignored = (await readyWith('OCIRepository', 'ignored', (o) => cond(o, 'Ready')?.status === 'True', 'Ready')).status?.artifact;
    assert.ok(ignored);
    const { tree } = await fetchArtifactTree({ url: ignored.url, digest: ignored.digest });
    assert.deepEqual(tree.entries().map((e) => e.path), ['.sourceignore', 'deploy', 'deploy/.sourceignore', 'deploy/app.yaml', 'logo.png']);

    // Layers over 1 MiB take one of two slots until stored: three of them all become Ready (a
    // slot not given back would leave the third waiting).
    const big = ['big-a', 'big-b', 'big-c'];
    for (const name of big) {
      await pushArtifact({ registryUrl: registry.url, repository: `manifests/${name}`, tag: 'v1', files: { 'data.txt': randomBytes(1_200_000).toString('hex') } });
      await env.client.create({
        apiVersion: V1, kind: 'OCIRepository', metadata: { name, namespace: env.ns },
        spec: { url: `oci://${registry.host}/manifests/${name}`, interval: '10m', insecure: true, ref: { tag: 'v1' } },
      });
    }
    for (const name of big) await readyWith('OCIRepository', name, (o) => cond(o, 'Ready')?.status === 'True', 'Ready');

    // layerSelector copy stores the layer blob as it is.
    const raw = Buffer.from('{"chart": "not gzip"}');
    const copied = await pushArtifact({ registryUrl: registry.url, repository: 'charts/raw', tag: 'v1', layer: raw, layerMediaType: 'application/vnd.example.raw' });
    await env.client.create({
      apiVersion: V1, kind: 'OCIRepository', metadata: { name: 'raw', namespace: env.ns },
      spec: { url: `oci://${registry.host}/charts/raw`, interval: '10m', insecure: true, ref: { tag: 'v1' }, layerSelector: { mediaType: 'application/vnd.example.raw', operation: 'copy' } },
    });
    const rawArtifact = (await readyWith('OCIRepository', 'raw', (o) => cond(o, 'Ready')?.status === 'True', 'Ready')).status?.artifact;
    assert.equal(rawArtifact?.digest, copied.layerDigest);
  });

  it('Bucket: objects become an artifact; a changed object changes the revision', async () => {
    const s3 = await startS3Server();
    stops.push(() => s3.stop());
    await s3.createBucket('app');
    await s3.putObject('app', 'deploy/app.yaml', 'kind: ConfigMap\n');
    await secret('s3-auth', { accesskey: s3.credentials.accessKeyId, secretkey: s3.credentials.secretAccessKey });
    await env.client.create({
      apiVersion: V1, kind: 'Bucket', metadata: { name: 'app', namespace: env.ns },
      spec: { bucketName: 'app', endpoint: new URL(s3.endpoint).host, insecure: true, interval: '10m', secretRef: { name: 's3-auth' } },
    });
    const first = await readyWith('Bucket', 'app', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
    assert.match(first.status?.artifact?.revision ?? '', /^sha256:[0-9a-f]{64}$/);
    await s3.putObject('app', 'deploy/app.yaml', 'kind: Secret\n');
    await requestReconcile('Bucket', 'app', 'b1');
    const second = await readyWith('Bucket', 'app', (o) => o.status?.lastHandledReconcileAt === 'b1' && cond(o, 'Ready')?.status === 'True', 'handled b1');
    assert.notEqual(second.status?.artifact?.revision, first.status?.artifact?.revision);
  });
});
