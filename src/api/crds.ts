// Every CRD eddy serves, in a stable order (the order `eddy install --crds --export` prints).
import type { KubeObject } from '../kube/types.ts';
import { kustomizationCRD } from './kustomize/v1/index.ts';
import { bucketCRD, externalArtifactCRD, gitRepositoryCRD, ociRepositoryCRD } from './source/v1/index.ts';

export function allCRDs(): KubeObject[] {
  return [bucketCRD(), externalArtifactCRD(), gitRepositoryCRD(), ociRepositoryCRD(), kustomizationCRD()];
}
