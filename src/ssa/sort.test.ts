import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../kube/types.ts';
import { sortObjects, splitStages, writeTier } from './sort.ts';

const o = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe('sortObjects', () => {
  it('orders kinds as Flux does, whatever the input order', () => {
    const input = [
      o('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'hook'),
      o('apps/v1', 'Deployment', 'web', 'apps'),
      o('example.com/v1', 'Widget', 'w', 'apps'),
      o('v1', 'Service', 'web', 'apps'),
      o('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', 'apps'),
      o('v1', 'ServiceAccount', 'sa', 'apps'),
      o('v1', 'ConfigMap', 'b', 'apps'),
      o('v1', 'ConfigMap', 'a', 'apps'),
      o('v1', 'Namespace', 'apps'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
    ];
    const names = (objs: KubeObject[]) => objs.map((x) => `${x.kind}/${x.metadata.name ?? ''}`);
    const expected = [
      'CustomResourceDefinition/widgets.example.com', 'Namespace/apps', 'ServiceAccount/sa', 'RoleBinding/rb',
      'ConfigMap/a', 'ConfigMap/b', 'Service/web', 'Deployment/web', 'Widget/w', 'ValidatingWebhookConfiguration/hook',
    ];
    assert.deepEqual(names(sortObjects(input)), expected);
    assert.deepEqual(names(sortObjects([...input].reverse())), expected);
  });
});

describe('splitStages', () => {
  it('puts CRDs and Namespaces first, *Class kinds second, the rest last', () => {
    const s = splitStages([
      o('v1', 'ConfigMap', 'c', 'x'),
      o('networking.k8s.io/v1', 'IngressClass', 'nginx'),
      o('v1', 'Namespace', 'x'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'a.b.c'),
      o('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'),
      // A custom kind named Namespace is not a Namespace.
      o('example.com/v1', 'Namespace', 'fake'),
    ]);
    assert.deepEqual(s.definitions.map((x) => x.kind), ['Namespace', 'CustomResourceDefinition']);
    assert.deepEqual(s.classes.map((x) => x.kind), ['IngressClass']);
    assert.deepEqual(s.resources.map((x) => x.kind), ['ConfigMap', 'ClusterRole', 'Namespace']);
  });
});

describe('writeTier', () => {
  it('writes what workloads read first, webhooks last, everything else between', () => {
    const tiers = (kinds: string[]) => kinds.map((k) => `${k}:${writeTier(k)}`);
    assert.deepEqual(tiers(['ServiceAccount', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Service', 'LimitRange']),
      ['ServiceAccount:0', 'ClusterRoleBinding:0', 'ConfigMap:0', 'Secret:0', 'Service:0', 'LimitRange:0']);
    assert.deepEqual(tiers(['Deployment', 'StatefulSet', 'Ingress', 'Widget', 'PodDisruptionBudget']),
      ['Deployment:1', 'StatefulSet:1', 'Ingress:1', 'Widget:1', 'PodDisruptionBudget:1']);
    assert.deepEqual(tiers(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']),
      ['MutatingWebhookConfiguration:2', 'ValidatingWebhookConfiguration:2']);
  });
});
