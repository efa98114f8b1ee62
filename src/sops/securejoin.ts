// Joins a path onto a root the way filepath-securejoin does: `..` and symlinks are resolved as
// if root were `/`, so the result can never leave root. The tree is the extracted source in
// memory; paths are '/'-separated and relative to its root.

import { SopsError } from './errors.ts';

const MAX_LINKS = 255;

/** What the decryptor reads of a source tree (an ArtifactTree satisfies it). */
export interface SourceTree {
  get(rel: string): { type: 'dir' } | { type: 'file'; data: Buffer } | { type: 'symlink'; target: string } | undefined;
  writeFile(rel: string, data: Buffer): void;
}

/** The relative path `unsafe` names below the root ('' for the root itself). */
export function secureJoin(tree: SourceTree, unsafe: string): string {
  let pending = unsafe.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    // A missing component is not a link: the rest is taken literally.
    const node = tree.get([...resolved, part].join('/'));
    if (node?.type !== 'symlink') {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new SopsError('UnsafePath', 'too many symlinks while resolving a path');
    if (node.target.startsWith('/')) resolved.length = 0;
    pending = [...node.target.split(/[\\/]+/).filter((p) => p !== '' && p !== '.'), ...pending];
  }
  return resolved.join('/');
}
