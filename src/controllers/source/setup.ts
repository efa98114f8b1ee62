import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { ArtifactServer } from '../../artifact/server.ts';
import { ArtifactStorage } from '../../artifact/storage.ts';
import { EventRecorder } from '../../runtime/events/recorder.ts';
import { eventSink } from '../../runtime/manager/kube-adapters.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { annotationChanged, generationChanged, or } from '../../runtime/manager/predicates.ts';
import { reconcileDurationHistogram } from '../../runtime/observe/metrics.ts';
import { REQUESTED_AT } from '../shared/finish.ts';
import { bucketKind } from './bucket.ts';
import { gitRepositoryKind } from './gitrepository.ts';
import { ociRepositoryKind } from './ocirepository.ts';
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
  manager.add({
    name: 'artifact-server',
    start: async (signal) => {
      await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
      await server.stop();
    },
  });
  const storage = new ArtifactStorage({
    root: s.storagePath, advertisedBaseUrl: `http://${s.storageAdvAddr ?? serverAddress}`,
    retentionRecords: s.retentionRecords, retentionTtlMs: s.retentionTtlMs,
  });
  const recorder = new EventRecorder({ sink: eventSink(manager.client), reportingController: 'source-controller', reportingInstance: `source-controller-${hostname()}` });
  const histogram = reconcileDurationHistogram(s.registry);
  const scope = { ...(s.namespace ? { namespace: s.namespace } : {}), ...(s.labelSelector ? { labelSelector: s.labelSelector } : {}) };
  const register = <T extends SourceObject>(kind: SourceKind<T>) => {
    manager
      .controller(kind.ref.kind.toLowerCase())
      .for(kind.ref, { predicates: [or(generationChanged, annotationChanged(REQUESTED_AT))], ...scope })
      .withOptions({ concurrency: s.concurrent })
      .complete(new SourceReconciler<T>({ manager, kind, storage, recorder, histogram, scope }));
  };
  register(gitRepositoryKind as unknown as SourceKind<SourceObject>);
  register(ociRepositoryKind as unknown as SourceKind<SourceObject>);
  register(bucketKind as unknown as SourceKind<SourceObject>);
  return { storage, serverAddress };
}
