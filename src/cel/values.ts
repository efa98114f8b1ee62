// How Kubernetes objects look to CEL. Flux hands health-check expressions the object as an
// unstructured map, where JSON integers are int64 (CEL `int`); readyExpr variables are
// google.protobuf.Struct values, where every number is a double. Both are reproduced.

export type NumberMode = 'int' | 'double';

/** A copy of a JSON value with integral numbers as bigint (CEL int); other values shared. */
export function withIntegers(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(withIntegers);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withIntegers(v);
    return out;
  }
  return value;
}

export function toCelValue(value: unknown, mode: NumberMode): unknown {
  return mode === 'int' ? withIntegers(value) : value;
}
