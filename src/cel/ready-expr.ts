// spec.dependsOn[].readyExpr: a boolean CEL expression over `self` (the Kustomization being
// reconciled) and `dep` (the dependency). As in Flux, unknown variables fail at compile time
// and any non-boolean result is an error.
import type { KubeObject } from '../kube/types.ts';
import { compileBool } from './expression.ts';
import { toCelValue } from './values.ts';

export type ReadyExprProgram = (vars: { self: KubeObject; dep: KubeObject }) => boolean;

/** Throws CelError 'CompileFailed'; the returned function throws CelError 'EvaluationFailed'. */
export function compileReadyExpr(expr: string): ReadyExprProgram {
  const program = compileBool(expr, { variables: ['self', 'dep'] });
  // Flux passes both objects as google.protobuf.Struct values: every number is a double.
  return ({ self, dep }) => program({ self: toCelValue(self, 'double'), dep: toCelValue(dep, 'double') });
}
