// Joins a path onto a root the way filepath-securejoin does: `..` and symlinks are resolved as
// if root were `/`, so the result can never leave root.
import { lstat, readlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { SopsError } from './errors.ts';

const MAX_LINKS = 255;

export async function secureJoin(root: string, unsafe: string): Promise<string> {
  let pending = unsafe.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    // A missing component is not a link: the rest is taken literally.
    const isLink = await lstat(candidate).then((st) => st.isSymbolicLink(), () => false);
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new SopsError('UnsafePath', 'too many symlinks while resolving a path');
    const target = await readlink(candidate);
    if (target.startsWith(sep)) resolved.length = 0;
    pending = [...target.split(/[\\/]+/).filter((p) => p !== '' && p !== '.'), ...pending];
  }
  return join(root, ...resolved);
}

/** Go's stripRoot: the path relative to root, `.` for root itself. */
export function relativeToRoot(root: string, abs: string): string {
  const r = root.endsWith(sep) ? root.slice(0, -1) : root;
  if (abs === r) return '.';
  return abs.startsWith(r + sep) ? abs.slice(r.length + 1) : abs;
}
