// eddy's CEL: Kustomization dependsOn[].readyExpr and healthCheckExprs.
export { CelError, type CelErrorReason } from './errors.ts';
export { compileReadyExpr, type ReadyExprProgram } from './ready-expr.ts';
export { compileHealthCheckExprs, type HealthCheckExpr, type HealthCheckProgram } from './health-exprs.ts';
