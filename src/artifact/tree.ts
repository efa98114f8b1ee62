// An extracted artifact held in memory. A reconcile that only reads a small artifact (the
// kustomize controller's, the OCI layer the source controller repackages) pays no temp
// directory, no file per entry and no recursive delete: on this machine's ext4 that disk round
// trip cost ~2.5 ms of CPU per artifact, the in-memory one ~0.05 ms. The same checks as on disk
// apply (see extract.ts); symlinks are kept as links and resolved here, never above the root.
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BuildEntry } from './build.ts';
import { ArtifactError } from './errors.ts';
import { extractInto, shortName, type ExtractLimits, type ExtractResult, type ExtractTarget } from './extract.ts';
import { compareNames } from './ignore.ts';

export type TreeNode =
  | { type: 'dir' }
  | { type: 'file'; data: Buffer; executable: boolean }
  | { type: 'symlink'; target: string };

/** Links followed while resolving one path before it counts as a loop (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

/** '/'-separated paths relative to the root ('' is the root itself) → what is there. */
export class ArtifactTree {
  readonly #nodes = new Map<string, TreeNode>([['', { type: 'dir' }]]);
  readonly #children = new Map<string, Set<string>>([['', new Set()]]);

  get(rel: string): TreeNode | undefined {
    return this.#nodes.get(rel);
  }

  isDir(rel: string): boolean {
    return this.#nodes.get(rel)?.type === 'dir';
  }

  isFile(rel: string): boolean {
    return this.#nodes.get(rel)?.type === 'file';
  }

  /** Names in a directory, byte-wise sorted (a walk's order); empty for anything else. */
  list(dir: string): string[] {
    return [...(this.#children.get(dir) ?? [])].sort(compareNames);
  }

  readFile(rel: string): Buffer {
    const node = this.#nodes.get(rel);
    if (node?.type !== 'file') throw new ArtifactError('IllegalPath', `'${shortName(rel)}' is not a regular file`);
    return node.data;
  }

  /** Creates or replaces a regular file; its directory must exist. */
  writeFile(rel: string, data: Buffer | string, executable = false): void {
    this.#setLeaf(rel, { type: 'file', data: Buffer.from(data), executable });
  }

  /** Creates rel and its parents; a file or link on the way is an error (nothing goes through a link). */
  mkdirs(rel: string, name = rel): void {
    if (rel === '') return;
    const segments = rel.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const sub = segments.slice(0, i).join('/');
      const node = this.#nodes.get(sub);
      if (node?.type === 'dir') continue;
      if (node !== undefined) throw new ArtifactError('IllegalPath', `entry '${shortName(name)}' goes through non-directory '${shortName(sub)}'`);
      this.#nodes.set(sub, { type: 'dir' });
      this.#children.set(sub, new Set());
      this.#children.get(parentOf(sub))?.add(basename(sub));
    }
  }

  symlink(rel: string, target: string): void {
    this.#setLeaf(rel, { type: 'symlink', target });
  }

  /**
   * The path rel names once every link on the way is followed, as the kernel would below a
   * chroot at the root; undefined when it would climb above the root or loops. A missing
   * component ends the resolution (the rest is taken literally).
   */
  resolve(rel: string): string | undefined {
    let pending = rel === '' ? [] : rel.split('/');
    const resolved: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0) return undefined;
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, part].join('/');
      const node = this.#nodes.get(candidate);
      if (node?.type !== 'symlink') {
        resolved.push(part);
        continue;
      }
      if (++links > MAX_LINKS) return undefined;
      if (path.posix.isAbsolute(node.target)) return undefined;
      pending = [...node.target.split('/'), ...pending];
    }
    return resolved.join('/');
  }

  /** Every entry in walk order (parents first, children byte-wise sorted), as buildTarGz takes them. */
  entries(): BuildEntry[] {
    const out: BuildEntry[] = [];
    const walk = (dir: string): void => {
      for (const name of this.list(dir)) {
        const rel = dir === '' ? name : `${dir}/${name}`;
        const node = this.#nodes.get(rel);
        if (node?.type === 'dir') {
          out.push({ path: rel, type: 'dir' });
          walk(rel);
        } else if (node?.type === 'file') out.push({ path: rel, type: 'file', content: node.data, executable: node.executable });
        else if (node?.type === 'symlink') out.push({ path: rel, type: 'symlink', linkTarget: node.target });
      }
    };
    walk('');
    return out;
  }

  /** Replaces an earlier file or link at rel, never a directory; creates its parents. */
  #setLeaf(rel: string, node: TreeNode): void {
    const parent = parentOf(rel);
    this.mkdirs(parent, rel);
    if (this.#nodes.get(rel)?.type === 'dir') throw new ArtifactError('IllegalPath', `entry '${shortName(rel)}' would replace a directory`);
    this.#nodes.set(rel, node);
    this.#children.get(parent)?.add(basename(rel));
  }
}

const parentOf = (rel: string) => {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
};
const basename = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);

/** Extracts a .tar.gz stream into a new tree, with the limits and checks of extractTarGz. */
export async function extractTarGzToTree(input: Readable, limits: ExtractLimits): Promise<ExtractResult & { tree: ArtifactTree }> {
  const tree = new ArtifactTree();
  const links: string[] = [];
  const target: ExtractTarget = {
    dir: (rel, name) => tree.mkdirs(rel, name),
    async file(rel, content, _size, executable) {
      const chunks: Buffer[] = [];
      for await (const chunk of content) chunks.push(chunk);
      tree.writeFile(rel, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), executable);
    },
    symlink(rel, linkTarget) {
      tree.symlink(rel, linkTarget);
      links.push(rel);
    },
    // Lexical checks cannot see links chained through other links: resolve each one.
    finish() {
      for (const rel of links) {
        if (tree.get(rel)?.type === 'symlink' && tree.resolve(rel) === undefined) {
          throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' resolves outside the destination`);
        }
      }
    },
    discard: () => undefined,
  };
  const result = await extractInto(input, target, limits);
  return { ...result, tree };
}
