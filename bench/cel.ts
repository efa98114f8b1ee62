// Throughput of compiled CEL programs (readyExpr and healthCheckExprs), single-threaded.
//   node bench/cel.ts [--seconds 2]
import { parseArgs } from 'node:util';
import { compileHealthCheckExprs, compileReadyExpr } from '../src/cel/index.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const SECONDS = Number(values.seconds);

const conditions = [
  { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: v1@sha256:abc', lastTransitionTime: '2026-01-01T00:00:00Z' },
  { type: 'Healthy', status: 'True', reason: 'Succeeded', message: 'Health check passed', lastTransitionTime: '2026-01-01T00:00:00Z' },
];
const ks = (name: string): KubeObject => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization',
  metadata: { name, namespace: 'apps', generation: 3, labels: { 'app/version': 'v1.2.3' }, annotations: { 'apps/expected': 'v1' } },
  spec: { interval: '10m', path: './deploy', prune: true, sourceRef: { kind: 'OCIRepository', name } },
  status: { observedGeneration: 3, lastAppliedRevision: 'v1@sha256:abc', conditions },
});
const cert: KubeObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c', generation: 1 }, spec: {}, status: { conditions } };

function rate(fn: () => unknown): number {
  for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

const ready = compileReadyExpr(`dep.metadata.labels['app/version'] == self.metadata.labels['app/version'] &&
  dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True') &&
  dep.metadata.generation == dep.status.observedGeneration`);
const health = compileHealthCheckExprs([{
  apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
  failed: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')",
  current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
}]);
const self = ks('front');
const dep = ks('back');
const compileT0 = performance.now();
for (let i = 0; i < 200; i++) compileReadyExpr(`dep.metadata.generation == dep.status.observedGeneration && self.metadata.name != '${i}'`);
const compileMs = (performance.now() - compileT0) / 200;

const readyRate = rate(() => ready({ self, dep }));
const healthRate = rate(() => health(cert));
const m = machine();
console.log(`machine: ${m.cpus} × ${m.cpuModel}, node ${m.node}\n`);
console.log('| measure | value |\n|---|---|');
console.log(`| compile a readyExpr | ${compileMs.toFixed(3)} ms |`);
console.log(`| readyExpr (Flux's lockstep example) | ${Math.round(readyRate).toLocaleString('en')} evaluations/s |`);
console.log(`| healthCheckExprs (Certificate: failed then current) | ${Math.round(healthRate).toLocaleString('en')} objects/s |`);
