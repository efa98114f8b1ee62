// The API server behaves like a real cluster's: version, node leases, CRD validation, RBAC
// with impersonation, server-side apply conflicts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandError } from '../tools/exec.ts';
import { createNamespace, kubectl, kubectlJson } from './harness.ts';

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CommandError, String(err));
    assert.match(err.stderr, pattern);
    return true;
  });
}

describe('the API server', { concurrency: true }, () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  before(async () => (ns = await createNamespace('api')));
  after(async () => ns.remove());

  it('reports Kubernetes v1.36.3 and Ready fake nodes that each hold a Lease', async () => {
    const v = await kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
    assert.equal(v.serverVersion.gitVersion, 'v1.36.3');
    const nodes = await kubectlJson<{ items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
    assert.ok(nodes.items.length >= 1);
    for (const node of nodes.items) {
      assert.ok(node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'), `${node.metadata.name} Ready`);
    }
    // Without node Leases the node lifecycle controller marks nodes NotReady after ~15 min.
    const leases = await kubectlJson<{ items: { metadata: { name: string }; spec: { holderIdentity?: string; renewTime?: string } }[] }>(
      ['get', 'leases', '-n', 'kube-node-lease'],
    );
    for (const node of nodes.items) {
      const lease = leases.items.find((l) => l.metadata.name === node.metadata.name);
      assert.ok(lease?.spec.renewTime, `node ${node.metadata.name} holds a renewed Lease`);
    }
  });

  it('serves a CRD and validates its custom resources against the schema', async () => {
    const group = `${ns.name}.eddy.test`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: {
            type: 'object', required: ['interval'],
            properties: { interval: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' } },
          } } } },
        }],
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
    await kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=60s']);
    after(() => kubectl(['delete', 'crd', `widgets.${group}`, '--wait=false']).then(() => undefined));
    const widget = (interval: string) =>
      JSON.stringify({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace: ns.name }, spec: { interval } });
    await kubectl(['apply', '-f', '-'], { input: widget('1m30s') });
    await rejects(kubectl(['apply', '-f', '-'], { input: widget('soon') }), /spec\.interval.*should match/);
    const got = await kubectlJson<{ spec: { interval: string } }>(['get', `widgets.${group}`, 'w', '-n', ns.name]);
    assert.equal(got.spec.interval, '1m30s');
  });

  it('refuses an impersonated ServiceAccount without RBAC and allows it after a RoleBinding', async () => {
    const n = ['-n', ns.name];
    await kubectl(['create', 'serviceaccount', 'reader', ...n]);
    const as = `--as=system:serviceaccount:${ns.name}:reader`;
    await rejects(kubectl(['get', 'configmaps', as, ...n]), /forbidden/i);
    await kubectl(['create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps', ...n]);
    await kubectl(['create', 'rolebinding', 'reader', '--role=cm-reader', `--serviceaccount=${ns.name}:reader`, ...n]);
    // The RBAC authorizer's cache follows the binding within moments; retry briefly.
    for (let i = 0; ; i++) {
      try {
        await kubectl(['get', 'configmaps', as, ...n]);
        break;
      } catch (err) {
        if (i >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await rejects(kubectl(['get', 'secrets', as, ...n]), /forbidden/i);
  });

  it('reports server-side apply conflicts between two field managers', async () => {
    const cm = (value: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: ns.name }, data: { key: value } });
    await kubectl(['apply', '--server-side', '--field-manager=first', '-f', '-'], { input: cm('one') });
    await rejects(kubectl(['apply', '--server-side', '--field-manager=second', '-f', '-'], { input: cm('two') }), /conflict.*"first"/is);
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=second', '-f', '-'], { input: cm('two') });
    const got = await kubectlJson<{ data: { key: string }; metadata: { managedFields: { manager: string }[] } }>(
      ['get', 'configmap', 'shared', '-n', ns.name, '--show-managed-fields'],
    );
    assert.equal(got.data.key, 'two');
    assert.ok(got.metadata.managedFields.some((f) => f.manager === 'second'));
  });
});
