// The Kustomization reconcile (kustomize-controller's steps): finalizer and suspend, source,
// dependencies, fetch, build, apply, prune, health; one status patch at the end.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import type { EnginePool } from '../../engines/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import type { EventRecorder } from '../../runtime/events/recorder.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import type { ReconcileDurationHistogram } from '../../runtime/observe/metrics.ts';
import { objectGetter, statusWriter } from '../../runtime/manager/kube-adapters.ts';
import type { ReconcileContext, Reconciler, Result } from '../../runtime/queue/controller.ts';
import type { Request } from '../../runtime/queue/request.ts';
import { get, markFalse, markReconciling, markTrue, remove } from '../../runtime/status/conditions.ts';
import { addFinalizer, hasFinalizer } from '../../runtime/status/finalizers.ts';
import { StatusPatcher } from '../../runtime/status/patcher.ts';
import { deadline } from '../../runtime/deadline.ts';
import { Semaphore } from '../../runtime/semaphore.ts';
import { parseDuration } from '../../runtime/duration.ts';
import { asReconcileError, ReconcileError } from '../shared/errors.ts';
import { DelayedProgress } from '../shared/progress.ts';
import { applyAndPrune, type ApplyOutcome } from './apply.ts';
import type { ClusterClients } from './cluster-client.ts';
import { checkDependencies } from './dependencies.ts';
import { fetchSource, LARGE_IN_FLIGHT, type LocalArtifacts } from './fetch.ts';
import { finalizeKustomization } from './finalize.ts';
import { buildObjects } from './build.ts';
import { checkHealth, healthTargets } from './health.ts';
import { decryptionKeys, postBuildVars } from './inputs.ts';
import { FIELD_MANAGER, KUSTOMIZATION_REF, OWNED_CONDITIONS, Reason } from './reasons.ts';
import { resolveSource, SOURCE_REFS, sourceKeyOf, type ResolvedSource } from './source-ref.ts';
import { finishFailure, finishSuccess, formatSeconds, type Finish } from './status.ts';


/** A health check given up for a newer revision; requeued at once (the key is already queued). */
class HealthCheckCanceled extends ReconcileError {
  readonly trigger: string;
  constructor(trigger: string, cause: unknown) {
    super('waiting', Reason.HealthCheckCanceled, `New reconciliation triggered by ${trigger}`, { cause, requeueAfterMs: 1, notify: false });
    this.trigger = trigger;
  }
}

export interface KustomizeSettings {
  requeueDependencyMs: number;
  /** How long a new source may take for its first artifact before its Kustomizations say so (default 30 s). */
  firstArtifactGraceMs?: number;
  noCrossNamespaceRefs: boolean;
  noRemoteBases: boolean;
  /** The storage of a source controller in this process: its artifacts are read from disk, not over HTTP. */
  localArtifacts?: () => LocalArtifacts | undefined;
}

export interface KustomizationReconcilerOptions {
  manager: Manager;
  /** The controller's own client (its own rate limit, as a separate Flux controller would have). */
  client: KubeClient;
  engine: EnginePool;
  clients: ClusterClients;
  recorder: EventRecorder;
  histogram: ReconcileDurationHistogram;
  settings: KustomizeSettings;
  scope?: { namespace?: string; labelSelector?: string };
}

export class KustomizationReconciler implements Reconciler {
  private readonly o: KustomizationReconcilerOptions;
  /** Health checks in flight, cancelled when a new source revision arrives. */
  private readonly inflight = new Map<string, AbortController>();
  /** Large artifacts held in memory at once (see fetch.ts). */
  private readonly largeArtifacts = new Semaphore(LARGE_IN_FLIGHT);

  constructor(opts: KustomizationReconcilerOptions) {
    this.o = opts;
  }

  /**
   * Called by the setup when a source of `key` has a new artifact (`trigger`: Kind/namespace/name):
   * a health check still waiting on the old revision gives way, as Flux's does.
   */
  cancelHealthChecks(key: string, trigger: string): void {
    this.inflight.get(key)?.abort(trigger);
  }

  async reconcile(req: Request, rctx: ReconcileContext): Promise<Result | void> {
    const key = `${req.namespace ?? ''}/${req.name}`;
    const cached = this.o.manager.informers.get<Kustomization>({ ref: KUSTOMIZATION_REF, ...this.o.scope }).getByKey(key);
    if (!cached) return;
    const obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return finalizeKustomization(obj, { base: this.o.client, clients: this.o.clients, recorder: this.o.recorder });
    if (!hasFinalizer(obj)) await this.addFinalizer(obj);
    if (obj.spec.suspend) {
      rctx.log.info({}, 'reconciliation is suspended for this object');
      return;
    }
    const started = performance.now();
    const patcher = new StatusPatcher(obj, statusWriter(this.o.client), { fieldManager: FIELD_MANAGER, ownedConditions: [...OWNED_CONDITIONS], get: objectGetter(this.o.client) });
    const finish: Finish = { obj, patcher, recorder: this.o.recorder, histogram: this.o.histogram, startedAt: started, log: rctx.log };
    let source: ResolvedSource | undefined;
    try {
      source = await this.resolve(obj);
      return await this.reconcileRevision(obj, source, finish, key, rctx);
    } catch (err) {
      const failure = asReconcileError(err, Reason.Failed);
      const quietMs = this.quietWaitMs(obj, failure);
      if (quietMs !== undefined) return { requeueAfterMs: quietMs };
      const result = await finishFailure(finish, failure, source?.artifact.revision);
      if (failure instanceof HealthCheckCanceled) {
        this.o.recorder.emit(obj, { type: 'Normal', reason: Reason.HealthCheckCanceled, note: `Health checks canceled due to new reconciliation triggered by ${failure.trigger}`, ...(source ? { metadata: { revision: source.artifact.revision } } : {}) });
      }
      return result;
    }
  }

  /**
   * A new Kustomization created with its source (the usual `kubectl apply` of both) finds the
   * source still fetching its first artifact. Saying so costs a status write from the
   * controller's shared QPS budget, only to be overwritten seconds later; so while the source is
   * younger than the grace the Kustomization waits for the artifact's trigger without writing,
   * requeued at the end of the grace in case the trigger never comes.
   */
  private quietWaitMs(obj: Kustomization, failure: ReconcileError): number | undefined {
    if (failure.policy !== 'waiting' || failure.reason !== Reason.ArtifactFailed || get(obj, 'Ready')) return undefined;
    const ref = sourceKeyOf(obj);
    const sourceRef = SOURCE_REFS.find((r) => r.kind === ref.kind);
    const source = sourceRef ? this.cachedSource(sourceRef, ref.namespace, ref.name) : undefined;
    const created = Date.parse(source?.metadata.creationTimestamp ?? '');
    if (Number.isNaN(created)) return undefined;
    const left = (this.o.settings.firstArtifactGraceMs ?? 30_000) - (Date.now() - created);
    return left > 0 ? Math.max(1_000, Math.min(left, failure.requeueAfterMs ?? left)) : undefined;
  }

  /**
   * A source from the informer the setup watches sources with: a second one could lag behind it
   * and miss the artifact whose arrival triggered this reconcile.
   */
  private cachedSource(ref: TypeRef, namespace: string, name: string): KubeObject | undefined {
    return this.o.manager.informers.get({ ref, ...(this.o.scope?.namespace ? { namespace: this.o.scope.namespace } : {}) }).getByKey(`${namespace}/${name}`);
  }

  private async resolve(obj: Kustomization): Promise<ResolvedSource> {
    const { manager, settings } = this.o;
    const retryMs = parseDuration(obj.spec.retryInterval ?? obj.spec.interval);
    const source = resolveSource(obj, {
      get: (ref, ns, name) => this.cachedSource(ref, ns, name),
      noCrossNamespaceRefs: settings.noCrossNamespaceRefs,
      retryMs,
    });
    await checkDependencies(obj, source.artifact.revision, {
      get: (ns, name) => manager.informers.get<Kustomization>({ ref: KUSTOMIZATION_REF, ...this.o.scope }).getByKey(`${ns}/${name}`),
      requeueMs: settings.requeueDependencyMs,
    });
    return source;
  }

  private async reconcileRevision(obj: Kustomization, source: ResolvedSource, finish: Finish, key: string, rctx: ReconcileContext): Promise<Result> {
    const revision = source.artifact.revision;
    const timeoutMs = parseDuration(obj.spec.timeout ?? obj.spec.interval);
    markReconciling(obj, 'Progressing', `Fetching manifests for revision ${revision} with a timeout of ${obj.spec.timeout ?? obj.spec.interval}`);
    // Tell users about new work if it takes a while; a periodic drift check of the same revision
    // never needs the extra write.
    const isNew = obj.status?.lastAttemptedRevision !== revision || obj.status.observedGeneration !== obj.metadata.generation;
    finish.progress = isNew ? new DelayedProgress(() => finish.patcher.patch(obj)) : undefined;
    const health = new AbortController();
    this.inflight.set(key, health);
    // A new revision interrupts only the health check: fetch, build and apply run to the end.
    const { signal, clear } = deadline(timeoutMs, rctx.signal);
    try {
      const { client, objects } = await this.fetchAndBuild(obj, source, signal);
      const outcome: ApplyOutcome = await applyAndPrune(obj, objects, client, finish, revision);
      await this.health(obj, outcome, timeoutMs, signal, health.signal);
      return await finishSuccess(finish, source, objects, outcome);
    } finally {
      clear();
      if (this.inflight.get(key) === health) this.inflight.delete(key);
    }
  }

  /** Steps 4 to 7: the artifact is held (in memory) only until the objects are built. */
  private async fetchAndBuild(obj: Kustomization, source: ResolvedSource, signal: AbortSignal): Promise<{ client: KubeClient; objects: KubeObject[] }> {
    const fetched = await fetchSource(source, this.largeArtifacts, signal, this.o.settings.localArtifacts?.());
    try {
      const client = await this.o.clients.forKustomization(obj);
      const objects = await buildObjects({
        tree: fetched.tree, spec: obj.spec, engine: this.o.engine, allowRemoteBases: !this.o.settings.noRemoteBases, signal,
        owner: { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' },
        keys: await decryptionKeys(this.o.client, obj), vars: await postBuildVars(this.o.client, obj),
      });
      return { client, objects };
    } finally {
      fetched.release();
    }
  }

  /** Healthy is True after the checks pass, False when they fail, absent without checks. */
  private async health(obj: Kustomization, outcome: ApplyOutcome, timeoutMs: number, signal: AbortSignal, newRevision: AbortSignal): Promise<void> {
    const targets = healthTargets(obj, outcome.applied);
    if (targets.length === 0) {
      remove(obj, 'Healthy');
      return;
    }
    // Healthy is written with the outcome only: a mid-reconcile write costs a request per object.
    const started = performance.now();
    try {
      await checkHealth(obj, outcome.manager, targets, timeoutMs, AbortSignal.any([signal, newRevision]), outcome.changeSet);
    } catch (err) {
      // Canceled, Healthy keeps what it said: the next reconcile checks the new revision.
      if (newRevision.aborted && !signal.aborted) throw new HealthCheckCanceled(String(newRevision.reason), err);
      markFalse(obj, 'Healthy', Reason.HealthCheckFailed, err instanceof Error ? err.message : String(err));
      throw err;
    }
    markTrue(obj, 'Healthy', Reason.HealthSucceeded, `Health check passed in ${formatSeconds(performance.now() - started)}`);
  }

  private async addFinalizer(obj: KubeObject): Promise<void> {
    const change = addFinalizer(obj);
    if (!change) return;
    const updated = await this.o.client.patch(KUSTOMIZATION_REF, obj.metadata.name ?? '', obj.metadata.namespace, change.mergePatch, { type: 'merge' });
    obj.metadata.resourceVersion = updated.metadata.resourceVersion;
  }
}
