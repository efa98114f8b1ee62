// Cluster lifecycle as users meet it: a second cluster beside the run's own, the CLI's output,
// an API server that dies and comes back, a crashed supervisor cleaned up, a port already taken.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ClusterError } from '../../src/cluster/errors.ts';
import { clusterDown, clusterStatus, clusterUp } from '../../src/cluster/lifecycle.ts';
import { readState } from '../../src/cluster/state.ts';
import { eventually } from '../tools/eventually.ts';
import { kubectl, testCluster } from './harness.ts';

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');

function eddy(args: string[], home: string): Promise<{ stdout: string; stderr: string }> {
  return exec(process.execPath, [join(repo, 'bin', 'eddy.mjs'), ...args], {
    env: { ...process.env, EDDY_HOME: home, PATH: process.env['PATH'] },
    timeout: 180_000,
  });
}


describe('a second cluster', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'eddy-second-'));
    // The binary is shared with the run's cluster: link it into this home's cache.
    await exec('mkdir', ['-p', join(home, 'bin')]);
  });
  after(async () => {
    await clusterDown(home, 'second').catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  it('starts beside the run cluster through the CLI, which prints the kubeconfig path last', async () => {
    const binary = testCluster().binary;
    await exec('ln', ['-sf', binary, join(home, 'bin', binary.split('/').pop() ?? '')]);
    const { stdout } = await eddy(['cluster', 'up', '--name', 'second', '--nodes', '1'], home);
    const kubeconfig = stdout.trim().split('\n').at(-1) ?? '';
    assert.equal(kubeconfig, join(home, 'clusters', 'second', 'kubeconfig'));
    await kubectl(['create', 'configmap', 'only-in-second', '-n', 'default'], { kubeconfig });
    await kubectl(['get', 'configmap', 'only-in-second', '-n', 'default'], { kubeconfig });
    const inFirst = await kubectl(['get', 'configmap', 'only-in-second', '-n', 'default', '--ignore-not-found', '-o', 'name']);
    assert.equal(inFirst.stdout.trim(), '', 'the clusters are separate');
    const { stdout: status } = await eddy(['cluster', 'status'], home);
    assert.match(status, /^second\tReady\thttps:\/\/127\.0\.0\.1:\d+\t/m);
    // `up` again is idempotent: same kubeconfig, nothing restarted.
    const before = await readState(join(home, 'clusters', 'second'));
    const again = await eddy(['cluster', 'up', '--name', 'second'], home);
    assert.equal(again.stdout.trim().split('\n').at(-1), kubeconfig);
    assert.equal((await readState(join(home, 'clusters', 'second')))?.pid, before?.pid);
  });

  it('restarts a killed kube-apiserver and serves again', async () => {
    const dir = join(home, 'clusters', 'second');
    const st = await readState(dir);
    const pid = st?.children['kube-apiserver'];
    assert.ok(pid && st.kubeconfig);
    process.kill(pid, 'SIGKILL');
    await eventually('a new kube-apiserver process', async () => {
      const now = await readState(dir);
      return now?.children['kube-apiserver'] !== pid;
    });
    await eventually('the API server to answer again', async () => {
      await kubectl(['get', 'configmap', 'only-in-second', '-n', 'default'], { kubeconfig: st.kubeconfig, timeoutMs: 5_000 });
      return true;
    });
  });

  it('is cleaned up by `down` after its supervisor was killed, and can start again', async () => {
    const dir = join(home, 'clusters', 'second');
    const st = await readState(dir);
    assert.ok(st);
    process.kill(st.pid, 'SIGKILL');
    // Children die with the supervisor (parent-death signal).
    await eventually('all component processes to exit', () =>
      Object.values(st.children).every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }),
    );
    assert.deepEqual((await clusterStatus(home)).map((c) => [c.name, c.phase]), [['second', 'Dead']]);
    // Stale state from the killed run does not stop a new start.
    const restarted = await clusterUp({ home, name: 'second', nodes: 1, binary: testCluster().binary });
    assert.equal(restarted.phase, 'Ready');
    process.kill(restarted.pid, 'SIGKILL');
    const { stderr } = await eddy(['cluster', 'down', '--name', 'second'], home);
    assert.match(stderr, /stopped and removed/);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  });
});

describe('a port already taken', () => {
  it('fails at once with PortTaken and the log path', async () => {
    const home = await mkdtemp(join(tmpdir(), 'eddy-port-'));
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await assert.rejects(
        clusterUp({ home, name: 'taken', nodes: 1, binary: testCluster().binary, apiserverPort: port, timeoutMs: 30_000 }),
        (err: unknown) =>
          err instanceof ClusterError && err.reason === 'PortTaken' && err.message.includes(String(port)) && err.logPath !== undefined,
      );
    } finally {
      server.close();
      await clusterDown(home, 'taken');
      await rm(home, { recursive: true, force: true });
    }
  });
});
