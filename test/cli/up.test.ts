// The README's first command as a newcomer types it: `eddy up` brings up a control plane, the
// controllers and the podinfo example from a local Git repository; a commit is deployed;
// `eddy down` stops it all. Runs in its own EDDY_HOME with the run's prebuilt binaries.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { KubeClient } from '../../src/kube/index.ts';
import { testCluster } from '../cluster/harness.ts';
import { eventually } from '../tools/eventually.ts';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
const eddy = (home: string, args: string[]) =>
  run(process.execPath, [join(repo, 'bin', 'eddy.mjs'), ...args], { env: { ...process.env, EDDY_HOME: home }, timeout: 300_000 });

describe('eddy up / eddy down', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'eddy-up-'));
    await mkdir(join(home, 'bin'));
    for (const b of [testCluster().binary, process.env['EDDY_ENGINE_BINARY'] ?? '']) if (b) await symlink(b, join(home, 'bin', basename(b)));
  });
  after(async () => {
    await eddy(home, ['down', '--name', 'e2e']).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  it('reconciles the bundled example, deploys a commit, and stops', async () => {
    const up = await eddy(home, ['up', '--name', 'e2e']);
    assert.match(up.stderr, /✓ reconcile the example until the Deployment is Available/);
    assert.match(up.stdout, /podinfo is deployed/);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(up.stdout)?.[1] ?? '';
    const client = KubeClient.fromKubeconfig({ kubeconfig });
    try {
      const d = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'podinfo', 'default');
      assert.ok(((d['status'] as { availableReplicas?: number }).availableReplicas ?? 0) >= 1);
      // The change loop the output describes: edit, commit, ask for a reconcile.
      const worktree = join(home, 'local', 'e2e', 'repos', 'podinfo');
      const hpa = join(worktree, 'hpa.yaml');
      await writeFile(hpa, (await readFile(hpa, 'utf8')).replace('minReplicas: 2', 'minReplicas: 4'));
      await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qam', 'four'], { cwd: worktree });
      await client.patch({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' }, 'podinfo', 'flux-system', { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'e2e' } } }, { type: 'merge' });
      await eventually('the commit is applied', async () => {
        const h = await client.get({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }, 'podinfo', 'default');
        return (h['spec'] as { minReplicas: number }).minReplicas === 4;
      }, 60_000);
    } finally {
      await client.close();
    }
    const down = await eddy(home, ['down', '--name', 'e2e']);
    assert.match(down.stderr, /controllers stopped/);
    assert.match(down.stderr, /cluster e2e stopped and removed/);
  });
});
