// The kustomization.yaml Flux builds from: generated when the path has none (every manifest
// below it, sub-directories with their own kustomization as one resource each), then the
// Kustomization's own overlays (targetNamespace, patches, images, components, name affixes).
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import type { KustomizationSpec } from '../../api/kustomize/v1/index.ts';
import { generic } from '../shared/errors.ts';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

export async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) if (await isFile(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Manifests under `dir` in walk (lexical) order; a directory with a kustomization is one entry. */
async function scan(base: string, dir: string, out: string[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (await kustomizationFile(path)) out.push(relative(base, path));
      else await scan(base, path, out);
      continue;
    }
    if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(relative(base, path));
  }
}

/**
 * Flux's generator refuses a manifest it cannot decode, naming the file. Every scanned file is a
 * resource of the generated kustomization, so kustomize reads them all anyway: this runs only
 * when that build failed, to name the file as Flux does (parsing on every build cost ~1.5 ms).
 */
export async function checkGeneratedResources(dir: string, resources: readonly string[]): Promise<void> {
  for (const file of resources) {
    const path = join(dir, file);
    if (!/\.ya?ml$/.test(file) || !(await isFile(path))) continue;
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    const bad = (Array.isArray(docs) ? docs : [docs]).find((d) => d.errors.length > 0);
    if (bad) throw generic('BuildFailed', `failed to decode Kubernetes YAML from ${file}: ${bad.errors[0]?.message ?? 'invalid YAML'}`);
  }
}

type KustomizationDoc = Record<string, unknown>;

/**
 * Reads (or generates) the kustomization at `dir` and writes it back with the spec's overlays;
 * returns the resources it generated (none when the path had a kustomization).
 */
export async function prepareKustomization(dir: string, spec: KustomizationSpec): Promise<string[]> {
  let file = await kustomizationFile(dir);
  let doc: KustomizationDoc;
  const generated: string[] = [];
  if (!file) {
    await scan(dir, dir, generated);
    doc = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: generated };
    file = join(dir, 'kustomization.yaml');
  } else {
    const parsed = parseDocument(await readFile(file, 'utf8'));
    if (parsed.errors.length > 0) throw generic('BuildFailed', `failed to parse ${relative(dir, file)}: ${parsed.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = parsed.toJS({ maxAliasCount: 100 });
    doc = value && typeof value === 'object' && !Array.isArray(value) ? (value as KustomizationDoc) : {};
    if (!hasOverlays(spec)) return generated;
  }
  await applyOverlays(dir, doc, spec);
  await writeFile(file, stringify(doc));
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

async function presentComponents(dir: string, spec: KustomizationSpec): Promise<string[]> {
  const wanted: string[] = [];
  for (const c of spec.components ?? []) {
    const present = await stat(join(dir, c)).then(() => true, () => false);
    if (present || !spec.ignoreMissingComponents) wanted.push(c);
  }
  return wanted;
}

async function applyOverlays(dir: string, doc: KustomizationDoc, spec: KustomizationSpec): Promise<void> {
  if (spec.targetNamespace) doc['namespace'] = spec.targetNamespace;
  if (spec.namePrefix) doc['namePrefix'] = `${spec.namePrefix}${text(doc['namePrefix'])}`;
  if (spec.nameSuffix) doc['nameSuffix'] = `${text(doc['nameSuffix'])}${spec.nameSuffix}`;
  if (spec.patches?.length) doc['patches'] = [...list(doc['patches']), ...spec.patches.map((p) => (p.target ? { patch: p.patch, target: p.target } : { patch: p.patch }))];
  if (spec.images?.length) doc['images'] = mergeImages(doc['images'], spec.images);
  if (spec.components?.length) doc['components'] = [...list<string>(doc['components']), ...(await presentComponents(dir, spec))];
}
