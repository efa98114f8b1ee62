import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../kube/types.ts';
import type { KStatus } from '../runtime/status/kstatus.ts';
import { CelError, compileHealthCheckExprs, type HealthCheckExpr } from './index.ts';

const cond = (type: string, status: string) => ({ type, status, reason: 'R', message: 'm' });
const obj = (apiVersion: string, kind: string, status?: Record<string, unknown>, generation = 1): KubeObject => ({
  apiVersion, kind, metadata: { name: 'x', namespace: 'ns', generation }, spec: { replicas: 2 }, ...(status ? { status } : {}),
});

// Flux's documented SealedSecret example (kustomizations.md, "Health check expressions").
const SEALED: HealthCheckExpr = {
  apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret',
  failed: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'False')",
  current: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'True')",
};
// The cheatsheet's cert-manager Certificate.
const CERT: HealthCheckExpr = {
  apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
  failed: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')",
  current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
};
// A custom kind with all three expressions, has() guards and integer fields.
const WIDGET: HealthCheckExpr = {
  apiVersion: 'example.com/v1', kind: 'Widget',
  inProgress: "has(status.phase) && status.phase == 'Provisioning'",
  failed: "has(status.conditions) && status.conditions.exists(c, c.type == 'Stalled' && c.status == 'True')",
  current: 'has(status.readyReplicas) && status.readyReplicas == spec.replicas && status.readyReplicas + 0 >= 1',
};

const check = compileHealthCheckExprs([SEALED, CERT, WIDGET]);

const cases: { name: string; obj: KubeObject; want: KStatus | undefined; reason?: string }[] = [
  { name: 'SealedSecret Synced=True is Current', obj: obj('bitnami.com/v1alpha1', 'SealedSecret', { conditions: [cond('Synced', 'True')] }), want: 'Current' },
  { name: 'SealedSecret Synced=False is Failed', obj: obj('bitnami.com/v1alpha1', 'SealedSecret', { conditions: [cond('Synced', 'False')] }), want: 'Failed', reason: 'HealthCheckExprFailed' },
  // all() over an empty filter is true and failed is evaluated before current, as in Flux.
  { name: 'SealedSecret without a Synced condition is Failed (documented order)', obj: obj('bitnami.com/v1alpha1', 'SealedSecret', { conditions: [] }), want: 'Failed' },
  { name: 'SealedSecret without status is Unknown (the expression errs)', obj: obj('bitnami.com/v1alpha1', 'SealedSecret'), want: 'Unknown', reason: 'EvaluationFailed' },
  { name: 'Certificate Ready=True is Current', obj: obj('cert-manager.io/v1', 'Certificate', { conditions: [cond('Issuing', 'False'), cond('Ready', 'True')] }), want: 'Current' },
  { name: 'Certificate Ready=False is Failed', obj: obj('cert-manager.io/v1', 'Certificate', { conditions: [cond('Ready', 'False')] }), want: 'Failed' },
  { name: 'Certificate of another version of the group matches', obj: obj('cert-manager.io/v1beta1', 'Certificate', { conditions: [cond('Ready', 'True')] }), want: 'Current' },
  { name: 'Certificate with observedGeneration behind is InProgress first', obj: obj('cert-manager.io/v1', 'Certificate', { observedGeneration: 1, conditions: [cond('Ready', 'True')] }, 2), want: 'InProgress', reason: 'LatestGenerationNotObserved' },
  { name: 'Widget provisioning is InProgress even when Stalled', obj: obj('example.com/v1', 'Widget', { phase: 'Provisioning', conditions: [cond('Stalled', 'True')] }), want: 'InProgress', reason: 'HealthCheckExprInProgress' },
  { name: 'Widget stalled is Failed', obj: obj('example.com/v1', 'Widget', { phase: 'Running', conditions: [cond('Stalled', 'True')] }), want: 'Failed' },
  { name: 'Widget with all replicas ready is Current (integers are CEL ints)', obj: obj('example.com/v1', 'Widget', { readyReplicas: 2 }), want: 'Current' },
  { name: 'Widget with replicas missing: nothing true is InProgress', obj: obj('example.com/v1', 'Widget', {}), want: 'InProgress', reason: 'HealthCheckExprNotCurrent' },
  { name: 'a kind without expressions falls back to kstatus', obj: obj('apps/v1', 'Deployment', {}), want: undefined },
  { name: 'the same kind in another group falls back to kstatus', obj: obj('other.io/v1', 'Certificate', {}), want: undefined },
];

for (const c of cases) {
  test(`healthCheckExprs: ${c.name}`, () => {
    const got = check(c.obj);
    assert.equal(got?.status, c.want);
    if (c.reason) assert.equal(got?.reason, c.reason);
    if (got) assert.ok(got.message.length > 0);
  });
}

test('healthCheckExprs: an evaluation error is Unknown with the expression in the message', () => {
  const got = compileHealthCheckExprs([{ apiVersion: 'example.com/v1', kind: 'Thing', current: "status.phase == 'Ready'" }])(obj('example.com/v1', 'Thing', {}));
  assert.equal(got?.status, 'Unknown');
  assert.match(got?.message ?? '', /status\.phase == 'Ready'/);
});

test('healthCheckExprs: has() on a top-level field is an error, as Flux documents', () => {
  const got = compileHealthCheckExprs([{ apiVersion: 'example.com/v1', kind: 'Thing', current: 'has(status)' }])(obj('example.com/v1', 'Thing', { a: 1 }));
  assert.equal(got?.status, 'Unknown');
});

test('healthCheckExprs: a non-boolean result is Unknown', () => {
  const got = compileHealthCheckExprs([{ apiVersion: 'example.com/v1', kind: 'Thing', current: 'status.count' }])(obj('example.com/v1', 'Thing', { count: 3 }));
  assert.equal(got?.status, 'Unknown');
  assert.match(got?.message ?? '', /returned int 3, not a boolean/);
});

test('healthCheckExprs: the first entry for a group and kind wins', () => {
  const check2 = compileHealthCheckExprs([
    { apiVersion: 'example.com/v1', kind: 'Thing', current: 'true' },
    { apiVersion: 'example.com/v2', kind: 'Thing', current: 'false' },
  ]);
  assert.equal(check2(obj('example.com/v2', 'Thing', {}))?.status, 'Current');
});

const invalid: { name: string; exprs: HealthCheckExpr[]; message: RegExp }[] = [
  { name: 'current missing', exprs: [{ apiVersion: 'example.com/v1', kind: 'Thing', failed: 'true' }], message: /Thing\.example\.com: the expression current is required/ },
  { name: 'syntax error in failed', exprs: [{ apiVersion: 'example.com/v1', kind: 'Thing', current: 'true', failed: 'status.(' }], message: /Thing\.example\.com failed: failed to parse/ },
  { name: 'syntax error in a later entry', exprs: [CERT, { apiVersion: 'v1', kind: 'ConfigMap', current: '&& true' }], message: /ConfigMap\.core current/ },
  { name: 'kind missing', exprs: [{ apiVersion: 'example.com/v1', kind: '', current: 'true' }], message: /apiVersion and kind are required/ },
];

for (const c of invalid) {
  test(`healthCheckExprs do not compile: ${c.name}`, () => {
    assert.throws(() => compileHealthCheckExprs(c.exprs), (err: unknown) => err instanceof CelError && err.reason === 'CompileFailed' && c.message.test(err.message));
  });
}
