// From an extracted artifact to the objects to apply: kustomization prepared, SOPS files
// decrypted, kustomize build in the engine, Secrets decrypted, variables substituted, common
// metadata and owner labels set. Every failure is a ReconcileError with Flux's reason.
import { posix } from 'node:path';
import type { KustomizationSpec } from '../../api/kustomize/v1/index.ts';
import type { ArtifactTree } from '../../artifact/tree.ts';
import { OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from '../../api/kustomize/v1/index.ts';
import type { EnginePool, InlineTree } from '../../engines/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { SopsKeys } from '../../sops/index.ts';
import { generic, stalling } from '../shared/errors.ts';
import { checkGeneratedResources, prepareKustomization } from './generate.ts';
import { Reason } from './reasons.ts';
import { substituteObject } from './substitute.ts';

export interface BuildInput {
  /** The extracted artifact (decryption and the generated kustomization change it in place). */
  tree: ArtifactTree;
  spec: KustomizationSpec;
  owner: { name: string; namespace: string };
  engine: EnginePool;
  allowRemoteBases: boolean;
  /** SOPS keys when spec.decryption is set. */
  keys?: SopsKeys | undefined;
  /** Post-build variables when spec.postBuild is set. */
  vars?: Record<string, string> | undefined;
  signal?: AbortSignal;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * `spec.path` inside the artifact, relative to its root ('' for the root), links followed; a
 * path that climbs out of it or is missing is the user's to fix.
 */
export function buildDir(tree: ArtifactTree, path: string | undefined): string {
  const outside = () => stalling(Reason.ArtifactFailed, `kustomization path '${path ?? ''}' is outside the artifact`);
  const normal = posix.normalize(path ?? '.');
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) throw outside();
  const dir = tree.resolve(normal === '.' ? '' : normal);
  if (dir === undefined) throw outside();
  if (!tree.isDir(dir)) throw generic(Reason.ArtifactFailed, `kustomization path not found: stat ${path ?? '.'}: no such file or directory`);
  return dir;
}

export async function buildObjects(input: BuildInput): Promise<KubeObject[]> {
  const { tree, spec } = input;
  const dir = buildDir(tree, spec.path);
  let generated: string[];
  try {
    generated = prepareKustomization(tree, dir, spec);
  } catch (err) {
    throw generic(Reason.BuildFailed, `kustomize create failed: ${message(err)}`, err);
  }
  if (input.keys) {
    try {
      const { decryptSources } = await import('../../sops/index.ts');
      await decryptSources(tree, dir, input.keys);
    } catch (err) {
      throw generic(Reason.DecryptionFailed, `decryption failed: ${message(err)}`, err);
    }
  }
  let built: unknown[];
  try {
    built = await input.engine.kustomizeBuildObjects({ tree: inlineTree(tree), path: dir || '.', allowRemoteBases: input.allowRemoteBases }, input.signal);
  } catch (err) {
    checkGeneratedResources(tree, dir, generated);
    throw generic(Reason.BuildFailed, `kustomize build failed: ${message(err)}`, err);
  }
  const objects = checkObjects(built);
  const out: KubeObject[] = [];
  for (const obj of objects) out.push(await finishObject(obj, input));
  return out;
}

/** What the engine loads: directories and regular files (it never follows a link). */
function inlineTree(tree: ArtifactTree): InlineTree {
  const dirs: string[] = [];
  const files: { path: string; data: Buffer }[] = [];
  for (const e of tree.entries()) {
    if (e.type === 'dir') dirs.push(e.path);
    else if (e.type === 'file' && Buffer.isBuffer(e.content)) files.push({ path: e.path, data: e.content });
  }
  return { dirs, files };
}

/** The engine's objects, each checked to be a Kubernetes object (apiVersion, kind). */
function checkObjects(built: unknown[]): KubeObject[] {
  return built.map((v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as KubeObject).kind !== 'string' || typeof (v as KubeObject).apiVersion !== 'string') {
      throw generic(Reason.BuildFailed, 'the build output holds a document that is not a Kubernetes object');
    }
    return v as KubeObject;
  });
}

async function finishObject(obj: KubeObject, input: BuildInput): Promise<KubeObject> {
  let o = obj;
  if (input.keys) {
    try {
      const { decryptKubeObject } = await import('../../sops/index.ts');
      o = (await decryptKubeObject(o, input.keys)) ?? o;
    } catch (err) {
      throw generic(Reason.DecryptionFailed, `failed to decrypt ${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name ?? ''}: ${message(err)}`, err);
    }
  }
  if (input.vars) {
    try {
      o = substituteObject(o, input.vars, { strict: true });
    } catch (err) {
      throw generic(Reason.BuildFailed, `post build failed for ${o.kind}/${o.metadata.name ?? ''}: ${message(err)}`, err);
    }
  }
  const meta = (o.metadata ??= {});
  const common = input.spec.commonMetadata;
  if (common?.labels) meta.labels = { ...meta.labels, ...common.labels };
  if (common?.annotations) meta.annotations = { ...meta.annotations, ...common.annotations };
  meta.labels = { ...meta.labels, [OWNER_NAME_LABEL]: input.owner.name, [OWNER_NAMESPACE_LABEL]: input.owner.namespace };
  return o;
}

