import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import {
  ConditionType,
  ConditionWriter,
  formatTime,
  get,
  getConditions,
  isFalse,
  isReconciling,
  isStalled,
  isTrue,
  isUnknown,
  markTrue,
  Reason,
  remove,
} from './conditions.ts';

function repo(generation = 3): KubeObject {
  return { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'r', namespace: 'ns', generation } };
}

function steppingClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { clock: () => new Date(t), advance: (ms: number) => (t += ms) };
}

describe('conditions', () => {
  it('formats metav1.Time with whole seconds', () => {
    assert.equal(formatTime(new Date('2025-01-01T10:11:12.345Z')), '2025-01-01T10:11:12Z');
  });

  it('set keeps lastTransitionTime while the status is unchanged and moves it on a change', () => {
    const { clock, advance } = steppingClock();
    const w = new ConditionWriter(clock);
    const obj = repo();
    w.markFalse(obj, ConditionType.Ready, Reason.Progressing, 'working');
    assert.equal(get(obj, 'Ready')?.lastTransitionTime, '2025-01-01T00:00:00Z');
    advance(5_000);
    w.markFalse(obj, ConditionType.Ready, Reason.BuildFailed, 'still %s: %d', 'broken', 2);
    const same = get(obj, 'Ready');
    assert.equal(same?.lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(same?.reason, 'BuildFailed');
    assert.equal(same?.message, 'still broken: 2');
    advance(5_000);
    w.markTrue(obj, ConditionType.Ready, Reason.ReconciliationSucceeded, 'ok');
    assert.equal(get(obj, 'Ready')?.lastTransitionTime, '2025-01-01T00:00:10Z');
  });

  it('sets observedGeneration from metadata.generation', () => {
    const obj = repo(7);
    markTrue(obj, 'Healthy', 'Succeeded', 'ok');
    assert.equal(get(obj, 'Healthy')?.observedGeneration, 7);
  });

  it('leaves a message with % alone when no arguments are given', () => {
    const obj = repo();
    markTrue(obj, 'Healthy', 'Succeeded', '100% done %s');
    assert.equal(get(obj, 'Healthy')?.message, '100% done %s');
  });

  it('keeps Ready first and the rest sorted by type', () => {
    const w = new ConditionWriter(() => new Date(0));
    const obj = repo();
    for (const t of ['Stalled', 'ArtifactInStorage', 'Ready', 'FetchFailed', 'Reconciling']) {
      w.markTrue(obj, t, 'R', 'm');
    }
    assert.deepEqual(
      getConditions(obj).map((c) => c.type),
      ['Ready', 'ArtifactInStorage', 'FetchFailed', 'Reconciling', 'Stalled'],
    );
  });

  it('reads status predicates; a missing condition counts as Unknown', () => {
    const w = new ConditionWriter(() => new Date(0));
    const obj = repo();
    w.markTrue(obj, 'A', 'R', 'm');
    w.markFalse(obj, 'B', 'R', 'm');
    w.markUnknown(obj, 'C', 'R', 'm');
    assert.ok(isTrue(obj, 'A') && !isFalse(obj, 'A') && !isUnknown(obj, 'A'));
    assert.ok(isFalse(obj, 'B'));
    assert.ok(isUnknown(obj, 'C') && isUnknown(obj, 'D'));
    assert.equal(remove(obj, 'B'), true);
    assert.equal(remove(obj, 'B'), false);
    assert.equal(get(obj, 'B'), undefined);
  });

  it('markReconciling clears Stalled and markStalled clears Reconciling', () => {
    const w = new ConditionWriter(() => new Date(0));
    const obj = repo();
    w.markStalled(obj, 'InvalidURL', 'bad url');
    assert.ok(isStalled(obj));
    w.markReconciling(obj, 'Progressing', 'reconciling new object generation (%d)', 3);
    assert.ok(isReconciling(obj) && !isStalled(obj));
    assert.equal(get(obj, 'Reconciling')?.message, 'reconciling new object generation (3)');
    w.markStalled(obj, 'InvalidURL', 'bad url');
    assert.ok(isStalled(obj) && !isReconciling(obj));
  });

  it('skips malformed entries and tolerates a missing status', () => {
    const obj = repo();
    assert.deepEqual(getConditions(obj), []);
    obj.status = { conditions: [{ type: 'Ready' }, 'junk', { type: 'Ready', status: 'True', reason: 'r', message: '', lastTransitionTime: 'x' }] };
    assert.equal(getConditions(obj).length, 1);
  });
});
