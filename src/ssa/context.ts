// What every verb needs from the ResourceManager (kept apart so verb files import no class).
import { isNotFound } from '../kube/errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject, TypeRef } from '../kube/types.ts';

export interface Owner {
  /** API group whose `<group>/name` and `<group>/namespace` labels mark owned objects. */
  group: string;
  name: string;
  namespace: string;
}

export interface ManagerContext {
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly owner: Owner | undefined;
  /** How many objects are read and dry-run at once. */
  readonly concurrency: number;
}

/** The object, or undefined when it does not exist. */
export async function getOrUndefined(ctx: ManagerContext, ref: TypeRef, name: string, namespace: string | undefined, signal?: AbortSignal): Promise<KubeObject | undefined> {
  try {
    return await ctx.client.get(ref, name, namespace, signal ? { signal } : {});
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Runs fn over items with at most `limit` in flight; waits for all, then throws the first failure in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i] as T, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<R>).value);
}
