import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { ArtifactServer } from '../../artifact/server.ts';
import { ArtifactStorage } from '../../artifact/storage.ts';
import { EventRecorder } from '../../runtime/events/recorder.ts';
import { eventSink } from '../../runtime/manager/kube-adapters.ts';
import { closeOnStop, type Manager } from '../../runtime/manager/manager.ts';
import { annotationChanged, generationChanged, or } from '../../runtime/manager/predicates.ts';
import { reconcileDurationHistogram } from '../../runtime/observe/metrics.ts';
import { REQUESTED_AT } from '../shared/finish.ts';
import { artifactChanged } from '../shared/predicates.ts';
import { bucketKind } from './bucket.ts';
import { gitRepositoryKind, includersOf } from './gitrepository.ts';
import type { GitRepository } from '../../api/source/v1/gitrepository.ts';
import type { ControllerBuilder } from '../../runtime/manager/builder.ts';
import { ociRepositoryKind } from './ocirepository.ts';
import { RegistryPool } from '../../sources/oci/index.ts';
import { SourceReconciler, type SourceObject } from './source-reconciler.ts';
import type { SourceKind } from './source-kind.ts';

export interface SourceSettings {
  storagePath: string;
  /** Where the artifact server listens, e.g. `:9090` or `127.0.0.1:0`. */
  storageAddr: string;
  /** Host:port consumers use in artifact URLs; default: the bound address. */
  storageAdvAddr?: string;
  retentionRecords: number;
  retentionTtlMs: number;
  concurrent: number;
  registry: Registry;
  namespace?: string;
  labelSelector?: string;
}


export interface SourceController {
  storage: ArtifactStorage;
  /** The artifact server's bound address. */
  serverAddress: string;
}

/**
 * Wires Flux's source-controller kinds into a manager: the artifact storage and its HTTP server
 * (listening from now until the manager stops), and one controller per kind reacting to spec
 * changes and `reconcile.fluxcd.io/requestedAt`.
 */
export async function setupSourceController(manager: Manager, s: SourceSettings): Promise<SourceController> {
  await mkdir(s.storagePath, { recursive: true });
  const server = new ArtifactServer({ root: s.storagePath });
  const serverAddress = await server.start(s.storageAddr);
  manager.add(closeOnStop('artifact-server', () => server.stop()));
  const storage = new ArtifactStorage({
    root: s.storagePath, advertisedBaseUrl: `http://${s.storageAdvAddr ?? serverAddress}`,
    retentionRecords: s.retentionRecords, retentionTtlMs: s.retentionTtlMs,
  });
  // Flux runs source-controller as its own process with its own --kube-api-qps budget, and
  // controller-runtime's event recorder has a client of its own: the same here.
  const client = manager.client.withOwnRateLimit();
  const recorder = new EventRecorder({ sink: eventSink(manager.client.withOwnRateLimit()), reportingController: 'source-controller', reportingInstance: `source-controller-${hostname()}` });
  const histogram = reconcileDurationHistogram(s.registry);
  const registries = new RegistryPool();
  manager.add(closeOnStop('oci-registry-clients', () => registries.close()));
  const scope = { ...(s.namespace ? { namespace: s.namespace } : {}), ...(s.labelSelector ? { labelSelector: s.labelSelector } : {}) };
  const register = <T extends SourceObject>(kind: SourceKind<T>, extra?: (b: ControllerBuilder) => void) => {
    const b = manager
      .controller(kind.ref.kind.toLowerCase())
      .for(kind.ref, { predicates: [or(generationChanged, annotationChanged(REQUESTED_AT))], ...scope })
      .withOptions({ concurrency: s.concurrent });
    extra?.(b);
    b.complete(new SourceReconciler<T>({ manager, client, kind, storage, recorder, histogram, registries, scope }));
  };
  // A new artifact of an included GitRepository rebuilds the repositories that include it.
  register(gitRepositoryKind as unknown as SourceKind<SourceObject>, (b) =>
    b.watches(gitRepositoryKind.ref, (o) => includersOf(manager.informers.get<GitRepository>({ ref: gitRepositoryKind.ref, ...scope }).list(), o)
      .map((r) => ({ namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' })), {
      predicates: [artifactChanged],
      ...scope,
    }));
  register(ociRepositoryKind as unknown as SourceKind<SourceObject>);
  register(bucketKind as unknown as SourceKind<SourceObject>);
  return { storage, serverAddress };
}
