import { createReadStream } from 'node:fs';
import type { Artifact } from '../../api/meta.ts';
import type { ArtifactStorage, StoredFile } from '../../artifact/storage.ts';
import { sourceIgnoreFilter } from '../../artifact/ignore.ts';
import { treeArchiveInput } from '../../artifact/tree-archive.ts';
import type { KubeClient } from '../../kube/client.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { objectGetter, statusWriter } from '../../runtime/manager/kube-adapters.ts';
import type { ReconcileContext, Reconciler, Result } from '../../runtime/queue/controller.ts';
import type { Request } from '../../runtime/queue/request.ts';
import { markReconciling, markTrue, remove } from '../../runtime/status/conditions.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/status/finalizers.ts';
import { StatusPatcher } from '../../runtime/status/patcher.ts';
import { parseDuration } from '../../runtime/duration.ts';
import { ReconcileError, generic, stalling } from '../shared/errors.ts';
import { finishReconcile } from '../shared/finish.ts';
import { DelayedProgress } from '../shared/progress.ts';
import { CONTINUE, runSteps, type Step } from '../shared/steps.ts';
import { FIELD_MANAGER, SOURCE_CONDITIONS } from './conditions.ts';
import { Semaphore } from '../../runtime/semaphore.ts';
import { LazyTempDir } from './scratch-dir.ts';
import { FetchError, type FetchContext, type FetchResult, type SourceKind } from './source-kind.ts';
import type { ReconcileDurationHistogram } from '../../runtime/observe/metrics.ts';
import type { RegistryPool } from '../../sources/oci/index.ts';

export interface SourceObject extends KubeObject {
  spec: { interval: string; timeout?: string; suspend?: boolean };
  status?: { artifact?: Artifact; observedGeneration?: number; [k: string]: unknown };
}

export interface SourceReconcilerOptions<T extends SourceObject> {
  manager: Manager;
  kind: SourceKind<T>;
  storage: ArtifactStorage;
  recorder: EventRecorder;
  histogram: ReconcileDurationHistogram;
  /** OCI registry clients shared by every reconcile of the controller. */
  registries: RegistryPool;
  /** The controller's own client (its own rate limit, as Flux's separate process); default the manager's. */
  client?: KubeClient;
  /** The informer scope the controller watches (must match its builder's `for`). */
  scope?: { namespace?: string; labelSelector?: string };
}

interface State<T extends SourceObject> {
  obj: T;
  ctx: FetchContext;
  result?: FetchResult;
  successEvent?: { reason: string; note: string; metadata?: Record<string, string> };
}

const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;

/**
 * The reconcile shared by GitRepository, OCIRepository and Bucket (source-controller's steps):
 * finalizer and suspend, then storage → fetch → artifact, then one status patch.
 */
export class SourceReconciler<T extends SourceObject> implements Reconciler {
  private readonly o: SourceReconcilerOptions<T>;
  /** Large artifacts held in memory at once (OCI layers extracted in memory). */
  private readonly largeArtifacts = new Semaphore(2);

  constructor(opts: SourceReconcilerOptions<T>) {
    this.o = opts;
  }

  private client(): KubeClient {
    return this.o.client ?? this.o.manager.client;
  }

  async reconcile(req: Request, rctx: ReconcileContext): Promise<Result | void> {
    const { manager, kind } = this.o;
    const key = req.namespace ? `${req.namespace}/${req.name}` : req.name;
    const cached = manager.informers.get<T>({ ref: kind.ref, ...this.o.scope }).getByKey(key);
    if (!cached) return;
    // The cache is shared: work on a copy.
    const obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return this.finalize(obj);
    if (!hasFinalizer(obj)) await this.addFinalizer(obj);
    if (obj.spec.suspend) {
      rctx.log.info({}, 'reconciliation is suspended for this object');
      return;
    }
    const startedAt = performance.now();
    const previousReady = obj.status?.['conditions'] instanceof Array ? (obj.status['conditions'] as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status : undefined;
    const client = this.client();
    const patcher = new StatusPatcher(obj, statusWriter(client), { fieldManager: FIELD_MANAGER, ownedConditions: SOURCE_CONDITIONS.owned, get: objectGetter(client) });
    const generation = obj.metadata.generation ?? 0;
    let progress: DelayedProgress | undefined;
    if (obj.status?.observedGeneration !== generation) {
      markReconciling(obj, 'Progressing', `reconciling new object generation (${generation})`);
      progress = new DelayedProgress(() => patcher.patch(obj));
    }
    const scratch = new LazyTempDir(`eddy-${kind.storageKind}-`);
    const state: State<T> = { obj, ctx: this.fetchContext(obj, scratch, rctx.signal) };
    try {
      const outcome = await runSteps<State<T>>([this.storageStep, this.fetchStep, this.artifactStep], state, rctx.signal);
      await progress?.settle();
      return await finishReconcile({
        obj, patcher, outcome, spec: SOURCE_CONDITIONS, recorder: this.o.recorder, successEvent: state.successEvent,
        intervalMs: parseDuration(obj.spec.interval), duration: { histogram: this.o.histogram, startedAt }, previousReady,
      });
    } finally {
      releaseTree(state.result);
      await scratch.remove();
    }
  }

  /** A stored artifact that vanished from storage (e.g. a new pod without a volume) is rebuilt. */
  private readonly storageStep: Step<State<T>> = async (s) => {
    const artifact = s.obj.status?.artifact;
    if (artifact && !(await this.o.storage.exists(artifact))) {
      delete s.obj.status?.artifact;
      if (this.o.kind.latestLink) delete s.obj.status?.['url'];
      remove(s.obj, 'ArtifactInStorage');
    }
    s.ctx.current = s.obj.status?.artifact;
    s.ctx.inputsUnchanged = s.ctx.current !== undefined && sameInputs(s.obj.status ?? {}, this.o.kind.observedInputs(s.obj));
    return CONTINUE;
  };

  private readonly fetchStep: Step<State<T>> = async (s) => {
    try {
      s.result = await this.o.kind.fetch(s.obj, s.ctx);
      await this.o.kind.verify?.(s.obj, s.result, s.ctx);
    } catch (err) {
      if (err instanceof ReconcileError) throw err;
      const fe = err instanceof FetchError ? err : new FetchError('GitOperationFailed', err instanceof Error ? err.message : String(err), { cause: err });
      markTrue(s.obj, 'FetchFailed', fe.reason, fe.message);
      throw fe.stalling ? stalling(fe.reason, fe.message, err) : generic(fe.reason, fe.message, err);
    }
    remove(s.obj, 'FetchFailed');
    return CONTINUE;
  };

  private readonly artifactStep: Step<State<T>> = async (s) => {
    const r = s.result;
    if (!r) return CONTINUE;
    const { storage, kind } = this.o;
    const { namespace = '', name = '' } = s.obj.metadata;
    const status = (s.obj.status ??= {});
    const stored = (revision: string) => kind.storedMessage?.(revision) ?? `stored artifact for revision '${revision}'`;
    if (r.kind === 'unchanged') {
      if (status.artifact) {
        markTrue(s.obj, 'ArtifactInStorage', 'Succeeded', stored(status.artifact.revision));
        await this.linkLatest(s.obj, status.artifact);
      }
      return CONTINUE;
    }
    let file;
    try {
      file = await this.store(s.obj, r);
    } catch (err) {
      const message = `failed to archive artifact: ${err instanceof Error ? err.message : String(err)}`;
      markTrue(s.obj, 'StorageOperationFailed', 'ArchiveOperationFailed', message);
      throw generic('ArchiveOperationFailed', message, err);
    }
    remove(s.obj, 'StorageOperationFailed');
    const metadata = r.metadata;
    const previous = status.artifact?.revision;
    const artifact = storage.artifactFor(kind.storageKind, namespace, name, r.revision, file.digest, file.size, metadata);
    Object.assign(status, { artifact, ...kind.observedInputs(s.obj) });
    markTrue(s.obj, 'ArtifactInStorage', 'Succeeded', stored(r.revision));
    await this.linkLatest(s.obj, artifact);
    await storage.garbageCollect(artifact).catch(() => undefined);
    if (previous !== r.revision) {
      s.successEvent = { reason: 'NewArtifact', note: `stored artifact with revision '${r.revision}' from '${kind.url(s.obj)}'`, metadata: { revision: r.revision } };
    }
    return CONTINUE;
  };

  /** status.url: the latest.tar.gz link, best effort as in Flux (a failure only leaves the old URL). */
  private async linkLatest(obj: T, artifact: Artifact): Promise<void> {
    if (!this.o.kind.latestLink) return;
    const url = await this.o.storage.symlink(artifact, 'latest.tar.gz').catch(() => undefined);
    if (url !== undefined) (obj.status ??= {})['url'] = url;
  }

  /** Packages a directory or an in-memory tree (ignore rules applied) or stores a ready tarball as is. */
  private async store(obj: T, r: Exclude<FetchResult, { kind: 'unchanged' }>): Promise<StoredFile> {
    const { storage, kind } = this.o;
    const { namespace = '', name = '' } = obj.metadata;
    if (r.kind === 'tarball') return storage.store(kind.storageKind, namespace, name, createReadStream(r.file));
    if (r.kind === 'tree') {
      const { source, filter } = await treeArchiveInput(r.tree, r.ignore !== undefined ? { ignore: r.ignore } : {});
      return storage.archive(kind.storageKind, namespace, name, source, { filter });
    }
    const filter = r.filter === false ? undefined : await sourceIgnoreFilter(r.dir, r.ignore !== undefined ? { ignore: r.ignore } : {});
    return storage.archive(kind.storageKind, namespace, name, { dir: r.dir }, { filter });
  }

  private fetchContext(obj: T, scratch: LazyTempDir, signal: AbortSignal): FetchContext {
    const client = this.client();
    const ns = obj.metadata.namespace ?? '';
    return {
      client, signal, tmpDir: () => scratch.get(), current: undefined, inputsUnchanged: false, registries: this.o.registries, largeArtifacts: this.largeArtifacts,
      timeoutMs: parseDuration(obj.spec.timeout ?? '60s'),
      secret: async (name) => {
        try {
          const s = await client.get(SECRET, name, ns);
          const data = (s['data'] ?? {}) as Record<string, string>;
          return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        } catch (err) {
          if (isNotFound(err)) throw new FetchError('AuthenticationFailed', `failed to get secret '${ns}/${name}': not found`, { cause: err });
          throw err;
        }
      },
    };
  }

  private async addFinalizer(obj: T): Promise<void> {
    const change = addFinalizer(obj);
    if (!change) return;
    const updated = await this.client().patch(this.o.kind.ref, obj.metadata.name ?? '', obj.metadata.namespace, change.mergePatch, { type: 'merge' });
    obj.metadata.resourceVersion = updated.metadata.resourceVersion;
  }

  /** Deletion: remove every stored artifact, then let the object go. */
  private async finalize(obj: T): Promise<void> {
    const { namespace = '', name = '' } = obj.metadata;
    await this.o.storage.deleteAll(this.o.kind.storageKind, namespace, name);
    const change = removeFinalizer(obj);
    if (!change) return;
    try {
      await this.client().patch(this.o.kind.ref, name, namespace, change.mergePatch, { type: 'merge' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function sameInputs(status: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(([k, v]) => JSON.stringify(status[k] ?? null) === JSON.stringify(v ?? null));
}

/** Frees the large-artifact slot an in-memory tree held, once it is stored (or the reconcile failed). */
function releaseTree(result: FetchResult | undefined): void {
  if (result?.kind === 'tree') result.release?.();
}
