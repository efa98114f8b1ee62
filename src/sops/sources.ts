// Before kustomize build, as Flux's DecryptSources: decrypts in place the files that the
// secretGenerator `files` and `envs` and the `patches[].path` of every kustomization reachable
// from path refer to, following `resources` and `components` without ever leaving root.
import { posix } from 'node:path';
import { parse } from 'yaml';
import { decryptWithFormat, formatFromPath, type SopsFormat } from './decrypt.ts';
import { SopsError } from './errors.ts';
import type { SopsKeys } from './keys.ts';
import { secureJoin, type SourceTree } from './securejoin.ts';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const MAX_FILE_SIZE = 5 << 20;

const MARKERS: Record<SopsFormat, string> = {
  binary: '"mac": "ENC[',
  dotenv: 'sops_mac=ENC[',
  ini: '[sops]',
  json: '"mac": "ENC[',
  yaml: 'mac: ENC[',
};

interface KustomizationRefs {
  resources: string[];
  files: Array<{ path: string; format: SopsFormat }>;
}

export interface SourcesOptions {
  /** As Flux: the MAC is not checked (default false). */
  verifyMac?: boolean;
  maxFileSize?: number;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objects = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

function isRemoteUrl(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]+/i.test(p);
}

function refsOf(k: Record<string, unknown>): KustomizationRefs {
  const files: KustomizationRefs['files'] = [];
  for (const gen of objects(k.secretGenerator)) {
    for (const src of strings(gen.files)) {
      const eq = src.indexOf('=');
      const key = eq === -1 ? src : src.slice(0, eq);
      files.push({ path: eq === -1 ? src : src.slice(eq + 1), format: formatFromPath(key) });
    }
    for (const env of strings(gen.envs)) {
      const f = formatFromPath(env);
      files.push({ path: env, format: f === 'binary' ? 'dotenv' : f });
    }
  }
  for (const patch of objects(k.patches)) {
    if (typeof patch.path === 'string' && patch.path !== '' && !isRemoteUrl(patch.path)) {
      files.push({ path: patch.path, format: formatFromPath(patch.path) });
    }
  }
  return { resources: [...strings(k.resources), ...strings(k.components)], files };
}

function loadKustomization(tree: SourceTree, dir: string): Record<string, unknown> {
  let found: Buffer | undefined;
  for (const name of KUSTOMIZATION_FILES) {
    const node = tree.get(posix.join(dir, name));
    if (node === undefined) continue;
    if (node.type !== 'file') throw new SopsError('UnsafePath', `expected ${name} to be a regular file`);
    if (found !== undefined) throw new SopsError('Malformed', 'found multiple kustomization files');
    found = node.data;
  }
  if (found === undefined) throw new SopsError('Malformed', 'no kustomization file found');
  try {
    const doc = parse(found.toString('utf8')) as unknown;
    return typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  } catch (err) {
    throw new SopsError('Malformed', 'failed to parse kustomization file', { cause: err });
  }
}

/** Absolute references are taken as relative to the root, as Flux strips the root from them. */
const below = (base: string, p: string) => (p.startsWith('/') ? p : posix.join(base, p));

class SourceDecryptor {
  readonly tree: SourceTree;
  readonly keys: SopsKeys;
  readonly opts: SourcesOptions;
  readonly visitedDirs = new Set<string>();
  readonly decrypted: string[] = [];
  readonly done = new Set<string>();

  constructor(tree: SourceTree, keys: SopsKeys, opts: SourcesOptions) {
    this.tree = tree;
    this.keys = keys;
    this.opts = opts;
  }

  async visitDir(relDir: string): Promise<void> {
    const dir = secureJoin(this.tree, relDir);
    if (this.visitedDirs.has(dir)) return;
    this.visitedDirs.add(dir);
    if (this.tree.get(dir)?.type !== 'dir') return; // a file, a URL or nothing: not ours to follow
    const refs = refsOf(loadKustomization(this.tree, dir));
    for (const f of refs.files) await this.decryptFile(secureJoin(this.tree, below(dir, f.path)), f.format);
    for (const r of refs.resources) await this.visitDir(below(dir, r));
  }

  async decryptFile(rel: string, format: SopsFormat): Promise<void> {
    if (this.done.has(rel)) return;
    const node = this.tree.get(rel);
    if (node === undefined) throw new SopsError('Malformed', `file '${rel}' referenced by a kustomization does not exist`);
    if (node.type !== 'file') throw new SopsError('UnsafePath', `cannot decrypt '${rel}': not a regular file`);
    const max = this.opts.maxFileSize ?? MAX_FILE_SIZE;
    const data = node.data;
    if (max > 0 && data.length > max) throw new SopsError('FileTooLarge', `cannot decrypt '${rel}': size ${data.length} bytes exceeds the limit of ${max}`);
    if (!data.includes(MARKERS[format])) return;
    let out: Buffer;
    try {
      out = await decryptWithFormat(data, format, format, this.keys, { verifyMac: this.opts.verifyMac ?? false });
    } catch (err) {
      const reason = err instanceof SopsError ? err.reason : 'Malformed';
      throw new SopsError(reason, `failed to decrypt '${rel}': ${err instanceof Error ? err.message : 'error'}`, { cause: err });
    }
    this.tree.writeFile(rel, out);
    this.done.add(rel);
    this.decrypted.push(rel);
  }
}

/** Decrypts in place in the tree; returns the decrypted files, relative to the root, in visiting order. */
export async function decryptSources(tree: SourceTree, path: string, keys: SopsKeys, opts: SourcesOptions = {}): Promise<string[]> {
  const d = new SourceDecryptor(tree, keys, opts);
  await d.visitDir(path === '.' ? '' : path);
  return d.decrypted;
}
