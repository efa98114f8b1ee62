// Step 3: dependsOn. A dependency is ready when it exists, has handled its generation, is
// Ready=True, matches readyExpr when given, and (same source) has applied the source's current
// revision. Not ready → DependencyNotReady, retried after --requeue-dependency.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import { isTrue } from '../../runtime/status/conditions.ts';
import { stalling, waiting } from '../shared/errors.ts';
import { Reason } from './reasons.ts';
import { sourceKeyOf } from './source-ref.ts';

export interface DependencyLookup {
  get(namespace: string, name: string): Kustomization | undefined;
  requeueMs: number;
}

/**
 * Why the dependency is not ready according to readyExpr; undefined when it is. As in Flux, an
 * expression that does not compile is a configuration error (Stalled, InvalidCELExpression);
 * one that fails to evaluate (say, an annotation the dependency does not have yet) means "not
 * ready" and is retried.
 */
async function readyExprVerdict(obj: Kustomization, dep: Kustomization, readyExpr: string): Promise<string | undefined> {
  const depId = `${dep.metadata.namespace ?? ''}/${dep.metadata.name ?? ''}`;
  // CEL is loaded on first use (~25 MiB of RSS that Kustomizations without expressions never need).
  const { CelError, compileReadyExpr } = await import('../../cel/index.ts');
  let program;
  try {
    program = compileReadyExpr(readyExpr);
  } catch (err) {
    throw stalling(Reason.InvalidCELExpression, `invalid readyExpr for dependency '${depId}': ${err instanceof Error ? err.message : String(err)}`, err);
  }
  try {
    return program({ self: obj, dep }) ? undefined : 'not ready according to readyExpr';
  } catch (err) {
    if (err instanceof CelError) return `not ready according to readyExpr (${err.message})`;
    throw err;
  }
}

async function notReady(obj: Kustomization, dep: Kustomization | undefined, revision: string, readyExpr: string | undefined): Promise<string | undefined> {
  if (!dep) return 'not found';
  if (dep.status?.observedGeneration !== dep.metadata.generation) return 'not ready: reconciliation in progress';
  if (!isTrue(dep, 'Ready')) return 'not ready';
  const verdict = readyExpr ? await readyExprVerdict(obj, dep, readyExpr) : undefined;
  if (verdict) return verdict;
  const mine = sourceKeyOf(obj);
  const theirs = sourceKeyOf(dep);
  if (mine.kind === theirs.kind && mine.namespace === theirs.namespace && mine.name === theirs.name && dep.status?.lastAppliedRevision !== revision) {
    return `not ready: has not applied revision '${revision}' yet`;
  }
  return undefined;
}

export async function checkDependencies(obj: Kustomization, revision: string, lookup: DependencyLookup): Promise<void> {
  for (const d of obj.spec.dependsOn ?? []) {
    const ns = d.namespace ?? obj.metadata.namespace ?? '';
    const why = await notReady(obj, lookup.get(ns, d.name), revision, d.readyExpr);
    if (why) {
      const seconds = Math.round(lookup.requeueMs / 1000);
      throw waiting(Reason.DependencyNotReady, `Dependencies do not meet ready condition (dependency '${ns}/${d.name}' is ${why}), retrying in ${seconds}s`, lookup.requeueMs);
    }
  }
}
