// kstatus (sigs.k8s.io/cli-utils pkg/kstatus/status): one verdict for any object. Generic
// rules first (deletion, observedGeneration, Reconciling/Stalled conditions); then rules for
// built-in kinds that predate those conventions; then a Ready condition; else Current.
import type { KubeObject } from '../../kube/types.ts';

export type KStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';

export interface KStatusResult {
  status: KStatus;
  message: string;
  /** Why it is InProgress or Failed (e.g. LessReady, ProgressDeadlineExceeded). */
  reason?: string;
}

export interface ComputeStatusOptions {
  /** Reference time for the Pod scheduling grace window. */
  now?: Date;
}

/** How long a Pod may stay unschedulable before it counts as Failed (kstatus: 15 s). */
export const podScheduleWindowMs = 15_000;

interface LooseCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

type Rule = (obj: KubeObject, now: Date) => KStatusResult;

const current = (message: string): KStatusResult => ({ status: 'Current', message });
const inProgress = (reason: string, message: string): KStatusResult => ({ status: 'InProgress', reason, message });
const failed = (reason: string, message: string): KStatusResult => ({ status: 'Failed', reason, message });

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** An integer field, or the fallback when absent or not a number (cli-utils GetIntField). */
function int(obj: unknown, path: string, fallback: number): number {
  const v = field(obj, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function str(obj: unknown, path: string, fallback: string): string {
  const v = field(obj, path);
  return typeof v === 'string' ? v : fallback;
}

function conditionsOf(obj: unknown): LooseCondition[] {
  const list = field(obj, 'status.conditions');
  if (!Array.isArray(list)) return [];
  return list.flatMap((c: unknown) => {
    if (typeof c !== 'object' || c === null) return [];
    const r = c as Record<string, unknown>;
    if (typeof r.type !== 'string') return [];
    const s = (k: string) => (typeof r[k] === 'string' ? r[k] : '');
    return [{ type: r.type, status: s('status'), reason: s('reason'), message: s('message') }];
  });
}

function findCondition(obj: unknown, type: string, status?: string): LooseCondition | undefined {
  return conditionsOf(obj).find((c) => c.type === type && (status === undefined || c.status === status));
}

function checkGeneration(obj: KubeObject): KStatusResult | undefined {
  const generation = field(obj, 'metadata.generation');
  const observed = field(obj, 'status.observedGeneration');
  if (typeof generation !== 'number' || typeof observed !== 'number' || observed === generation) return undefined;
  return inProgress('LatestGenerationNotObserved', `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`);
}

function checkGeneric(obj: KubeObject): KStatusResult | undefined {
  if (str(obj, 'metadata.deletionTimestamp', '') !== '') return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const gen = checkGeneration(obj);
  if (gen) return gen;
  for (const c of conditionsOf(obj)) {
    if (c.type === 'Reconciling' && c.status === 'True') return inProgress(c.reason, c.message);
    if (c.type === 'Stalled' && c.status === 'True') return failed(c.reason, c.message);
  }
  return undefined;
}

/** DaemonSet status is meaningless until the controller has observed the object at all. */
function checkGenerationSet(obj: KubeObject): KStatusResult | undefined {
  if (typeof field(obj, 'metadata.generation') !== 'number') return inProgress('NoGeneration', `${obj.kind} metadata.generation not found`);
  if (typeof field(obj, 'status.observedGeneration') !== 'number') {
    return inProgress('NoObservedGeneration', `${obj.kind} status.observedGeneration not found`);
  }
  return undefined;
}

const maxInt32 = 2_147_483_647;

function deploymentConditions(obj: KubeObject): KStatusResult | 'progressing-unknown' | 'unavailable' | undefined {
  // Without a deadline the controller never sets Progressing, so do not wait for it.
  let progressing = int(obj, 'spec.progressDeadlineSeconds', maxInt32) === maxInt32;
  let available = false;
  for (const c of conditionsOf(obj)) {
    if (c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') return failed(c.reason, 'Progress deadline exceeded');
    if (c.type === 'Progressing' && c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    if (c.type === 'Available' && c.status === 'True') available = true;
  }
  if (!progressing) return 'progressing-unknown';
  return available ? undefined : 'unavailable';
}

const deployment: Rule = (obj) => {
  const byConditions = deploymentConditions(obj);
  if (typeof byConditions === 'object') return byConditions;
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  if (spec > replicas) return inProgress('LessReplicas', `Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress('LessUpdated', `Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (updated > avail) return inProgress('LessAvailable', `Available: ${avail}/${updated}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (byConditions === 'progressing-unknown') return inProgress('ReplicaSetNotAvailable', 'ReplicaSet not Available');
  if (byConditions === 'unavailable') return inProgress('DeploymentNotAvailable', 'Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
};

const statefulSet: Rule = (obj) => {
  if (str(obj, 'spec.updateStrategy.type', '') === 'OnDelete') return current('StatefulSet is using the ondelete update strategy');
  const spec = int(obj, 'spec.replicas', 1);
  const ready = int(obj, 'status.readyReplicas', 0);
  const cur = int(obj, 'status.currentReplicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const replicas = int(obj, 'status.replicas', 0);
  const partition = int(obj, 'spec.updateStrategy.rollingUpdate.partition', -1);
  if (spec > replicas) return inProgress('LessReplicas', `Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    // Only ordinals at or above the partition are updated; the rest stay on the old revision.
    if (updated < spec - partition) return inProgress('PartitionRollout', `updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > cur) return inProgress('LessCurrent', `current: ${cur}/${spec}`);
  if (str(obj, 'status.currentRevision', '') !== str(obj, 'status.updateRevision', '')) {
    return inProgress('RevisionMismatch', 'Waiting for updated revision to match current');
  }
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
};

const daemonSet: Rule = (obj) => {
  const gen = checkGenerationSet(obj);
  if (gen) return gen;
  const desired = int(obj, 'status.desiredNumberScheduled', -1);
  const scheduled = int(obj, 'status.currentNumberScheduled', 0);
  const updated = int(obj, 'status.updatedNumberScheduled', 0);
  const avail = int(obj, 'status.numberAvailable', 0);
  const ready = int(obj, 'status.numberReady', 0);
  if (desired === -1) return inProgress('NoDesiredNumber', 'Missing .status.desiredNumberScheduled');
  if (desired > scheduled) return inProgress('LessCurrent', `Current: ${scheduled}/${desired}`);
  if (desired > updated) return inProgress('LessUpdated', `Updated: ${updated}/${desired}`);
  if (desired > avail) return inProgress('LessAvailable', `Available: ${avail}/${desired}`);
  if (desired > ready) return inProgress('LessReady', `Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
};

const replicaSet: Rule = (obj) => {
  if (findCondition(obj, 'ReplicaFailure', 'True')) return inProgress('ReplicaFailure', 'Replica Failure condition. Check Pods');
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  const labelled = int(obj, 'status.fullyLabeledReplicas', 0);
  if (spec > labelled) return inProgress('LessLabelled', `Labelled: ${labelled}/${spec}`);
  if (spec > avail) return inProgress('LessAvailable', `Available: ${avail}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
};

function crashLooping(obj: KubeObject): string[] {
  const statuses = field(obj, 'status.containerStatuses');
  if (!Array.isArray(statuses)) return [];
  return statuses.flatMap((cs: unknown) => {
    const name = field(cs, 'name');
    return typeof name === 'string' && field(cs, 'state.waiting.reason') === 'CrashLoopBackOff' ? [name] : [];
  });
}

const pod: Rule = (obj, now) => {
  const phase = str(obj, 'status.phase', '');
  switch (phase) {
    case 'Succeeded':
      return current('Pod has completed successfully');
    case 'Failed':
      // A finished Pod is done changing; whether it failed is its owner's business (Job).
      return current('Pod has completed, but not successfully');
    case 'Running': {
      if (findCondition(obj, 'Ready', 'True')) return current('Pod is Ready');
      const looping = crashLooping(obj);
      if (looping.length > 0) return failed('ContainerCrashLooping', `Containers in CrashLoop state: ${looping.join(',')}`);
      return inProgress('PodRunningNotReady', 'Pod is running but is not Ready');
    }
    case 'Pending': {
      if (findCondition(obj, 'PodScheduled', 'False')?.reason !== 'Unschedulable') return inProgress('PodPending', 'Pod is in the Pending phase');
      const created = Date.parse(str(obj, 'metadata.creationTimestamp', ''));
      // Give the scheduler a grace window before calling the Pod unschedulable.
      if (Number.isNaN(created) || now.getTime() - podScheduleWindowMs < created) {
        return inProgress('PodNotScheduled', 'Pod has not been scheduled');
      }
      return failed('PodUnschedulable', 'Pod could not be scheduled');
    }
    case '':
      return inProgress('PodNotObserved', 'Pod phase not available');
    default:
      return { status: 'Unknown', message: `unknown phase ${phase}` };
  }
};

const job: Rule = (obj) => {
  const parallelism = int(obj, 'spec.parallelism', 1);
  const completions = int(obj, 'spec.completions', parallelism);
  const succeeded = int(obj, 'status.succeeded', 0);
  const active = int(obj, 'status.active', 0);
  const failedPods = int(obj, 'status.failed', 0);
  for (const c of conditionsOf(obj)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === 'Failed') return failed('JobFailed', `Job Failed. failed: ${failedPods}/${completions}`);
    if (c.type === 'Suspended') return current('Job is suspended');
  }
  if (str(obj, 'status.startTime', '') === '') return inProgress('JobNotStarted', 'Job not started');
  // A running Job is Current: kstatus does not wait for completion (that is the caller's choice).
  return current(`Job in progress. success:${succeeded}, active: ${active}, failed: ${failedPods}`);
};

const pvc: Rule = (obj) => {
  const phase = str(obj, 'status.phase', 'unknown');
  return phase === 'Bound' ? current('PVC is Bound') : inProgress('NotBound', `PVC is not Bound. phase: ${phase}`);
};

const service: Rule = (obj) => {
  if (str(obj, 'spec.type', 'ClusterIP') === 'LoadBalancer' && str(obj, 'spec.clusterIP', '') === '') {
    return inProgress('NoIPAssigned', 'ClusterIP not set. Service type: LoadBalancer');
  }
  return current('Service is ready');
};

const crd: Rule = (obj) => {
  for (const c of conditionsOf(obj)) {
    if (c.type === 'NamesAccepted' && c.status === 'False') return failed(c.reason, c.message);
    if (c.type === 'Established' && c.status === 'False' && c.reason !== 'Installing') return failed(c.reason, c.message);
    if (c.type === 'Established' && c.status === 'True') return current('CRD is established');
  }
  return inProgress('Installing', 'Install in progress');
};

// The disruption controller sets no conditions; observedGeneration (checked generically) is all there is.
const pdb: Rule = () => current('AllowedDisruptions has been computed.');
const alwaysReady: Rule = () => current('Resource is always ready');

/** Built-in kinds by `group/Kind` (`Kind` for the core group). */
const rules: Readonly<Record<string, Rule>> = {
  Service: service,
  Pod: pod,
  Secret: alwaysReady,
  ConfigMap: alwaysReady,
  PersistentVolumeClaim: pvc,
  'apps/Deployment': deployment,
  'extensions/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'extensions/DaemonSet': daemonSet,
  'apps/ReplicaSet': replicaSet,
  'extensions/ReplicaSet': replicaSet,
  'policy/PodDisruptionBudget': pdb,
  'batch/Job': job,
  'batch/CronJob': alwaysReady,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
};

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function readyCondition(obj: KubeObject): KStatusResult | undefined {
  const ready = findCondition(obj, 'Ready');
  if (!ready) return undefined;
  if (ready.status === 'True') return current('Resource is Ready');
  if (ready.status === 'False' || ready.status === 'Unknown') return inProgress(ready.reason, ready.message);
  return undefined;
}

/** kstatus verdict for an object; pass undefined/null for an object that does not exist. */
export function computeStatus(obj: KubeObject | null | undefined, opts: ComputeStatusOptions = {}): KStatusResult {
  if (obj === null || obj === undefined) return { status: 'NotFound', message: 'Resource not found' };
  const generic = checkGeneric(obj);
  if (generic) return generic;
  const group = groupOf(obj.apiVersion);
  const rule = rules[group === '' ? obj.kind : `${group}/${obj.kind}`];
  if (rule) return rule(obj, opts.now ?? new Date());
  return readyCondition(obj) ?? current('Resource is current');
}
