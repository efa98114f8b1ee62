// The kustomization.yaml Flux builds from: generated when the path has none (every manifest
// below it, sub-directories with their own kustomization as one resource each), then the
// Kustomization's own overlays (targetNamespace, patches, images, components, name affixes).
import { posix } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import type { ArtifactTree } from '../../artifact/tree.ts';
import type { KustomizationSpec } from '../../api/kustomize/v1/index.ts';
import { generic } from '../shared/errors.ts';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

// Paths are '/'-separated and relative to the artifact's root ('' is the root). Only regular
// files count: the engine never follows a link, so a linked kustomization would not build.
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
/** `path` relative to `base`, a directory above it. */
const under = (base: string, path: string) => (base === '' ? path : path.slice(base.length + 1));

export function kustomizationFile(tree: ArtifactTree, dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((name) => join(dir, name)).find((path) => tree.isFile(path));
}

/** Manifests under `dir` in walk (byte-wise) order; a directory with a kustomization is one entry. */
function scan(tree: ArtifactTree, base: string, dir: string, out: string[]): void {
  for (const name of tree.list(dir)) {
    const path = join(dir, name);
    if (tree.isDir(path)) {
      if (kustomizationFile(tree, path)) out.push(under(base, path));
      else scan(tree, base, path, out);
      continue;
    }
    if (tree.isFile(path) && /\.ya?ml$/.test(name)) out.push(under(base, path));
  }
}

/**
 * Flux's generator refuses a manifest it cannot decode, naming the file. Every scanned file is a
 * resource of the generated kustomization, so kustomize reads them all anyway: this runs only
 * when that build failed, to name the file as Flux does (parsing on every build cost ~1.5 ms).
 */
export function checkGeneratedResources(tree: ArtifactTree, dir: string, resources: readonly string[]): void {
  for (const file of resources) {
    const path = join(dir, file);
    if (!/\.ya?ml$/.test(file) || !tree.isFile(path)) continue;
    const docs = parseAllDocuments(tree.readFile(path).toString('utf8'));
    const bad = (Array.isArray(docs) ? docs : [docs]).find((d) => d.errors.length > 0);
    if (bad) throw generic('BuildFailed', `failed to decode Kubernetes YAML from ${file}: ${bad.errors[0]?.message ?? 'invalid YAML'}`);
  }
}

type KustomizationDoc = Record<string, unknown>;

/**
 * Reads (or generates) the kustomization at `dir` and writes it back with the spec's overlays;
 * returns the resources it generated (none when the path had a kustomization).
 */
export function prepareKustomization(tree: ArtifactTree, dir: string, spec: KustomizationSpec): string[] {
  let file = kustomizationFile(tree, dir);
  let doc: KustomizationDoc;
  const generated: string[] = [];
  if (!file) {
    scan(tree, dir, dir, generated);
    doc = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: generated };
    file = join(dir, 'kustomization.yaml');
  } else {
    const parsed = parseDocument(tree.readFile(file).toString('utf8'));
    if (parsed.errors.length > 0) throw generic('BuildFailed', `failed to parse ${under(dir, file)}: ${parsed.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = parsed.toJS({ maxAliasCount: 100 });
    doc = value && typeof value === 'object' && !Array.isArray(value) ? (value as KustomizationDoc) : {};
    if (!hasOverlays(spec)) return generated;
  }
  applyOverlays(tree, dir, doc, spec);
  tree.writeFile(file, stringify(doc));
  return generated;
}

function hasOverlays(spec: KustomizationSpec): boolean {
  return Boolean(spec.targetNamespace || spec.patches?.length || spec.images?.length || spec.components?.length || spec.namePrefix || spec.nameSuffix);
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? [...(v as T[])] : []);
const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** spec.images replace an entry of the same name or are appended (Flux's generator). */
function mergeImages(existing: unknown, images: NonNullable<KustomizationSpec['images']>): unknown[] {
  const out = list<{ name?: string }>(existing);
  for (const img of images) {
    const at = out.findIndex((i) => i.name === img.name);
    if (at >= 0) out[at] = { ...img };
    else out.push({ ...img });
  }
  return out;
}

/** A component is present when its path, links followed, names something inside the artifact. */
function presentComponents(tree: ArtifactTree, dir: string, spec: KustomizationSpec): string[] {
  const wanted: string[] = [];
  for (const c of spec.components ?? []) {
    const path = posix.normalize(join(dir, c));
    const real = path.startsWith('/') ? undefined : tree.resolve(path === '.' ? '' : path);
    const present = real !== undefined && tree.get(real) !== undefined;
    if (present || !spec.ignoreMissingComponents) wanted.push(c);
  }
  return wanted;
}

function applyOverlays(tree: ArtifactTree, dir: string, doc: KustomizationDoc, spec: KustomizationSpec): void {
  if (spec.targetNamespace) doc['namespace'] = spec.targetNamespace;
  if (spec.namePrefix) doc['namePrefix'] = `${spec.namePrefix}${text(doc['namePrefix'])}`;
  if (spec.nameSuffix) doc['nameSuffix'] = `${text(doc['nameSuffix'])}${spec.nameSuffix}`;
  if (spec.patches?.length) doc['patches'] = [...list(doc['patches']), ...spec.patches.map((p) => (p.target ? { patch: p.patch, target: p.target } : { patch: p.patch }))];
  if (spec.images?.length) doc['images'] = mergeImages(doc['images'], spec.images);
  if (spec.components?.length) doc['components'] = [...list<string>(doc['components']), ...presentComponents(tree, dir, spec)];
}
