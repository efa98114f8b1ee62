// Packaging an in-memory tree exactly as the same files extracted to disk would be packaged
// (collectEntries walking the directory, sourceIgnoreFilter reading its `.sourceignore` files):
// the same entries and the same filter, so the same artifact bytes and digest.
import type { BuildEntry, BuildSource } from './build.ts';
import { sourceIgnoreFilterOf, type IgnoreFileTree, type IgnoreFilter, type SourceIgnoreOptions } from './ignore.ts';
import type { ArtifactTree } from './tree.ts';

export interface TreeArchiveInput {
  source: BuildSource;
  filter: IgnoreFilter;
}

/** The source and filter for buildTarGz / ArtifactStorage.archive, ignore rules as for a directory. */
export async function treeArchiveInput(tree: ArtifactTree, options: SourceIgnoreOptions = {}): Promise<TreeArchiveInput> {
  return { source: { entries: archivableEntries(tree) }, filter: await sourceIgnoreFilterOf(ignoreFileTree(tree), options) };
}

/** The tree's entries as collectEntries finds them on disk: a symlink only when it resolves to something inside the root. */
export function archivableEntries(tree: ArtifactTree): BuildEntry[] {
  return tree.entries().filter((entry) => entry.type !== 'symlink' || resolvesInside(tree, entry.path));
}

/** realpath's verdict without a disk: above the root or looping is undefined; a dangling link has no node. */
function resolvesInside(tree: ArtifactTree, rel: string): boolean {
  const target = tree.resolve(rel);
  return target !== undefined && tree.get(target) !== undefined;
}

/** The tree as the `.sourceignore` walk reads a directory (links are neither files nor directories). */
function ignoreFileTree(tree: ArtifactTree): IgnoreFileTree {
  return {
    readdir: (rel) =>
      tree.list(rel).map((name) => {
        const child = rel === '' ? name : `${rel}/${name}`;
        return { name, isFile: () => tree.isFile(child), isDirectory: () => tree.isDir(child) };
      }),
    readFile: (rel) => tree.readFile(rel).toString('utf8'),
  };
}
