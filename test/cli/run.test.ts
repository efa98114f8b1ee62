// `eddy run` as an operator starts it: health and readiness probes, metrics, leader election
// with the Lease released on SIGTERM, a clean exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyCRDs } from '../../src/cli/install.ts';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/index.ts';
import { createNamespace, testCluster } from '../cluster/harness.ts';
import { eventually } from '../tools/eventually.ts';
import { freePort } from '../tools/ports.ts';

const repo = resolve(import.meta.dirname, '..', '..');

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('eddy run', () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let client: KubeClient;
  before(async () => {
    ns = await createNamespace('run');
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
    // The source controller's informers sync only once its CRDs are served.
    await applyCRDs(client, { timeoutMs: 60_000 });
  });
  after(async () => {
    await client.close();
    await ns.remove();
  });

  it('serves probes and metrics, holds the leader Lease, and releases it on SIGTERM', async () => {
    const [health, metrics] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [
      join(repo, 'bin', 'eddy.mjs'), 'run', '--kubeconfig', testCluster().kubeconfig,
      '--health-addr', `127.0.0.1:${health}`, '--metrics-addr', `127.0.0.1:${metrics}`,
      '--enable-leader-election', '--leader-election-namespace', ns.name, '--log-level', 'debug',
      '--storage-addr', '127.0.0.1:0', '--storage-path', join(tmpdir(), `eddy-run-storage-${ns.name}`),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (logs += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (logs += c));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await eventually('/readyz 200', async () => ((await httpGet(`http://127.0.0.1:${health}/readyz`)).status === 200 ? true : undefined));
      assert.equal((await httpGet(`http://127.0.0.1:${health}/healthz`)).status, 200);
      const m = await httpGet(`http://127.0.0.1:${metrics}/metrics`);
      assert.equal(m.status, 200);
      assert.match(m.body, /process_cpu_user_seconds_total/);
      assert.match(m.body, /controller_runtime_reconcile_total\{controller="gitrepository"/);
      assert.match(m.body, /workqueue_depth\{name="gitrepository"\}/);
      const lease = await eventually('the leader Lease', async () => {
        const l = await client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'eddy-controller-leader-election', ns.name);
        return (l['spec'] as { holderIdentity?: string }).holderIdentity ? l : undefined;
      });
      assert.match((lease['spec'] as { holderIdentity: string }).holderIdentity, /_[0-9a-f]{8}$/);
      const line = logs.split('\n').find((l) => l.includes('became leader'));
      assert.ok(line, `a JSON log line says it became leader:\n${logs}`);
      assert.equal((JSON.parse(line) as { level: string }).level, 'info');

      child.kill('SIGTERM');
      assert.equal(await exited, 0, logs);
      const released = await client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'eddy-controller-leader-election', ns.name);
      assert.equal((released['spec'] as { holderIdentity?: string }).holderIdentity ?? '', '', 'Lease released on shutdown');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses unknown components and bad durations with one clear line', async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((r) => {
      const c = spawn(process.execPath, [join(repo, 'bin', 'eddy.mjs'), 'run', '--kubeconfig', testCluster().kubeconfig, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.once('exit', (code) => r({ code, stderr }));
    });
    const a = await run(['--components', 'warp-drive']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^eddy: unknown components: warp-drive/m);
    const b = await run(['--min-retry-delay', 'soon']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /invalid duration "soon"/);
  });
});
