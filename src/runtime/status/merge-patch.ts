// JSON merge patch (RFC 7386) between two snapshots of plain JSON. Arrays and scalars are
// replaced whole; a key that disappears becomes null, which is how merge patch deletes.
import { isDeepStrictEqual } from 'node:util';

export type JsonObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The merge patch that turns `before` into `after`; `undefined` when they are equal.
 * `undefined` values in `after` count as absent (JSON has no undefined).
 */
export function createMergePatch(before: unknown, after: unknown): unknown {
  if (!isPlainObject(before) || !isPlainObject(after)) {
    return isDeepStrictEqual(before, after) ? undefined : structuredClone(after ?? null);
  }
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const old = before[key];
    const sub = isPlainObject(old) && isPlainObject(value) ? createMergePatch(old, value) : replaced(old, value);
    if (sub !== undefined) patch[key] = sub;
  }
  for (const [key, value] of Object.entries(before)) {
    if (value !== undefined && after[key] === undefined) patch[key] = null;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

function replaced(old: unknown, value: unknown): unknown {
  return old !== undefined && isDeepStrictEqual(old, value) ? undefined : structuredClone(value);
}

/** Applies a merge patch (RFC 7386 §2); the target is not modified. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: JsonObject = isPlainObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
