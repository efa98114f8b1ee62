// spec.healthCheckExprs: custom health for a kind, after Flux's CEL status evaluator. The
// expressions see the object's top-level fields as variables (`status`, `metadata`, `spec`, …;
// `has(status)` is an error when the object has no status). Order: inProgress, failed, current;
// the first true one decides, none true is InProgress, an evaluation error is Unknown (the
// health check keeps waiting until its timeout). An entry applies to its group and kind,
// whatever the version; the first entry for a group/kind wins.
import type { KubeObject } from '../kube/types.ts';
import type { KStatusResult } from '../runtime/status/kstatus.ts';
import { CelError } from './errors.ts';
import { compileBool, type BoolProgram } from './expression.ts';
import { withIntegers } from './values.ts';

export interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  current?: string;
  inProgress?: string;
  failed?: string;
}

export type HealthCheckProgram = (obj: KubeObject) => KStatusResult | undefined;

interface Evaluator {
  steps: { status: 'InProgress' | 'Failed' | 'Current'; name: string; expr: string; program: BoolProgram }[];
  current: string;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const keyOf = (apiVersion: string, kind: string) => `${groupOf(apiVersion)}/${kind}`;

function compileEntry(e: HealthCheckExpr): Evaluator {
  const what = `${e.kind}.${groupOf(e.apiVersion) || 'core'}`;
  const compile = (name: string, expr: string) => {
    try {
      return compileBool(expr);
    } catch (err) {
      if (err instanceof CelError) throw new CelError('CompileFailed', expr, `healthCheckExprs ${what} ${name}: ${err.message}`, { cause: err });
      throw err;
    }
  };
  if (!e.current) throw new CelError('CompileFailed', '', `healthCheckExprs ${what}: the expression current is required`);
  const steps: Evaluator['steps'] = [];
  if (e.inProgress) steps.push({ status: 'InProgress', name: 'inProgress', expr: e.inProgress, program: compile('inProgress', e.inProgress) });
  if (e.failed) steps.push({ status: 'Failed', name: 'failed', expr: e.failed, program: compile('failed', e.failed) });
  steps.push({ status: 'Current', name: 'current', expr: e.current, program: compile('current', e.current) });
  return { steps, current: e.current };
}

/** Compiles every entry up front; throws CelError 'CompileFailed' naming the kind and field. */
export function compileHealthCheckExprs(exprs: readonly HealthCheckExpr[]): HealthCheckProgram {
  const byKind = new Map<string, Evaluator>();
  for (const e of exprs) {
    if (!e.apiVersion || !e.kind) throw new CelError('CompileFailed', '', 'healthCheckExprs: apiVersion and kind are required');
    const key = keyOf(e.apiVersion, e.kind);
    const ev = compileEntry(e);
    if (!byKind.has(key)) byKind.set(key, ev);
  }
  return (obj) => {
    const ev = byKind.get(keyOf(obj.apiVersion, obj.kind));
    return ev ? evaluate(ev, obj) : undefined;
  };
}

function evaluate(ev: Evaluator, obj: KubeObject): KStatusResult {
  const stale = staleGeneration(obj);
  if (stale) return stale;
  // Integers as CEL int, like the unstructured map Flux evaluates.
  const bindings = withIntegers(obj) as Record<string, unknown>;
  for (const step of ev.steps) {
    let ok: boolean;
    try {
      ok = step.program(bindings);
    } catch (err) {
      return { status: 'Unknown', reason: 'EvaluationFailed', message: err instanceof Error ? err.message : String(err) };
    }
    if (ok) {
      if (step.status === 'Current') return { status: 'Current', message: `current expression '${step.expr}' is true` };
      return { status: step.status, reason: `HealthCheckExpr${step.status}`, message: `${step.name} expression '${step.expr}' is true` };
    }
  }
  return { status: 'InProgress', reason: 'HealthCheckExprNotCurrent', message: `current expression '${ev.current}' is false` };
}

/** status.observedGeneration present and behind metadata.generation: InProgress before any expression. */
function staleGeneration(obj: KubeObject): KStatusResult | undefined {
  const status = obj['status'];
  const observed = typeof status === 'object' && status !== null ? (status as Record<string, unknown>)['observedGeneration'] : undefined;
  const generation = obj.metadata.generation;
  if (typeof observed !== 'number' || typeof generation !== 'number' || observed === generation) return undefined;
  return { status: 'InProgress', reason: 'LatestGenerationNotObserved', message: `generation is ${generation}, but latest observed generation is ${observed}` };
}
