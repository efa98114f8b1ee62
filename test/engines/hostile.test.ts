// Hostile and broken inputs: each fails with a typed reason, and the pool keeps serving.
import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineError, EnginePool, type EngineErrorReason } from '../../src/engines/index.ts';
import { eventually } from '../tools/eventually.ts';
import { makeTempDir, type TempDir } from '../tools/tmp.ts';
import { engineBinary, heavyTree, inlineTreeOf, PODINFO, writeTree } from './helpers.ts';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n';

function isEngineError(reasons: readonly EngineErrorReason[], message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof EngineError, `expected an EngineError, got ${String(err)}`);
    assert.ok(reasons.includes(err.reason), `reason ${err.reason}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  };
}

/** Nine levels of ten aliases each: 10^9 leaves once expanded. */
function billionLaughs(): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: lol', 'data:', '  l0: &l0 "lol"'];
  for (let i = 1; i <= 9; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('engine pool with hostile inputs', () => {
  let binary: string;
  let tmp: TempDir;
  let pool: EnginePool;
  const log: string[] = [];
  before(async () => {
    binary = await engineBinary();
    tmp = await makeTempDir('eddy-engine-hostile-');
    pool = new EnginePool({ binary, size: 1, memoryLimitBytes: 256 * 1024 * 1024, timeoutMs: 20_000, logger: (e) => log.push(`${e.level} ${e.msg}`) });
  });
  after(async () => {
    await pool.close();
    await tmp.remove();
  });
  const tree = async (name: string, files: Record<string, string>) => {
    const root = join(tmp.path, name);
    await writeTree(root, files);
    return root;
  };
  const stillServes = async () => assert.match(await pool.kustomizeBuild({ root: PODINFO, path: '.' }), /kind: Deployment/);

  it('refuses a kustomization that reaches outside its root with ../', async () => {
    const root = await tree('outside', { 'secret.yaml': CM, 'app/kustomization.yaml': 'resources:\n  - ../secret.yaml\n' });
    await assert.rejects(pool.kustomizeBuild({ root, path: 'app' }), isEngineError(['BuildFailed'], /not in or below/));
    const escape = await tree('escape', { 'kustomization.yaml': 'resources:\n  - ../../../../../../etc/hostname\n' });
    await assert.rejects(pool.kustomizeBuild({ root: escape, path: '.' }), isEngineError(['BuildFailed']));
  });

  it('refuses a build path outside the root', async () => {
    const root = await tree('badpath', { 'kustomization.yaml': 'resources: []\n' });
    await assert.rejects(pool.kustomizeBuild({ root, path: '../..' }), isEngineError(['BuildFailed'], /inside the root/));
  });

  it('never follows a symlink, inside or out of the root', async () => {
    const root = await tree('symlink', { 'kustomization.yaml': 'resources:\n  - link.yaml\n' });
    await symlink('/etc/hostname', join(root, 'link.yaml'));
    await assert.rejects(pool.kustomizeBuild({ root, path: '.' }), isEngineError(['BuildFailed'], /link\.yaml/));
  });

  it('reports reference loops as build failures', async () => {
    const self = await tree('self', { 'kustomization.yaml': 'resources:\n  - .\n' });
    await assert.rejects(pool.kustomizeBuild({ root: self, path: '.' }), isEngineError(['BuildFailed'], /cycle detected/));
    const loop = await tree('loop', { 'a/kustomization.yaml': 'resources:\n  - sub\n', 'a/sub/kustomization.yaml': 'resources:\n  - ..\n' });
    await assert.rejects(pool.kustomizeBuild({ root: loop, path: 'a' }), isEngineError(['BuildFailed'], /cycle detected/));
  });

  it('passes kustomize’s message through for invalid YAML', async () => {
    const root = await tree('invalid', { 'kustomization.yaml': 'resources:\n  - cm.yaml\n', 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n' });
    await assert.rejects(pool.kustomizeBuild({ root, path: '.' }), isEngineError(['BuildFailed'], /yaml|YAML/));
    await stillServes();
  });

  it('stops a YAML alias bomb (memory limit or rejection) and keeps serving', async () => {
    const root = await tree('bomb', { 'kustomization.yaml': 'resources:\n  - bomb.yaml\ncommonLabels:\n  a: b\n', 'bomb.yaml': billionLaughs() });
    const started = Date.now();
    await assert.rejects(pool.kustomizeBuild({ root, path: '.' }), isEngineError(['MemoryLimit', 'BuildFailed']));
    assert.ok(Date.now() - started < 15_000);
    await stillServes();
  });

  it('kills a process above its memory limit with MemoryLimit and restarts it', async () => {
    const small = new EnginePool({ binary, size: 1, memoryLimitBytes: 40 * 1024 * 1024 });
    try {
      const root = await tree('heavy-memory', heavyTree(4000));
      await assert.rejects(small.kustomizeBuild({ root, path: '.' }), isEngineError(['MemoryLimit'], /memory limit of 40 MiB/));
      assert.match(await small.kustomizeBuild({ root: PODINFO, path: '.' }), /kind: Service/);
    } finally {
      await small.close();
    }
  });

  it('refuses remote bases and remote files unless allowed', async () => {
    const git = await tree('remote-git', { 'kustomization.yaml': 'resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.7.1\n' });
    await assert.rejects(pool.kustomizeBuild({ root: git, path: '.' }), isEngineError(['RemoteBaseRefused'], /helloWorld/));
    const bare = await tree('remote-bare', { 'kustomization.yaml': 'resources:\n  - github.com/example/repo//deploy?ref=main\n' });
    await assert.rejects(pool.kustomizeBuild({ root: bare, path: '.' }), isEngineError(['RemoteBaseRefused']));
    const file = await tree('remote-file', { 'kustomization.yaml': 'resources:\n  - cm.yaml\ncrds:\n  - https://example.com/crd.yaml\n', 'cm.yaml': CM });
    await assert.rejects(pool.kustomizeBuild({ root: file, path: '.' }), isEngineError(['RemoteBaseRefused']));
    // A local directory whose name looks like a host is not remote.
    const local = await tree('local-host-like', { 'kustomization.yaml': 'resources:\n  - example.com/app\n', 'example.com/app/kustomization.yaml': 'resources:\n  - cm.yaml\n', 'example.com/app/cm.yaml': CM });
    assert.match(await pool.kustomizeBuild({ root: local, path: '.' }), /name: ok/);
  });

  it('builds from an on-disk scratch copy when remote bases are allowed, with the same output', async () => {
    const inMemory = await pool.kustomizeBuild({ root: PODINFO, path: '.' });
    assert.equal(await pool.kustomizeBuild({ root: PODINFO, path: '.', allowRemoteBases: true }), inMemory);
    assert.equal(await pool.kustomizeBuild({ tree: await inlineTreeOf(PODINFO), path: '.', allowRemoteBases: true }), inMemory);
  });

  it('refuses inline file paths that are absolute or climb out of the root', async () => {
    const data = Buffer.from(CM);
    for (const path of ['../x.yaml', '/etc/x.yaml', 'a/../../x.yaml']) {
      await assert.rejects(pool.kustomizeBuild({ tree: { dirs: [], files: [{ path, data }] }, path: '.' }), isEngineError(['BuildFailed'], /inside the root/), path);
    }
    await assert.rejects(pool.kustomizeBuild({ tree: { dirs: ['../up'], files: [] }, path: '.' }), isEngineError(['BuildFailed'], /inside the root/));
    await stillServes();
  });

  it('rejects trees above the file or byte limit with InputTooLarge', async () => {
    const limited = new EnginePool({ binary, size: 1, inputLimits: { maxFiles: 2, maxBytes: 1000 } });
    try {
      const many = await tree('many', { 'kustomization.yaml': 'resources:\n  - a.yaml\n', 'a.yaml': CM, 'b.yaml': CM });
      await assert.rejects(limited.kustomizeBuild({ root: many, path: '.' }), isEngineError(['InputTooLarge'], /more than 2 files/));
      const big = await tree('big', { 'kustomization.yaml': 'resources:\n  - a.yaml\n', 'a.yaml': CM + `  big: "${'x'.repeat(2000)}"\n` });
      await assert.rejects(limited.kustomizeBuild({ root: big, path: '.' }), isEngineError(['InputTooLarge'], /larger than 1000 bytes/));
      // The same bounds for a tree sent inline.
      await assert.rejects(limited.kustomizeBuild({ tree: await inlineTreeOf(many), path: '.' }), isEngineError(['InputTooLarge'], /more than 2 files/));
      await assert.rejects(limited.kustomizeBuild({ tree: await inlineTreeOf(big), path: '.' }), isEngineError(['InputTooLarge'], /larger than 1000 bytes/));
    } finally {
      await limited.close();
    }
  });

  it('kills a build past its deadline, then serves the next request from a new process', async () => {
    const slow = new EnginePool({ binary, size: 1, timeoutMs: 150 });
    try {
      const root = await tree('heavy-timeout', heavyTree(4000));
      await slow.ping();
      const [before] = slow.processIds();
      await assert.rejects(slow.kustomizeBuild({ root, path: '.' }), isEngineError(['Timeout'], /did not finish in time/));
      // On a loaded machine (the whole suite at once) a fresh process may take longer than the
      // 150 ms deadline to answer its first ping: that too is killed and replaced.
      await eventually('a new engine process to answer', () => slow.ping().then(() => true), 10_000, 50);
      assert.notEqual(slow.processIds()[0], before);
    } finally {
      await slow.close();
    }
  });

  it('reports a crashed process as Crashed and restarts it', async () => {
    const root = await tree('heavy-crash', heavyTree(4000));
    await pool.ping();
    const [pid] = pool.processIds();
    assert.ok(pid !== undefined);
    const build = pool.kustomizeBuild({ root, path: '.' });
    setTimeout(() => process.kill(pid, 'SIGKILL'), 30);
    await assert.rejects(build, isEngineError(['Crashed'], /SIGKILL/));
    await stillServes();
    assert.notEqual(pool.processIds()[0], pid);
  });

  it('aborts a running build through its signal and keeps serving', async () => {
    const root = await tree('heavy-abort', heavyTree(4000));
    const ac = new AbortController();
    const build = pool.kustomizeBuild({ root, path: '.' }, ac.signal);
    setTimeout(() => ac.abort(new Error('reconcile cancelled')), 30);
    await assert.rejects(build, /reconcile cancelled/);
    await stillServes();
  });
});
