// Wires the Kustomization controller into a manager (kustomize-controller's manager setup):
// reconcile on spec changes and requestedAt, on a new artifact of the source, when a
// dependency becomes ready, and when a watched ConfigMap or Secret changes.
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import type { EnginePool } from '../../engines/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { EventRecorder } from '../../runtime/events/recorder.ts';
import { eventSink } from '../../runtime/manager/kube-adapters.ts';
import { closeOnStop, type Manager } from '../../runtime/manager/manager.ts';
import { annotationChanged, generationChanged, or, type Predicate } from '../../runtime/manager/predicates.ts';
import { reconcileDurationHistogram } from '../../runtime/observe/metrics.ts';
import type { Request } from '../../runtime/queue/request.ts';
import { REQUESTED_AT } from '../shared/finish.ts';
import { artifactChanged } from '../shared/predicates.ts';
import { ClusterClients } from './cluster-client.ts';
import { KustomizationReconciler, type KustomizeSettings } from './kustomization-reconciler.ts';
import { CONTROLLER_NAME, KUSTOMIZATION_REF } from './reasons.ts';
import { SOURCE_REFS, sourceKeyOf } from './source-ref.ts';

export interface KustomizeControllerSettings extends KustomizeSettings {
  engine: EnginePool;
  concurrent: number;
  registry: Registry;
  defaultServiceAccount?: string | undefined;
  allowKubeconfigExec: boolean;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
}

const BY_SOURCE = 'source';
const BY_DEPENDENCY = 'dependsOn';
const BY_INPUT = 'input';
export const WATCH_LABEL = 'reconcile.fluxcd.io/watch';

const indexers = {
  [BY_SOURCE]: (k: KubeObject) => {
    const s = sourceKeyOf(k as Kustomization);
    return [`${s.kind}/${s.namespace}/${s.name}`];
  },
  [BY_DEPENDENCY]: (k: KubeObject) => ((k as Kustomization).spec.dependsOn ?? []).map((d) => `${d.namespace ?? k.metadata.namespace ?? ''}/${d.name}`),
  [BY_INPUT]: (k: KubeObject) => {
    const spec = (k as Kustomization).spec;
    const ns = k.metadata.namespace ?? '';
    const refs = (spec.postBuild?.substituteFrom ?? []).map((r) => `${r.kind}/${ns}/${r.name}`);
    if (spec.decryption?.secretRef) refs.push(`Secret/${ns}/${spec.decryption.secretRef.name}`);
    return refs;
  },
};

const readyOf = (o: KubeObject) => {
  const s = o['status'] as Kustomization['status'];
  return `${s?.conditions?.find((c) => c.type === 'Ready')?.status ?? ''}|${s?.lastAppliedRevision ?? ''}|${s?.observedGeneration ?? ''}`;
};
const readinessChanged: Predicate = (e) => e.type !== 'update' || readyOf(e.old) !== readyOf(e.object);

const toRequest = (k: KubeObject): Request => ({ namespace: k.metadata.namespace ?? '', name: k.metadata.name ?? '' });

export function setupKustomizeController(manager: Manager, s: KustomizeControllerSettings): KustomizationReconciler {
  // Flux runs kustomize-controller as its own process with its own --kube-api-qps budget; in one
  // eddy process each controller set gets a limiter of its own on the shared connection pool.
  const client = manager.client.withOwnRateLimit();
  const recorder = new EventRecorder({ sink: eventSink(manager.client.withOwnRateLimit()), reportingController: CONTROLLER_NAME, reportingInstance: `${CONTROLLER_NAME}-${hostname()}` });
  const scope = { ...(s.namespace ? { namespace: s.namespace } : {}), ...(s.labelSelector ? { labelSelector: s.labelSelector } : {}) };
  const clients = new ClusterClients({ base: client, defaultServiceAccount: s.defaultServiceAccount, allowExec: s.allowKubeconfigExec });
  const reconciler = new KustomizationReconciler({ manager, client, engine: s.engine, clients, recorder, histogram: reconcileDurationHistogram(s.registry), settings: s, scope });
  const kustomizations = () => manager.informers.get<Kustomization>({ ref: KUSTOMIZATION_REF, ...scope }, indexers);
  const users = (index: string, key: string) => kustomizations().byIndex(index, key).map(toRequest);
  const b = manager.controller('kustomization')
    .for(KUSTOMIZATION_REF, { predicates: [or(generationChanged, annotationChanged(REQUESTED_AT))], indexers, ...scope })
    .withOptions({ concurrency: s.concurrent });
  for (const ref of SOURCE_REFS) {
    b.watches(ref, (src) => {
      const reqs = users(BY_SOURCE, `${src.kind}/${src.metadata.namespace ?? ''}/${src.metadata.name ?? ''}`);
      // A new revision supersedes health checks still waiting on the old one.
      const trigger = `${ref.kind}/${src.metadata.namespace ?? ''}/${src.metadata.name ?? ''}`;
      for (const r of reqs) reconciler.cancelHealthChecks(`${r.namespace ?? ''}/${r.name}`, trigger);
      return reqs;
    }, { predicates: [artifactChanged], ...(s.namespace ? { namespace: s.namespace } : {}) });
  }
  b.watches(KUSTOMIZATION_REF, (dep) => users(BY_DEPENDENCY, `${dep.metadata.namespace ?? ''}/${dep.metadata.name ?? ''}`), { predicates: [readinessChanged], ...scope });
  for (const kind of ['ConfigMap', 'Secret']) {
    b.watches({ apiVersion: 'v1', kind }, (o) => users(BY_INPUT, `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`), {
      labelSelector: `${WATCH_LABEL}=Enabled`, metadataOnly: true, ...(s.namespace ? { namespace: s.namespace } : {}),
    });
  }
  b.complete(reconciler);
  manager.add(closeOnStop('kustomize-cluster-clients', () => clients.close()));
  return reconciler;
}
