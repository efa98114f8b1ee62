// The control plane is real: controllers, scheduler and KWOK move workloads to Ready.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNamespace, kubectl, kubectlJson } from './harness.ts';

interface Deployment {
  status: { availableReplicas?: number; updatedReplicas?: number };
  spec: { template: { spec: { containers: { image: string }[] } } };
}

describe('workloads on the local control plane', { concurrency: true }, () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  before(async () => (ns = await createNamespace('workloads')));
  after(async () => ns.remove());

  it('a 3-replica Deployment becomes Available and a rolling update to a new image completes', async () => {
    const n = ['-n', ns.name];
    await kubectl(['create', 'deployment', 'web', '--image=ghcr.io/example/web:1.0', '--replicas=3', ...n]);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s', ...n]);
    await kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=60s', ...n]);
    let d = await kubectlJson<Deployment>(['get', 'deployment', 'web', ...n]);
    assert.equal(d.status.availableReplicas, 3);

    await kubectl(['set', 'image', 'deployment/web', 'web=ghcr.io/example/web:2.0', ...n]);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s', ...n]);
    d = await kubectlJson<Deployment>(['get', 'deployment', 'web', ...n]);
    assert.equal(d.spec.template.spec.containers[0]?.image, 'ghcr.io/example/web:2.0');
    assert.equal(d.status.updatedReplicas, 3);
    assert.equal(d.status.availableReplicas, 3);
    const pods = await kubectlJson<{ items: { spec: { nodeName?: string; containers: { image: string }[] }; status: { phase: string } }[] }>(
      ['get', 'pods', '-l', 'app=web', ...n],
    );
    const running = pods.items.filter((p) => p.status.phase === 'Running' && p.spec.containers[0]?.image.endsWith(':2.0'));
    assert.ok(running.length >= 3, `3 new pods Running, got ${running.length}`);
    assert.ok(running.every((p) => p.spec.nodeName?.startsWith('eddy-node-')), 'pods were scheduled onto fake nodes');
  });

  it('a Job completes', async () => {
    const n = ['-n', ns.name];
    await kubectl(['create', 'job', 'once', '--image=busybox', ...n, '--', 'true']);
    await kubectl(['wait', '--for=condition=Complete', 'job/once', '--timeout=60s', ...n]);
    const job = await kubectlJson<{ status: { succeeded?: number } }>(['get', 'job', 'once', ...n]);
    assert.equal(job.status.succeeded, 1);
  });
});

describe('namespace deletion', () => {
  it('removes the objects inside the namespace', async () => {
    const ns = await createNamespace('doomed');
    const n = ['-n', ns.name];
    await kubectl(['create', 'configmap', 'settings', '--from-literal=a=b', ...n]);
    await kubectl(['create', 'deployment', 'web', '--image=ghcr.io/example/web:1.0', '--replicas=2', ...n]);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s', ...n]);
    await kubectl(['delete', 'namespace', ns.name, '--timeout=90s']);
    const { stdout } = await kubectl(['get', 'namespace', ns.name, '--ignore-not-found', '-o', 'name']);
    assert.equal(stdout.trim(), '', 'namespace is gone');
    const pods = await kubectlJson<{ items: unknown[] }>(['get', 'pods', '-A', '--field-selector', `metadata.namespace=${ns.name}`]);
    assert.equal(pods.items.length, 0, 'its pods are gone');
  });
});
