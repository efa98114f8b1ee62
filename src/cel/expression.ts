// One CEL expression, parsed and planned once, evaluated many times to a boolean.
import { isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { fluxCelEnv } from './env.ts';
import { CelError } from './errors.ts';

type Expr = ReturnType<typeof parse>['expr'];
export type BoolProgram = (bindings: Record<string, unknown>) => boolean;

/** Namespaces of the extension functions (`sets.contains(…)` parses as a call on `sets`). */
const FUNCTION_NAMESPACES = new Set(['sets', 'base64', 'strings']);

export interface CompileOptions {
  /** Variables the expression may use; undefined lets any name resolve from the bindings. */
  variables?: readonly string[];
}

export function compileBool(expr: string, opts: CompileOptions = {}): BoolProgram {
  if (expr.trim() === '') throw new CelError('CompileFailed', expr, 'empty CEL expression');
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expr);
  } catch (cause) {
    throw new CelError('CompileFailed', expr, `failed to parse the CEL expression '${expr}': ${detail(cause)}${optionalHint(expr)}`, { cause });
  }
  if (opts.variables) {
    const unknown = undeclared(parsed.expr, new Set(opts.variables));
    if (unknown.length > 0) {
      const names = unknown.map((n) => `'${n}'`).join(', ');
      throw new CelError('CompileFailed', expr, `failed to compile the CEL expression '${expr}': undeclared reference to ${names} (declared: ${opts.variables.join(', ')})`);
    }
  }
  const program = plan(fluxCelEnv(), parsed);
  return (bindings) => {
    let out: unknown;
    try {
      out = program(bindings as Record<string, CelInput>);
    } catch (cause) {
      throw new CelError('EvaluationFailed', expr, `failed to evaluate the CEL expression '${expr}': ${detail(cause)}`, { cause });
    }
    if (isCelError(out)) throw new CelError('EvaluationFailed', expr, `failed to evaluate the CEL expression '${expr}': ${out.message}`, { cause: out });
    if (typeof out !== 'boolean') throw new CelError('EvaluationFailed', expr, `the CEL expression '${expr}' returned ${describe(out)}, not a boolean`);
    return out;
  };
}

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `int ${v}`;
  if (typeof v === 'number') return `double ${v}`;
  if (typeof v === 'string') return `string '${v}'`;
  return typeof v === 'object' ? 'a list, map or message' : typeof v;
}

function optionalHint(expr: string): string {
  return /\.\?|\[\?/.test(expr) ? ' (optional field selection `.?` and `[?` is not supported; use has(…) instead)' : '';
}

type Visit = (e: Expr | undefined, bound: ReadonlySet<string>) => void;

/** A call on `sets`, `base64` or `strings` that names an extension function, not a variable. */
function isNamespacedCall(target: Expr | undefined, declared: ReadonlySet<string>): boolean {
  return target?.exprKind.case === 'identExpr' && FUNCTION_NAMESPACES.has(target.exprKind.value.name) && !declared.has(target.exprKind.value.name);
}

function visitChildren(e: Expr, bound: ReadonlySet<string>, declared: ReadonlySet<string>, visit: Visit): void {
  const k = e.exprKind;
  switch (k.case) {
    case 'selectExpr':
      return visit(k.value.operand, bound);
    case 'callExpr':
      if (!isNamespacedCall(k.value.target, declared)) visit(k.value.target, bound);
      for (const a of k.value.args) visit(a, bound);
      return;
    case 'listExpr':
      for (const el of k.value.elements) visit(el, bound);
      return;
    case 'structExpr':
      for (const en of k.value.entries) {
        if (en.keyKind.case === 'mapKey') visit(en.keyKind.value, bound);
        visit(en.value, bound);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      visit(c.iterRange, bound);
      visit(c.accuInit, bound);
      const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter((n) => n !== ''));
      for (const part of [c.loopCondition, c.loopStep, c.result]) visit(part, inner);
      return;
    }
    default:
      return;
  }
}

/** Identifiers used by the expression that are neither declared nor bound by a macro. */
function undeclared(root: Expr, declared: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const visit: Visit = (e, bound) => {
    if (!e) return;
    if (e.exprKind.case === 'identExpr') {
      const name = e.exprKind.value.name;
      if (!declared.has(name) && !bound.has(name)) found.add(name);
      return;
    }
    visitChildren(e, bound, declared, visit);
  };
  visit(root, new Set());
  return [...found];
}
