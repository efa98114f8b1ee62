// Before kustomize build, as Flux's DecryptSources: decrypts in place the files that the
// secretGenerator `files` and `envs` and the `patches[].path` of every kustomization reachable
// from path refer to, following `resources` and `components` without ever leaving root.
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { decryptWithFormat, formatFromPath, type SopsFormat } from './decrypt.ts';
import { SopsError } from './errors.ts';
import type { SopsKeys } from './keys.ts';
import { relativeToRoot, secureJoin } from './securejoin.ts';

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

async function loadKustomization(dir: string): Promise<Record<string, unknown>> {
  let found: string | undefined;
  for (const name of KUSTOMIZATION_FILES) {
    const p = join(dir, name);
    const st = await lstat(p).catch(() => undefined);
    if (st === undefined) continue;
    if (!st.isFile()) throw new SopsError('UnsafePath', `expected ${name} to be a regular file`);
    if (found !== undefined) throw new SopsError('Malformed', 'found multiple kustomization files');
    found = p;
  }
  if (found === undefined) throw new SopsError('Malformed', 'no kustomization file found');
  try {
    const doc = parse(await readFile(found, 'utf8')) as unknown;
    return typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  } catch (err) {
    throw new SopsError('Malformed', 'failed to parse kustomization file', { cause: err });
  }
}

class SourceDecryptor {
  readonly root: string;
  readonly keys: SopsKeys;
  readonly opts: SourcesOptions;
  readonly visitedDirs = new Set<string>();
  readonly decrypted: string[] = [];
  readonly done = new Set<string>();

  constructor(root: string, keys: SopsKeys, opts: SourcesOptions) {
    this.root = root;
    this.keys = keys;
    this.opts = opts;
  }

  async securePath(base: string, p: string): Promise<string> {
    // Absolute references are taken as relative to root, as Flux strips the root from them.
    const rel = isAbsolute(p) ? relativeToRoot(this.root, p) : join(base, p);
    return secureJoin(this.root, rel);
  }

  async visitDir(relDir: string): Promise<void> {
    const abs = await secureJoin(this.root, relDir);
    if (this.visitedDirs.has(abs)) return;
    this.visitedDirs.add(abs);
    const st = await lstat(abs).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) return; // a file, a URL or nothing: not ours to follow
    const rel = relativeToRoot(this.root, abs);
    const refs = refsOf(await loadKustomization(abs));
    for (const f of refs.files) await this.decryptFile(await this.securePath(rel, f.path), f.format);
    for (const r of refs.resources) await this.visitDir(isAbsolute(r) ? relativeToRoot(this.root, r) : join(rel, r));
  }

  async decryptFile(abs: string, format: SopsFormat): Promise<void> {
    if (this.done.has(abs)) return;
    const rel = relativeToRoot(this.root, abs);
    const st = await lstat(abs).catch(() => undefined);
    if (st === undefined) throw new SopsError('Malformed', `file '${rel}' referenced by a kustomization does not exist`);
    if (!st.isFile()) throw new SopsError('UnsafePath', `cannot decrypt '${rel}': not a regular file`);
    const max = this.opts.maxFileSize ?? MAX_FILE_SIZE;
    if (max > 0 && st.size > max) throw new SopsError('FileTooLarge', `cannot decrypt '${rel}': size ${st.size} bytes exceeds the limit of ${max}`);
    const data = await readFile(abs);
    if (!data.includes(MARKERS[format])) return;
    let out: Buffer;
    try {
      out = await decryptWithFormat(data, format, format, this.keys, { verifyMac: this.opts.verifyMac ?? false });
    } catch (err) {
      const reason = err instanceof SopsError ? err.reason : 'Malformed';
      throw new SopsError(reason, `failed to decrypt '${rel}': ${err instanceof Error ? err.message : 'error'}`, { cause: err });
    }
    await writeFile(abs, out, { mode: 0o600 });
    this.done.add(abs);
    this.decrypted.push(rel);
  }
}

/** Decrypts in place; returns the decrypted files, relative to root, in visiting order. */
export async function decryptSources(root: string, path: string, keys: SopsKeys, opts: SourcesOptions = {}): Promise<string[]> {
  if (!isAbsolute(root)) throw new SopsError('UnsafePath', 'root must be an absolute path');
  const d = new SourceDecryptor(root, keys, opts);
  await d.visitDir(isAbsolute(path) ? relativeToRoot(root, path) : path);
  return d.decrypted;
}
