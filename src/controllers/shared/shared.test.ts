import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { EventRecorder } from '../../runtime/events/recorder.ts';
import { isTerminalError } from '../../runtime/queue/errors.ts';
import { StatusPatcher } from '../../runtime/status/patcher.ts';
import { generic, stalling, waiting } from './errors.ts';
import { finishReconcile } from './finish.ts';
import { CONTINUE, runSteps, type Step } from './steps.ts';

const spec = { owned: ['Ready', 'Reconciling', 'Stalled', 'FetchFailed', 'ArtifactInStorage'], negativePolarity: ['Reconciling', 'Stalled', 'FetchFailed'] };

function fixture(): { obj: KubeObject; patches: unknown[]; events: KubeObject[]; patcher: StatusPatcher; recorder: EventRecorder } {
  const obj: KubeObject = {
    apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository',
    metadata: { name: 'r', namespace: 'n', generation: 2, resourceVersion: '1', annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' } }, spec: {},
  };
  const patches: unknown[] = [];
  const events: KubeObject[] = [];
  const patcher = new StatusPatcher(obj, {
    patchStatus: (_r, _ns, _n, patch) => {
      patches.push(patch);
      return Promise.resolve({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(patches.length + 1) } });
    },
  }, { fieldManager: 'test', ownedConditions: spec.owned });
  const recorder = new EventRecorder({
    sink: { create: (e) => { events.push(e); return Promise.resolve(e); }, patch: () => Promise.resolve({} as KubeObject) },
    reportingController: 'test', reportingInstance: 'test-0',
  });
  return { obj, patches, events, patcher, recorder };
}

const conds = (o: KubeObject) => Object.fromEntries(((o['status'] as { conditions?: { type: string; status: string; reason: string }[] }).conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('runSteps', () => {
  it('runs in order, keeps the earliest requeue, stops at an error', async () => {
    const seen: string[] = [];
    const step = (name: string, r: Awaited<ReturnType<Step<null>>> | Error): Step<null> => () => {
      seen.push(name);
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    };
    const out = await runSteps([step('a', { kind: 'requeue', afterMs: 500 }), step('b', { kind: 'requeue', afterMs: 100 }), step('c', new Error('boom')), step('d', CONTINUE)], null, new AbortController().signal);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(out.requeueAfterMs, 100);
    assert.equal(out.error?.policy, 'generic');
    assert.equal(out.error?.message, 'boom');
  });
});

describe('finishReconcile', () => {
  it('on success: Ready from the owned conditions, observedGeneration, lastHandledReconcileAt, requeue at interval', async () => {
    const f = fixture();
    const { markTrue } = await import('../../runtime/status/conditions.ts');
    markTrue(f.obj, 'ArtifactInStorage', 'Succeeded', "stored artifact for revision 'main@sha1:abc'");
    const res = await finishReconcile({ ...f, outcome: {}, spec, intervalMs: 60_000, successEvent: { reason: 'NewArtifact', note: 'stored' } });
    assert.deepEqual(res, { requeueAfterMs: 60_000 });
    assert.equal(conds(f.obj)['Ready'], 'True/Succeeded');
    const status = f.obj['status'] as { observedGeneration: number; lastHandledReconcileAt: string };
    assert.equal(status.observedGeneration, 2);
    assert.equal(status.lastHandledReconcileAt, 'now');
    await f.recorder.idle();
    assert.equal((f.events[0] as unknown as { reason: string }).reason, 'NewArtifact');
  });

  it('on a generic error: Ready False with its reason, Reconciling ProgressingWithRetry, rethrown for backoff, Warning event', async () => {
    const f = fixture();
    await assert.rejects(finishReconcile({ ...f, outcome: { error: generic('GitOperationFailed', 'no route') }, spec, intervalMs: 60_000 }), /no route/);
    assert.equal(conds(f.obj)['Ready'], 'False/GitOperationFailed');
    assert.equal(conds(f.obj)['Reconciling'], 'True/ProgressingWithRetry');
    assert.equal((f.obj['status'] as { observedGeneration?: number }).observedGeneration, undefined);
    await f.recorder.idle();
    assert.equal((f.events[0] as unknown as { type: string }).type, 'Warning');
  });

  it('on a stalling error: Stalled, terminal; on waiting: requeue without an event', async () => {
    const f = fixture();
    await assert.rejects(finishReconcile({ ...f, outcome: { error: stalling('InvalidURL', 'bad url') }, spec, intervalMs: 60_000 }), isTerminalError);
    assert.equal(conds(f.obj)['Stalled'], 'True/InvalidURL');
    assert.equal(conds(f.obj)['Ready'], 'False/InvalidURL');
    const g = fixture();
    assert.deepEqual(await finishReconcile({ ...g, outcome: { error: waiting('DependencyNotReady', 'wait', 30_000) }, spec, intervalMs: 60_000 }), { requeueAfterMs: 30_000 });
    await g.recorder.idle();
    assert.equal(g.events.length, 0);
  });
});
