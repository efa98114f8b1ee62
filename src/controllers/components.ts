import type { Registry } from 'prom-client';
import { closeOnStop, type Manager } from '../runtime/manager/manager.ts';
import { EnginePool, ensureEngineBinary } from '../engines/index.ts';
import type { LocalArtifacts } from './kustomize/fetch.ts';
import { setupKustomizeController } from './kustomize/setup.ts';
import { setupSourceController } from './source/setup.ts';

/** Settings every component receives from `eddy run`'s flags. */
export interface ComponentSettings {
  concurrent: number;
  requeueDependencyMs: number;
  intervalJitterPercent: number;
  watchAllNamespaces: boolean;
  /** Namespace watched when watchAllNamespaces is false. */
  namespace: string;
  watchLabelSelector: string;
  registry: Registry;
  storage: { path: string; addr: string; advAddr?: string; retentionRecords: number; retentionTtlMs: number };
  log: (fields: Record<string, unknown>, msg: string) => void;
  /** eddy's home: built engine binaries are cached under it. */
  home: string;
  allowKubeconfigExec: boolean;
  noCrossNamespaceRefs: boolean;
  noRemoteBases: boolean;
  defaultServiceAccount?: string | undefined;
  /** Engine processes for rendering, and each one's memory cap. */
  engines: { size: number; memoryLimitBytes: number; binary?: string | undefined };
  /** What one component offers the others in this process (filled in as they are set up). */
  shared: SharedByComponents;
}

export interface SharedByComponents {
  /** The source controller's storage: a kustomize controller beside it reads artifacts from disk. */
  artifacts?: LocalArtifacts;
}

/** A controller set that `eddy run --components` can enable (Flux's source, kustomize, helm, …). */
export interface Component {
  name: string;
  setup(manager: Manager, settings: ComponentSettings): void | Promise<void>;
}

/** The components implemented so far; later issues append theirs. */
export const components: readonly Component[] = [
  {
    name: 'source-controller',
    setup: async (manager, s) => {
      const { serverAddress, storage } = await setupSourceController(manager, {
        storagePath: s.storage.path, storageAddr: s.storage.addr, ...(s.storage.advAddr ? { storageAdvAddr: s.storage.advAddr } : {}),
        retentionRecords: s.storage.retentionRecords, retentionTtlMs: s.storage.retentionTtlMs,
        concurrent: s.concurrent, registry: s.registry,
        ...(s.watchAllNamespaces ? {} : { namespace: s.namespace }),
        ...(s.watchLabelSelector ? { labelSelector: s.watchLabelSelector } : {}),
      });
      s.shared.artifacts = storage;
      s.log({ storage: s.storage.path, address: serverAddress }, 'artifact server listening');
    },
  },
  {
    name: 'kustomize-controller',
    setup: async (manager, s) => {
      const binary = s.engines.binary ?? await ensureEngineBinary({ home: s.home, onProgress: (line) => s.log({}, line) });
      const engine = new EnginePool({ binary, size: s.engines.size, memoryLimitBytes: s.engines.memoryLimitBytes, logger: (e) => s.log({ engine: e.pid, reason: e.reason, level: e.level }, e.msg) });
      manager.add(closeOnStop('engine-pool', () => engine.close()));
      setupKustomizeController(manager, {
        engine, concurrent: s.concurrent, registry: s.registry,
        requeueDependencyMs: s.requeueDependencyMs, noCrossNamespaceRefs: s.noCrossNamespaceRefs, noRemoteBases: s.noRemoteBases,
        defaultServiceAccount: s.defaultServiceAccount, allowKubeconfigExec: s.allowKubeconfigExec,
        localArtifacts: () => s.shared.artifacts,
        ...(s.watchAllNamespaces ? {} : { namespace: s.namespace }),
        ...(s.watchLabelSelector ? { labelSelector: s.watchLabelSelector } : {}),
      });
    },
  },
];
