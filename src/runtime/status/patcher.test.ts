import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import { ConditionWriter, getConditions, remove } from './conditions.ts';
import { applyMergePatch, isPlainObject } from './merge-patch.ts';
import { StatusPatcher, StatusPatchError } from './patcher.ts';
import type { StatusWriter } from './patcher.ts';

/** An API server for one object: merge-patches status, honours a resourceVersion precondition. */
class FakeServer implements StatusWriter {
  obj: KubeObject;
  patches: unknown[] = [];
  managers: string[] = [];
  gone = false;

  constructor(obj: KubeObject) {
    this.obj = structuredClone(obj);
  }

  /** Someone else writes the object: the resourceVersion moves. */
  touch(mutate: (o: KubeObject) => void): void {
    mutate(this.obj);
    this.obj.metadata.resourceVersion = String(Number(this.obj.metadata.resourceVersion) + 1);
  }

  patchStatus(_ref: TypeRef, _ns: string | undefined, _name: string, patch: unknown, opts: { fieldManager: string }): Promise<KubeObject> {
    this.patches.push(structuredClone(patch));
    this.managers.push(opts.fieldManager);
    if (this.gone) return Promise.reject(Object.assign(new Error('not found'), { code: 404 }));
    const p = patch as { metadata?: { resourceVersion?: string }; status?: unknown };
    if (p.metadata?.resourceVersion !== undefined && p.metadata.resourceVersion !== this.obj.metadata.resourceVersion) {
      return Promise.reject(Object.assign(new Error('conflict'), { status: { kind: 'Status', apiVersion: 'v1', code: 409, reason: 'Conflict' } }));
    }
    this.touch((o) => {
      o.status = applyMergePatch(o.status, p.status);
    });
    return Promise.resolve(structuredClone(this.obj));
  }

  get = (): Promise<KubeObject> => Promise.resolve(structuredClone(this.obj));
}

const owned = ['Ready', 'Reconciling', 'Stalled', 'FetchFailed'];
const w = new ConditionWriter(() => new Date('2025-01-01T00:00:00Z'));

function seed(): KubeObject {
  const obj: KubeObject = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'podinfo', namespace: 'flux-system', generation: 4, resourceVersion: '10' },
    spec: { url: 'https://example.com/podinfo' },
    status: { observedGeneration: 3 },
  };
  w.markTrue(obj, 'Ready', 'Succeeded', 'old');
  w.markTrue(obj, 'Foreign', 'Theirs', 'kept by someone else');
  return obj;
}

function sentStatus(server: FakeServer, i: number): Record<string, unknown> {
  const p = server.patches[i];
  assert.ok(isPlainObject(p) && isPlainObject(p.status));
  return p.status;
}

describe('StatusPatcher', () => {
  it('a patch in flight while the caller keeps changing the object does not swallow those changes', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    let release: () => void = () => undefined;
    const slow: StatusWriter = {
      patchStatus: (...args) => new Promise((resolve, reject) => {
        release = () => void server.patchStatus(...args).then(resolve, reject);
      }),
    };
    const patcher = new StatusPatcher(obj, slow, { fieldManager: 'kustomize-controller', ownedConditions: owned });
    w.markTrue(obj, 'Reconciling', 'Progressing', 'working');
    const progress = patcher.patch(obj);
    // The reconcile moves on while the progress write is in flight.
    remove(obj, 'Reconciling');
    w.markTrue(obj, 'Ready', 'ReconciliationSucceeded', 'Applied revision: v2');
    (obj.status as Record<string, unknown>)['lastAppliedRevision'] = 'v2';
    release();
    await progress;
    const final = patcher.patch(obj, { observedGeneration: true });
    release();
    await final;
    const ready = getConditions(server.obj).find((c) => c.type === 'Ready');
    assert.equal(ready?.message, 'Applied revision: v2');
    assert.equal(getConditions(server.obj).some((c) => c.type === 'Reconciling'), false);
    assert.equal((server.obj.status as Record<string, unknown>)['lastAppliedRevision'], 'v2');
    assert.equal((server.obj.status as Record<string, unknown>)['observedGeneration'], 4);
  });

  it('keeps obj.status the same object across a patch, so a reference held by the reconcile still writes to it', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'source-controller', ownedConditions: owned });
    const status = obj.status as Record<string, unknown>;
    w.markTrue(obj, 'Reconciling', 'Progressing', 'working');
    await patcher.patch(obj);
    // Written through the reference taken before the patch (as a step that stores an artifact does).
    status['artifact'] = { revision: 'main@sha1:2' };
    remove(obj, 'Reconciling');
    await patcher.patch(obj, { observedGeneration: true });
    assert.equal(obj.status, status);
    assert.deepEqual((server.obj.status as Record<string, unknown>)['artifact'], { revision: 'main@sha1:2' });
  });

  it('sends nothing when status is unchanged', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'source-controller', ownedConditions: owned });
    (obj.spec as Record<string, unknown>).url = 'changed spec is not status';
    assert.equal(await patcher.patch(obj), undefined);
    assert.equal(server.patches.length, 0);
  });

  it('sends only changed fields, without a resourceVersion lock when conditions are untouched', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'source-controller', ownedConditions: owned });
    obj.status = { ...(obj.status as object), artifact: { revision: 'main@sha1:abc' } };
    await patcher.patch(obj, { observedGeneration: true });
    assert.deepEqual(server.patches[0], { status: { artifact: { revision: 'main@sha1:abc' }, observedGeneration: 4 } });
    assert.deepEqual(server.managers, ['source-controller']);
    assert.equal(obj.metadata.resourceVersion, '11');
  });

  it('writes owned conditions only, keeping foreign ones as the server has them', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'm', ownedConditions: owned });
    w.markFalse(obj, 'Ready', 'GitOperationFailed', 'boom');
    w.markTrue(obj, 'FetchFailed', 'GitOperationFailed', 'boom');
    w.markFalse(obj, 'Foreign', 'Mine', 'we must not write this');
    await patcher.patch(obj);
    const p = server.patches[0] as { metadata: { resourceVersion: string } };
    assert.equal(p.metadata.resourceVersion, '10');
    const conds = sentStatus(server, 0).conditions as { type: string; reason: string }[];
    assert.deepEqual(conds.map((c) => [c.type, c.reason]), [['Ready', 'GitOperationFailed'], ['FetchFailed', 'GitOperationFailed'], ['Foreign', 'Theirs']]);
    assert.equal(getConditions(obj).find((c) => c.type === 'Foreign')?.reason, 'Theirs');
  });

  it('patches several times in one reconcile, each time only the delta', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'm', ownedConditions: owned });
    w.markReconciling(obj, 'Progressing', 'working');
    await patcher.patch(obj);
    obj.status = { ...(obj.status as object), lastHandledReconcileAt: 'now' };
    await patcher.patch(obj);
    assert.deepEqual(server.patches[1], { status: { lastHandledReconcileAt: 'now' } });
    w.markTrue(obj, 'Ready', 'Succeeded', 'done');
    remove(obj, 'Reconciling');
    await patcher.patch(obj);
    const third = sentStatus(server, 2).conditions as { type: string }[];
    assert.deepEqual(third.map((c) => c.type), ['Ready', 'Foreign']);
    assert.equal(await patcher.patch(obj), undefined);
    assert.equal(server.patches.length, 3);
    assert.deepEqual(getConditions(server.obj).map((c) => c.type), ['Ready', 'Foreign']);
  });

  it('re-reads and retries once on conflict, keeping a foreign condition added meanwhile', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'm', ownedConditions: owned, get: server.get });
    server.touch((o) => w.markTrue(o, 'Other', 'Added', 'by another controller'));
    w.markStalled(obj, 'InvalidURL', 'bad url');
    await patcher.patch(obj);
    assert.equal(server.patches.length, 2);
    assert.deepEqual(getConditions(server.obj).map((c) => c.type).sort(), ['Foreign', 'Other', 'Ready', 'Stalled']);
    assert.equal(obj.metadata.resourceVersion, server.obj.metadata.resourceVersion);
  });

  it('reports Conflict without a getter and NotFound for a deleted object', async () => {
    const obj = seed();
    const server = new FakeServer(obj);
    const patcher = new StatusPatcher(obj, server, { fieldManager: 'm', ownedConditions: owned });
    server.touch(() => undefined);
    w.markStalled(obj, 'InvalidURL', 'bad url');
    await assert.rejects(patcher.patch(obj), (e: unknown) => e instanceof StatusPatchError && e.reason === 'Conflict');
    server.gone = true;
    await assert.rejects(patcher.patch(obj), (e: unknown) => e instanceof StatusPatchError && e.reason === 'NotFound');
  });
});
