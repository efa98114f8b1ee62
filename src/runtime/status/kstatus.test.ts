import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { computeStatus } from './kstatus.ts';
import type { KStatus } from './kstatus.ts';

interface Parts {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

function mk(apiVersion: string, kind: string, p: Parts = {}): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'ns', ...p.metadata }, ...(p.spec ? { spec: p.spec } : {}), ...(p.status ? { status: p.status } : {}) };
}

const cond = (type: string, status: string, reason = '', message = '') => ({ type, status, reason, message });
const now = new Date('2025-01-01T00:01:00Z');

const deployOk = { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [cond('Available', 'True'), cond('Progressing', 'True', 'NewReplicaSetAvailable')] };
const stsOk = { replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'a' };
const dsOk = { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 };
const rsOk = { replicas: 2, readyReplicas: 2, availableReplicas: 2, fullyLabeledReplicas: 2 };

const cases: [name: string, obj: KubeObject | undefined, want: KStatus, reasonOrMessage?: string][] = [
  ['missing object', undefined, 'NotFound'],
  ['deletion timestamp', mk('v1', 'ConfigMap', { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } }), 'Terminating'],
  ['generation not observed', mk('apps/v1', 'Deployment', { metadata: { generation: 2 }, spec: { replicas: 3 }, status: { ...deployOk, observedGeneration: 1 } }), 'InProgress', 'LatestGenerationNotObserved'],
  ['Reconciling=True', mk('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', { status: { conditions: [cond('Reconciling', 'True', 'Progressing')] } }), 'InProgress', 'Progressing'],
  ['Stalled=True', mk('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', { status: { conditions: [cond('Stalled', 'True', 'BuildFailed')] } }), 'Failed', 'BuildFailed'],
  ['custom Ready=True', mk('example.com/v1', 'Widget', { metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }), 'Current', 'Resource is Ready'],
  ['custom Ready=False', mk('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'False', 'Waiting')] } }), 'InProgress', 'Waiting'],
  ['custom Ready=Unknown', mk('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'Unknown', 'Checking')] } }), 'InProgress', 'Checking'],
  ['custom without conditions', mk('example.com/v1', 'Widget'), 'Current', 'Resource is current'],
  ['ConfigMap', mk('v1', 'ConfigMap'), 'Current', 'Resource is always ready'],

  ['Deployment available', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: deployOk }), 'Current', 'Deployment is available. Replicas: 3'],
  ['Deployment deadline exceeded', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, conditions: [cond('Progressing', 'False', 'ProgressDeadlineExceeded')] } }), 'Failed', 'ProgressDeadlineExceeded'],
  ['Deployment fewer replicas', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, replicas: 1 } }), 'InProgress', 'LessReplicas'],
  ['Deployment fewer updated', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, updatedReplicas: 2 } }), 'InProgress', 'LessUpdated'],
  ['Deployment old pods terminating', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, replicas: 4 } }), 'InProgress', 'ExtraPods'],
  ['Deployment fewer available', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, availableReplicas: 2 } }), 'InProgress', 'LessAvailable'],
  ['Deployment fewer ready', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, readyReplicas: 2 } }), 'InProgress', 'LessReady'],
  ['Deployment new RS not yet available', mk('apps/v1', 'Deployment', { spec: { replicas: 3, progressDeadlineSeconds: 600 }, status: { ...deployOk, conditions: [cond('Available', 'True'), cond('Progressing', 'True', 'ReplicaSetUpdated')] } }), 'InProgress', 'ReplicaSetNotAvailable'],
  ['Deployment not Available', mk('apps/v1', 'Deployment', { spec: { replicas: 3 }, status: { ...deployOk, conditions: [cond('Progressing', 'True', 'NewReplicaSetAvailable')] } }), 'InProgress', 'DeploymentNotAvailable'],
  ['Deployment default replicas is 1', mk('apps/v1', 'Deployment', { status: { conditions: deployOk.conditions } }), 'InProgress', 'LessReplicas'],

  ['StatefulSet ready', mk('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: stsOk }), 'Current'],
  ['StatefulSet OnDelete', mk('apps/v1', 'StatefulSet', { spec: { replicas: 2, updateStrategy: { type: 'OnDelete' } } }), 'Current', 'StatefulSet is using the ondelete update strategy'],
  ['StatefulSet not ready', mk('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { ...stsOk, readyReplicas: 1 } }), 'InProgress', 'LessReady'],
  ['StatefulSet partition rolling', mk('apps/v1', 'StatefulSet', { spec: { replicas: 4, updateStrategy: { rollingUpdate: { partition: 2 } } }, status: { ...stsOk, replicas: 4, readyReplicas: 4, updatedReplicas: 1 } }), 'InProgress', 'PartitionRollout'],
  ['StatefulSet partition done', mk('apps/v1', 'StatefulSet', { spec: { replicas: 4, updateStrategy: { rollingUpdate: { partition: 2 } } }, status: { ...stsOk, replicas: 4, readyReplicas: 4, updatedReplicas: 2 } }), 'Current'],
  ['StatefulSet fewer current', mk('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { ...stsOk, currentReplicas: 1 } }), 'InProgress', 'LessCurrent'],
  ['StatefulSet revision mismatch', mk('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { ...stsOk, updateRevision: 'b' } }), 'InProgress', 'RevisionMismatch'],

  ['DaemonSet ready', mk('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, status: dsOk }), 'Current'],
  ['DaemonSet never observed', mk('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, status: { desiredNumberScheduled: 2 } }), 'InProgress', 'NoObservedGeneration'],
  ['DaemonSet without generation', mk('apps/v1', 'DaemonSet', { status: dsOk }), 'InProgress', 'NoGeneration'],
  ['DaemonSet without desired', mk('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, status: { observedGeneration: 1 } }), 'InProgress', 'NoDesiredNumber'],
  ['DaemonSet fewer updated', mk('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, status: { ...dsOk, updatedNumberScheduled: 1 } }), 'InProgress', 'LessUpdated'],
  ['DaemonSet fewer ready', mk('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, status: { ...dsOk, numberReady: 1 } }), 'InProgress', 'LessReady'],

  ['ReplicaSet ready', mk('apps/v1', 'ReplicaSet', { spec: { replicas: 2 }, status: rsOk }), 'Current'],
  ['ReplicaSet failure', mk('apps/v1', 'ReplicaSet', { spec: { replicas: 2 }, status: { ...rsOk, conditions: [cond('ReplicaFailure', 'True')] } }), 'InProgress', 'ReplicaFailure'],
  ['ReplicaSet not labelled', mk('apps/v1', 'ReplicaSet', { spec: { replicas: 2 }, status: { ...rsOk, fullyLabeledReplicas: 1 } }), 'InProgress', 'LessLabelled'],

  ['Pod ready', mk('v1', 'Pod', { status: { phase: 'Running', conditions: [cond('Ready', 'True')] } }), 'Current', 'Pod is Ready'],
  ['Pod succeeded', mk('v1', 'Pod', { status: { phase: 'Succeeded' } }), 'Current'],
  ['Pod failed is done', mk('v1', 'Pod', { status: { phase: 'Failed' } }), 'Current', 'Pod has completed, but not successfully'],
  ['Pod crash looping', mk('v1', 'Pod', { status: { phase: 'Running', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } }, { name: 'side', state: { running: {} } }] } }), 'Failed', 'ContainerCrashLooping'],
  ['Pod running not ready', mk('v1', 'Pod', { status: { phase: 'Running' } }), 'InProgress', 'PodRunningNotReady'],
  ['Pod pending', mk('v1', 'Pod', { status: { phase: 'Pending' } }), 'InProgress', 'PodPending'],
  ['Pod unschedulable within window', mk('v1', 'Pod', { metadata: { creationTimestamp: '2025-01-01T00:00:50Z' }, status: { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] } }), 'InProgress', 'PodNotScheduled'],
  ['Pod unschedulable past window', mk('v1', 'Pod', { metadata: { creationTimestamp: '2025-01-01T00:00:00Z' }, status: { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] } }), 'Failed', 'PodUnschedulable'],
  ['Pod not observed', mk('v1', 'Pod'), 'InProgress', 'PodNotObserved'],
  ['Pod unknown phase', mk('v1', 'Pod', { status: { phase: 'Weird' } }), 'Unknown'],

  ['Job complete', mk('batch/v1', 'Job', { spec: { completions: 2 }, status: { succeeded: 2, conditions: [cond('Complete', 'True')] } }), 'Current', 'Job Completed. succeeded: 2/2'],
  ['Job failed', mk('batch/v1', 'Job', { status: { failed: 3, conditions: [cond('Failed', 'True')] } }), 'Failed', 'JobFailed'],
  ['Job suspended', mk('batch/v1', 'Job', { status: { conditions: [cond('Suspended', 'True')] } }), 'Current', 'Job is suspended'],
  ['Job not started', mk('batch/v1', 'Job'), 'InProgress', 'JobNotStarted'],
  ['Job running', mk('batch/v1', 'Job', { status: { startTime: '2025-01-01T00:00:00Z', active: 1 } }), 'Current', 'Job in progress. success:0, active: 1, failed: 0'],

  ['PVC bound', mk('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), 'Current'],
  ['PVC pending', mk('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }), 'InProgress', 'PVC is not Bound. phase: Pending'],
  ['Service ClusterIP', mk('v1', 'Service', { spec: {} }), 'Current', 'Service is ready'],
  ['Service LB without IP', mk('v1', 'Service', { spec: { type: 'LoadBalancer' } }), 'InProgress', 'NoIPAssigned'],
  ['Service LB with IP', mk('v1', 'Service', { spec: { type: 'LoadBalancer', clusterIP: '10.0.0.1' } }), 'Current'],

  ['CRD established', mk('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('NamesAccepted', 'True'), cond('Established', 'True')] } }), 'Current', 'CRD is established'],
  ['CRD installing', mk('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('Established', 'False', 'Installing')] } }), 'InProgress', 'Installing'],
  ['CRD names rejected', mk('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('NamesAccepted', 'False', 'MultipleNamesNotAllowed', 'clash')] } }), 'Failed', 'MultipleNamesNotAllowed'],
  ['CRD not established', mk('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [cond('Established', 'False', 'Broken')] } }), 'Failed', 'Broken'],

  ['PDB observed', mk('policy/v1', 'PodDisruptionBudget', { metadata: { generation: 1 }, status: { observedGeneration: 1 } }), 'Current'],
  ['PDB not observed', mk('policy/v1', 'PodDisruptionBudget', { metadata: { generation: 2 }, status: { observedGeneration: 1 } }), 'InProgress', 'LatestGenerationNotObserved'],
];

describe('computeStatus', () => {
  for (const [name, obj, want, detail] of cases) {
    it(name, () => {
      const got = computeStatus(obj, { now });
      assert.equal(got.status, want, JSON.stringify(got));
      if (detail !== undefined) assert.ok(got.reason === detail || got.message === detail, JSON.stringify(got));
    });
  }

  it('words the generation message as kstatus does', () => {
    const got = computeStatus(mk('apps/v1', 'Deployment', { metadata: { generation: 5 }, status: { observedGeneration: 4 } }));
    assert.equal(got.message, 'Deployment generation is 5, but latest observed generation is 4');
  });
});
