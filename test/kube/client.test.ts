// The Kubernetes client against the real control plane: verbs, raw JSON round trips, discovery
// refresh, typed errors, impersonation with several groups, watch with bookmarks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError, KubeClient, NoKindMatchError, isAlreadyExists, isConflict, isForbidden, isInvalid, isNotFound, type KubeObject, type WatchEvent } from '../../src/kube/index.ts';
import { createNamespace, kubectl, testCluster } from '../cluster/harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

function configMap(ns: string, name: string, data: Record<string, string>): KubeObject {
  return { ...CM, metadata: { name, namespace: ns }, data };
}

function deployment(ns: string, name: string): KubeObject {
  return {
    ...DEPLOY,
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

describe('KubeClient', { concurrency: true }, () => {
  let ns: Awaited<ReturnType<typeof createNamespace>>;
  let client: KubeClient;
  before(async () => {
    ns = await createNamespace('kube');
    client = KubeClient.fromKubeconfig({ kubeconfig: testCluster().kubeconfig });
  });
  after(async () => {
    await ns.remove();
    await client.close();
  });

  it('creates, gets, lists in pages, updates and deletes, with typed errors', async () => {
    for (let i = 0; i < 7; i++) await client.create(configMap(ns.name, `page-${i}`, { i: String(i) }));
    const got = await client.get(CM, 'page-3', ns.name);
    assert.deepEqual(got['data'], { i: '3' });
    const page = await client.list(CM, { namespace: ns.name, limit: 3, labelSelector: '' });
    assert.equal(page.items.length, 3);
    assert.ok(page.metadata.continue, 'a continue token for the next page');
    assert.ok(page.items.every((i) => i.apiVersion === 'v1' && i.kind === 'ConfigMap'), 'list items name their kind');
    const all = await client.listAll(CM, { namespace: ns.name, limit: 2 });
    assert.equal(all.items.filter((c) => c.metadata.name?.startsWith('page-')).length, 7);

    await assert.rejects(client.create(configMap(ns.name, 'page-0', {})), isAlreadyExists);
    await assert.rejects(client.get(CM, 'absent', ns.name), isNotFound);
    const updated = await client.update({ ...got, data: { i: 'three' } });
    assert.deepEqual(updated['data'], { i: 'three' });
    // A stale resourceVersion is a Conflict.
    await assert.rejects(client.update({ ...got, data: { i: 'stale' } }), isConflict);
    // Wrong uid precondition on delete is a Conflict too; the right one deletes.
    await assert.rejects(client.delete(CM, 'page-3', ns.name, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }), isConflict);
    await client.delete(CM, 'page-3', ns.name, { preconditions: { uid: updated.metadata.uid ?? '' }, propagationPolicy: 'Background' });
    await assert.rejects(client.get(CM, 'page-3', ns.name), isNotFound);
  });

  it('reports Invalid with field causes', async () => {
    const bad = configMap(ns.name, 'Not_A_Valid_Name', {});
    await assert.rejects(client.create(bad), (err: unknown) => {
      assert.ok(isInvalid(err));
      assert.equal(err.code, 422);
      assert.ok(err.causes.some((c) => c.field === 'metadata.name'), JSON.stringify(err.causes));
      return true;
    });
  });

  it('patches with merge, JSON and strategic merge patches', async () => {
    await client.create(deployment(ns.name, 'patched'));
    await client.patch(DEPLOY, 'patched', ns.name, { metadata: { labels: { merged: 'yes' } } }, { type: 'merge' });
    await client.patch(DEPLOY, 'patched', ns.name, [{ op: 'add', path: '/metadata/annotations', value: { json: 'yes' } }], { type: 'json' });
    // Strategic merge patch merges the containers list by name instead of replacing it.
    const d = await client.patch(DEPLOY, 'patched', ns.name, {
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'example/sidecar:1' }] } } },
    }, { type: 'strategic' });
    assert.equal(d.metadata.labels?.['merged'], 'yes');
    assert.equal(d.metadata.annotations?.['json'], 'yes');
    const containers = (d['spec'] as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
    assert.deepEqual(containers.map((c) => c.name).sort(), ['app', 'sidecar']);
  });

  it('server-side applies with a field manager, dry-run, conflicts and force', async () => {
    const cm = configMap(ns.name, 'applied', { owner: 'first' });
    const dry = await client.apply(cm, { fieldManager: 'first', dryRun: true });
    assert.deepEqual(dry['data'], { owner: 'first' });
    await assert.rejects(client.get(CM, 'applied', ns.name), isNotFound, 'dry run created nothing');
    await client.apply(cm, { fieldManager: 'first' });
    await assert.rejects(client.apply(configMap(ns.name, 'applied', { owner: 'second' }), { fieldManager: 'second' }), (err: unknown) => {
      assert.ok(err instanceof ApiError && err.reason === 'Conflict', String(err));
      assert.match(err.message, /first/);
      return true;
    });
    const forced = await client.apply(configMap(ns.name, 'applied', { owner: 'second' }), { fieldManager: 'second', force: true });
    assert.deepEqual(forced['data'], { owner: 'second' });
    assert.ok((forced.metadata.managedFields as { manager: string }[]).some((f) => f.manager === 'second'));
  });

  it('keeps unknown fields, uses the status subresource and finds a CRD that appears later', async () => {
    const group = `${ns.name}.client.eddy.test`;
    const ref = { apiVersion: `${group}/v1`, kind: 'Gadget' };
    await assert.rejects(client.get(ref, 'g', ns.name), NoKindMatchError);
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${group}` },
        spec: {
          group, scope: 'Namespaced', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
          versions: [{
            name: 'v1', served: true, storage: true, subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          }],
        },
      }),
    });
    after(() => kubectl(['delete', 'crd', `gadgets.${group}`, '--wait=false']).then(() => undefined));
    await kubectl(['wait', '--for=condition=Established', `crd/gadgets.${group}`, '--timeout=60s']);
    const spec = { nested: { deeper: [1, { x: 'y' }], 'odd-key': null, unicode: 'ü' } };
    let created: KubeObject | undefined;
    for (let i = 0; !created; i++) {
      // Discovery of a just-established CRD can lag by a moment.
      created = await client.create({ ...ref, metadata: { name: 'g', namespace: ns.name }, spec }).catch(async (err: unknown) => {
        if (!(err instanceof NoKindMatchError) || i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    assert.deepEqual(created['spec'], spec);
    const withStatus = await client.patchStatus(ref, 'g', ns.name, { status: { phase: 'Ready', extra: { any: true } } }, { type: 'merge' });
    assert.deepEqual(withStatus['status'], { phase: 'Ready', extra: { any: true } });
    // A main-resource update does not touch status.
    const again = await client.update({ ...withStatus, status: { phase: 'ignored' } });
    assert.deepEqual(again['status'], { phase: 'Ready', extra: { any: true } });
  });

  it('impersonates a user with several groups, honoured by RBAC', async () => {
    await kubectl(['create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps', '-n', ns.name]);
    await kubectl(['create', 'rolebinding', 'team-b-reads', '--role=cm-reader', '--group=team-b', '-n', ns.name]);
    const both = client.impersonate({ user: 'alice', groups: ['team-a', 'team-b'] });
    const onlyA = client.impersonate({ user: 'alice', groups: ['team-a'] });
    for (let i = 0; ; i++) {
      try {
        await both.list(CM, { namespace: ns.name });
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await assert.rejects(onlyA.list(CM, { namespace: ns.name }), isForbidden);
    await assert.rejects(both.create(configMap(ns.name, 'nope', {})), isForbidden);
  });

  it('lists and watches metadata only (PartialObjectMetadata)', async () => {
    await client.create({ ...configMap(ns.name, 'meta-only', { secretish: 'not in the answer' }), metadata: { name: 'meta-only', namespace: ns.name, labels: { meta: 'yes' } } });
    const list = await client.list(CM, { namespace: ns.name, labelSelector: 'meta=yes', metadataOnly: true });
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.equal(list.items[0]?.kind, 'PartialObjectMetadata');
    assert.equal(list.items[0]?.apiVersion, 'meta.k8s.io/v1');
    assert.equal(list.items[0]?.metadata.name, 'meta-only');
    assert.equal(list.items[0]?.['data'], undefined);
    const ac = new AbortController();
    for await (const ev of client.watch(CM, { namespace: ns.name, labelSelector: 'meta=yes', metadataOnly: true, signal: ac.signal })) {
      assert.equal(ev.object.kind, 'PartialObjectMetadata');
      assert.equal(ev.object['data'], undefined);
      break;
    }
    ac.abort();
  });

  it('watches ADDED, MODIFIED and DELETED and receives bookmarks', async () => {
    const start = await client.list(CM, { namespace: ns.name, labelSelector: 'watched=yes' });
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of client.watch(CM, {
        namespace: ns.name, labelSelector: 'watched=yes', resourceVersion: start.metadata.resourceVersion,
        allowWatchBookmarks: true, timeoutSeconds: 30, signal: ac.signal,
      })) {
        events.push(ev);
        if (ev.type === 'DELETED') break;
      }
    })();
    const cm = { ...configMap(ns.name, 'watched', { v: '1' }), metadata: { name: 'watched', namespace: ns.name, labels: { watched: 'yes' } } };
    await client.create(cm);
    await client.patch(CM, 'watched', ns.name, { data: { v: '2' } }, { type: 'merge' });
    await client.delete(CM, 'watched', ns.name);
    await done;
    ac.abort();
    assert.deepEqual(events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.deepEqual(events.find((e) => e.type === 'MODIFIED')?.object['data'], { v: '2' });
  });
});
