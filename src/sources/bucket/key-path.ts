// Object key -> relative file path under the download directory. Keys come from the bucket
// owner, not from us: anything that could land outside the directory is refused.
import path from 'node:path';
import { IllegalPath } from './errors.ts';

/** Returns the absolute path for `key` below `dest`, or throws IllegalPath. */
export function keyToPath(dest: string, key: string): string {
  if (key === '') throw new IllegalPath(key, 'empty key');
  if (key.includes('\0')) throw new IllegalPath(key, 'contains a NUL byte');
  if (key.startsWith('/') || key.startsWith('\\') || /^[A-Za-z]:/.test(key)) throw new IllegalPath(key, 'absolute path');
  // Backslashes are separators on Windows and in some S3 clients' minds; treat them as such.
  const segments = key.split(/[/\\]/);
  if (segments.some((s) => s === '..')) throw new IllegalPath(key, "contains a '..' segment");
  if (key.endsWith('/') || key.endsWith('\\')) throw new IllegalPath(key, 'names a directory');
  const root = path.resolve(dest);
  const target = path.resolve(root, ...segments.filter((s) => s !== '' && s !== '.'));
  if (target === root || !target.startsWith(root + path.sep)) throw new IllegalPath(key, 'resolves outside the directory');
  return target;
}
