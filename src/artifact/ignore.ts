// Exclusion rules for source artifacts, with Flux's semantics (fluxcd/pkg sourceignore):
// VCS metadata is always excluded; the default list (media, archives, CI folders, a few tool
// files) applies only while neither `.sourceignore` files nor `spec.ignore` give any pattern;
// patterns in deeper `.sourceignore` files and then `spec.ignore` take precedence.
import fs from 'node:fs/promises';
import path from 'node:path';
import ignore from 'ignore';

/** Returns true when the entry at relPath ('/'-separated, relative to the root) is excluded. */
export type IgnoreFilter = (relPath: string, isDir: boolean) => boolean;

export const SOURCE_IGNORE_FILE = '.sourceignore';

/** Flux's ExcludeVCS, plus `.jj/` (Jujutsu checkouts carry it next to or instead of `.git/`). */
export const VCS_EXCLUSIONS: readonly string[] = ['.git/', '.jj/', '.gitignore', '.gitmodules', '.gitattributes'];

/** Flux's ExcludeExt, ExcludeCI and ExcludeExtra, in that order. */
export const DEFAULT_EXCLUSIONS: readonly string[] = [
  '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip',
  '.github/', '.circleci/', '.travis.yml', '.gitlab-ci.yml', 'appveyor.yml', '.drone.yml', 'cloudbuild.yaml',
  'codeship-services.yml', 'codeship-steps.yml',
  '**/.goreleaser.yml', '**/.sops.yaml', '**/.flux.yaml',
];

/** Patterns scoped to a directory ('' for the root), as a `.sourceignore` file there would be. */
export interface IgnoreLayer {
  base: string;
  patterns: readonly string[];
}

/** Meaningful lines of a gitignore-syntax text (comments and blank lines dropped, as Flux does). */
export function parsePatterns(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** A filter from layers given lowest precedence first; within a layer the last matching rule wins. */
export function ignoreFilter(layers: readonly IgnoreLayer[]): IgnoreFilter {
  const compiled = layers
    .filter((layer) => layer.patterns.length > 0)
    .map((layer) => ({ prefix: layer.base === '' ? '' : `${layer.base}/`, ig: ignore().add([...layer.patterns]) }))
    .reverse();
  return (relPath, isDir) => {
    for (const { prefix, ig } of compiled) {
      if (!relPath.startsWith(prefix) || relPath === prefix) continue;
      const local = relPath.slice(prefix.length);
      const result = ig.test(isDir ? `${local}/` : local);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  };
}

export interface SourceIgnoreOptions {
  /** The object's `spec.ignore` (gitignore syntax), applied last. */
  ignore?: string | undefined;
}

/**
 * The filter Flux applies when archiving a checkout: VCS exclusions, then the defaults or the
 * `.sourceignore` files found below root (not inside `.git`, not through symlinks) and spec.ignore.
 */
export async function sourceIgnoreFilter(root: string, options: SourceIgnoreOptions = {}): Promise<IgnoreFilter> {
  return sourceIgnoreFilterOf(diskTree(root), options);
}

/** sourceIgnoreFilter for any tree (on disk, or in memory): the same walk and the same rules. */
export async function sourceIgnoreFilterOf(tree: IgnoreFileTree, options: SourceIgnoreOptions = {}): Promise<IgnoreFilter> {
  const layers: IgnoreLayer[] = await loadIgnoreLayers(tree);
  if (options.ignore !== undefined) layers.push({ base: '', patterns: parsePatterns(options.ignore) });
  const anyPatterns = layers.some((layer) => layer.patterns.length > 0);
  const defaults: IgnoreLayer = { base: '', patterns: anyPatterns ? VCS_EXCLUSIONS : [...VCS_EXCLUSIONS, ...DEFAULT_EXCLUSIONS] };
  return ignoreFilter([defaults, ...layers]);
}

/** `.sourceignore` files below root, parents before children (so deeper files win). */
export async function loadSourceIgnoreFiles(root: string): Promise<IgnoreLayer[]> {
  return loadIgnoreLayers(diskTree(root));
}

/** An entry of a directory as the walk sees it (fs.Dirent fits): links are neither files nor directories. */
export interface IgnoreWalkEntry {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** What finding `.sourceignore` files needs of a tree; paths are '/'-separated, '' is the root. */
export interface IgnoreFileTree {
  readdir(rel: string): Promise<readonly IgnoreWalkEntry[]> | readonly IgnoreWalkEntry[];
  readFile(rel: string): Promise<string> | string;
}

/** The `.sourceignore` files of a tree, parents before children, subdirectories byte-wise sorted, `.git` skipped. */
export async function loadIgnoreLayers(tree: IgnoreFileTree): Promise<IgnoreLayer[]> {
  const layers: IgnoreLayer[] = [];
  const walk = async (rel: string): Promise<void> => {
    const items = await tree.readdir(rel);
    const file = items.find((item) => item.name === SOURCE_IGNORE_FILE && item.isFile());
    if (file) layers.push({ base: rel, patterns: parsePatterns(await tree.readFile(rel === '' ? file.name : `${rel}/${file.name}`)) });
    const subdirs = items.filter((item) => item.isDirectory() && item.name !== '.git').map((item) => item.name);
    subdirs.sort(compareNames);
    for (const name of subdirs) await walk(rel === '' ? name : `${rel}/${name}`);
  };
  await walk('');
  return layers;
}

function diskTree(root: string): IgnoreFileTree {
  return {
    readdir: (rel) => fs.readdir(path.join(root, rel), { withFileTypes: true }),
    readFile: (rel) => fs.readFile(path.join(root, rel), 'utf8'),
  };
}

/** Byte-wise (UTF-8) order, independent of locale. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
