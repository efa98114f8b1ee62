import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../kube/types.ts';
import { CelError, compileReadyExpr } from './index.ts';

const ks = (name: string, extra: Partial<KubeObject> & { labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number } = {}): KubeObject => {
  const { labels, annotations, generation, ...rest } = extra;
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'apps', generation: generation ?? 2, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    ...rest,
  };
};
const readyStatus = { observedGeneration: 2, lastAppliedRevision: 'v1.2.3@sha256:abc', conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded' }] };

// Flux's documented lockstep example (kustomizations.md, "Dependency Ready Expression").
const LOCKSTEP = `dep.metadata.labels['app/version'] == self.metadata.labels['app/version'] &&
  dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True') &&
  dep.metadata.generation == dep.status.observedGeneration`;

const cases: { name: string; expr: string; self: KubeObject; dep: KubeObject; want: boolean | 'EvaluationFailed' }[] = [
  { name: 'lockstep: same version, Ready, observed', expr: LOCKSTEP, self: ks('front', { labels: { 'app/version': 'v1.2.3' } }), dep: ks('back', { labels: { 'app/version': 'v1.2.3' }, status: readyStatus }), want: true },
  { name: 'lockstep: other version', expr: LOCKSTEP, self: ks('front', { labels: { 'app/version': 'v1.2.4' } }), dep: ks('back', { labels: { 'app/version': 'v1.2.3' }, status: readyStatus }), want: false },
  { name: 'lockstep: generation not observed', expr: LOCKSTEP, self: ks('front', { labels: { 'app/version': 'v1.2.3' } }), dep: ks('back', { generation: 3, labels: { 'app/version': 'v1.2.3' }, status: readyStatus }), want: false },
  {
    name: 'annotation of self against the revision the dependency applied',
    expr: "dep.status.lastAppliedRevision.startsWith(self.metadata.annotations['apps/expected-version'] + '@')",
    self: ks('front', { annotations: { 'apps/expected-version': 'v1.2.3' } }), dep: ks('back', { status: readyStatus }), want: true,
  },
  { name: 'has() on a missing status is false', expr: 'has(dep.status) && dep.status.observedGeneration == dep.metadata.generation', self: ks('a'), dep: ks('b'), want: false },
  { name: 'has() on a missing label map is false', expr: "has(self.metadata.labels) && self.metadata.labels['x'] == 'y'", self: ks('a'), dep: ks('b'), want: false },
  { name: 'a missing field without has() fails evaluation', expr: "dep.status.conditions.exists(c, c.type == 'Ready')", self: ks('a'), dep: ks('b'), want: 'EvaluationFailed' },
  { name: 'a missing map key fails evaluation', expr: "self.metadata.labels['nope'] == 'x'", self: ks('a', { labels: {} }), dep: ks('b'), want: 'EvaluationFailed' },
  { name: 'numbers compare across int and double', expr: 'dep.metadata.generation == 2 && dep.status.observedGeneration > 1', self: ks('a'), dep: ks('b', { status: readyStatus }), want: true },
  { name: 'string extension functions', expr: "dep.metadata.name.lowerAscii().replace('b', 'c') == 'cack'", self: ks('a'), dep: ks('BACK'), want: true },
  { name: 'sets extension', expr: "sets.contains(dep.status.conditions.map(c, c.type), ['Ready'])", self: ks('a'), dep: ks('b', { status: readyStatus }), want: true },
  { name: 'base64 extension', expr: "base64.decode(base64.encode(b'hi')) == b'hi'", self: ks('a'), dep: ks('b'), want: true },
  { name: 'a non-boolean result fails evaluation', expr: 'dep.metadata.name', self: ks('a'), dep: ks('b'), want: 'EvaluationFailed' },
];

for (const c of cases) {
  test(`readyExpr: ${c.name}`, () => {
    const ready = compileReadyExpr(c.expr);
    if (c.want === 'EvaluationFailed') {
      assert.throws(() => ready({ self: c.self, dep: c.dep }), (err: unknown) => err instanceof CelError && err.reason === 'EvaluationFailed' && err.message.includes(c.expr));
    } else {
      assert.equal(ready({ self: c.self, dep: c.dep }), c.want);
    }
  });
}

const invalid: { name: string; expr: string; message: RegExp }[] = [
  { name: 'syntax error', expr: 'dep.status.observedGeneration ==', message: /failed to parse the CEL expression/ },
  { name: 'unknown variable', expr: "obj.status.phase == 'Ready'", message: /undeclared reference to 'obj' \(declared: self, dep\)/ },
  { name: 'unknown variable inside a macro', expr: 'dep.status.conditions.all(c, c.status == wanted)', message: /undeclared reference to 'wanted'/ },
  { name: 'optional field selection', expr: 'dep.status.?conditions.orValue([]).size() > 0', message: /`\.\?` .* not supported/ },
  { name: 'empty', expr: '  ', message: /empty CEL expression/ },
];

for (const c of invalid) {
  test(`readyExpr does not compile: ${c.name}`, () => {
    assert.throws(() => compileReadyExpr(c.expr), (err: unknown) => err instanceof CelError && err.reason === 'CompileFailed' && c.message.test(err.message));
  });
}

test('readyExpr: macro variables shadow nothing and need no declaration', () => {
  const ready = compileReadyExpr("dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && [1, 2].all(x, x > 0)");
  assert.equal(ready({ self: ks('a'), dep: ks('b', { status: readyStatus }) }), true);
});

test('readyExpr: compiled once, evaluated against many objects', () => {
  const ready = compileReadyExpr('dep.metadata.generation == dep.status.observedGeneration');
  for (let g = 1; g < 50; g++) {
    assert.equal(ready({ self: ks('a'), dep: ks('b', { generation: g, status: { observedGeneration: g % 2 === 0 ? g : g - 1 } }) }), g % 2 === 0);
  }
});
