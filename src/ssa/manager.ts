// The server-side-apply resource manager (fluxcd/pkg ssa ResourceManager): one class, each
// verb in its own file, every verb returning values (ChangeSet, entries) or typed errors.
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ChangeSet, ChangeSetEntry, ObjMetadata } from './changeset.ts';
import type { ManagerContext, Owner } from './context.ts';
import { apply, applyAll, applyAllStaged, type ApplyOptions } from './manager-apply.ts';
import { deleteAll, ownerLabels, type DeleteOptions } from './manager-delete.ts';
import { diff, type DiffOptions, type DiffResult } from './manager-diff.ts';
import { waitForDeletion, waitForSet, type WaitOptions } from './manager-wait.ts';

export interface ResourceManagerOptions {
  client: KubeClient;
  /** Field manager of every apply, e.g. `kustomize-controller`. */
  fieldManager: string;
  owner?: Owner;
  /** Objects read and dry-run at once (default 4). */
  concurrency?: number;
}

export class ResourceManager implements ManagerContext {
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly owner: Owner | undefined;
  readonly concurrency: number;

  constructor(opts: ResourceManagerOptions) {
    this.client = opts.client;
    this.fieldManager = opts.fieldManager;
    this.owner = opts.owner;
    this.concurrency = opts.concurrency ?? 4;
  }

  /** The labels the owner stamps on objects (`<group>/name`, `<group>/namespace`). */
  ownerLabels(): Record<string, string> {
    return ownerLabels(this);
  }

  apply(obj: KubeObject, opts?: Partial<ApplyOptions>): Promise<ChangeSetEntry> {
    return apply(this, obj, opts);
  }

  applyAll(objs: readonly KubeObject[], opts?: Partial<ApplyOptions>): Promise<ChangeSet> {
    return applyAll(this, objs, opts);
  }

  applyAllStaged(objs: readonly KubeObject[], opts?: Partial<ApplyOptions>): Promise<ChangeSet> {
    return applyAllStaged(this, objs, opts);
  }

  diff(obj: KubeObject, opts?: Partial<DiffOptions>): Promise<DiffResult> {
    return diff(this, obj, opts);
  }

  deleteAll(objs: readonly (KubeObject | ObjMetadata)[], opts?: Partial<DeleteOptions>): Promise<ChangeSet> {
    return deleteAll(this, objs, opts);
  }

  waitForSet(objs: readonly ObjMetadata[], opts: Partial<WaitOptions>): Promise<void> {
    return waitForSet(this, objs, opts);
  }

  /** Waits until every object is gone (NotFound). */
  waitForDeletion(objs: readonly ObjMetadata[], opts: Pick<WaitOptions, 'timeoutMs'> & Partial<Pick<WaitOptions, 'intervalMs' | 'signal'>>): Promise<void> {
    return waitForDeletion(this, objs, { intervalMs: 500, ...opts });
  }
}
