// Inputs the build needs from the cluster: SOPS keys (spec.decryption.secretRef) and post-build
// variables (spec.postBuild). Values read here never appear in errors.
import type { Kustomization } from '../../api/kustomize/v1/index.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { SopsKeys } from '../../sops/index.ts';
import { generic } from '../shared/errors.ts';
import { Reason } from './reasons.ts';
import { mergeSubstituteVars } from './substitute.ts';

async function readData(client: KubeClient, kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const o = await client.get({ apiVersion: 'v1', kind }, name, namespace);
    if (kind === 'ConfigMap') return (o['data'] ?? {}) as Record<string, string>;
    const data = (o['data'] ?? {}) as Record<string, string>;
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function decryptionKeys(client: KubeClient, obj: Kustomization): Promise<SopsKeys | undefined> {
  const d = obj.spec.decryption;
  if (!d) return undefined;
  if (!d.secretRef) return { age: [], pgp: [] };
  const ns = obj.metadata.namespace ?? '';
  let secret;
  try {
    secret = await client.get({ apiVersion: 'v1', kind: 'Secret' }, d.secretRef.name, ns);
  } catch (err) {
    if (isNotFound(err)) throw generic(Reason.DecryptionFailed, `decryption secret '${ns}/${d.secretRef.name}' not found`, err);
    throw err;
  }
  const data = (secret['data'] ?? {}) as Record<string, string>;
  // SOPS (age, OpenPGP) is loaded only for Kustomizations that decrypt: ~2 MiB of heap otherwise.
  const { keysFromSecretData } = await import('../../sops/index.ts');
  return keysFromSecretData(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
}

export async function postBuildVars(client: KubeClient, obj: Kustomization): Promise<Record<string, string> | undefined> {
  const pb = obj.spec.postBuild;
  if (!pb) return undefined;
  const ns = obj.metadata.namespace ?? '';
  const sources = [];
  for (const ref of pb.substituteFrom ?? []) {
    sources.push({ kind: ref.kind, name: ref.name, optional: ref.optional ?? false, data: await readData(client, ref.kind, ns, ref.name) });
  }
  try {
    return mergeSubstituteVars(sources, pb.substitute);
  } catch (err) {
    throw generic(Reason.BuildFailed, err instanceof Error ? err.message : String(err), err);
  }
}
