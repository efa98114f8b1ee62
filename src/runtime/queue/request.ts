import { ControllerError } from './errors.ts';

/** What a reconciler is asked to converge: an object by namespace and name (level-based; no event payload). */
export interface Request {
  namespace?: string;
  name: string;
}

/** The queue key for a request: `namespace/name`, or `name` for cluster-scoped objects. */
export function requestKey(req: Request): string {
  if (!req.name || req.name.includes('/') || req.namespace?.includes('/')) {
    throw new ControllerError('InvalidKey', `invalid request ${JSON.stringify(req)}: name is required and neither part may contain "/"`);
  }
  return req.namespace ? `${req.namespace}/${req.name}` : req.name;
}

/** The inverse of requestKey. */
export function parseKey(key: string): Request {
  const parts = key.split('/');
  const [first, second] = parts;
  if (parts.length === 1 && first) return { name: first };
  if (parts.length === 2 && first && second) return { namespace: first, name: second };
  throw new ControllerError('InvalidKey', `invalid key "${key}": want "namespace/name" or "name"`);
}
