// Step 2 of the reconcile: the Kustomization's source and its artifact, read from the shared
// informer cache (the controller watches every source kind anyway, to react to new revisions).
import type { Artifact } from '../../api/meta.ts';
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import { API_VERSION as SOURCE_API_VERSION } from '../../api/source/v1/group.ts';
import type { KubeObject, TypeRef } from '../../kube/types.ts';
import { stalling, waiting } from '../shared/errors.ts';
import { Reason } from './reasons.ts';

export const SOURCE_REFS: readonly TypeRef[] = ['GitRepository', 'OCIRepository', 'Bucket', 'ExternalArtifact'].map((kind) => ({ apiVersion: SOURCE_API_VERSION, kind }));

export interface ResolvedSource {
  source: KubeObject;
  artifact: Artifact;
  /** `kind/namespace/name`, as Flux prints sources in messages. */
  id: string;
}

export interface SourceLookup {
  get(ref: TypeRef, namespace: string, name: string): KubeObject | undefined;
  noCrossNamespaceRefs: boolean;
  /** Requeue while the source or its artifact is missing. */
  retryMs: number;
}

export function sourceKeyOf(obj: Kustomization): { kind: string; namespace: string; name: string } {
  const ref = obj.spec.sourceRef;
  return { kind: ref.kind, namespace: ref.namespace ?? obj.metadata.namespace ?? '', name: ref.name };
}

export function resolveSource(obj: Kustomization, lookup: SourceLookup): ResolvedSource {
  const { kind, namespace, name } = sourceKeyOf(obj);
  const id = `${kind}/${namespace}/${name}`;
  if (lookup.noCrossNamespaceRefs && namespace !== obj.metadata.namespace) {
    throw stalling(Reason.AccessDenied, `cannot access ${id}, cross-namespace references have been disabled`);
  }
  const ref = SOURCE_REFS.find((r) => r.kind === kind);
  if (!ref) throw stalling(Reason.ArtifactFailed, `source kind '${kind}' is not supported`);
  const source = lookup.get(ref, namespace, name);
  if (!source) throw waiting(Reason.ArtifactFailed, `Source '${id}' not found`, lookup.retryMs);
  const artifact = (source['status'] as { artifact?: Artifact } | undefined)?.artifact;
  if (!artifact) throw waiting(Reason.ArtifactFailed, `Source '${id}' is not ready, artifact not found`, lookup.retryMs);
  return { source, artifact, id };
}
