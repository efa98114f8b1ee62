// Every CRD eddy serves, in a stable order (the order `eddy install --crds --export` prints).
import type { KubeObject } from '../kube/types.ts';
import { bucketCRD, gitRepositoryCRD, ociRepositoryCRD } from './source/v1/index.ts';

export function allCRDs(): KubeObject[] {
  return [bucketCRD(), gitRepositoryCRD(), ociRepositoryCRD()];
}
