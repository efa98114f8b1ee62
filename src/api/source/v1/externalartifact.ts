// ExternalArtifact (source.toolkit.fluxcd.io/v1): an artifact written by a third-party controller.
// eddy only reads it (as a Kustomization source); its producers write status.artifact.
import type { KubeObject, ObjectMeta } from '../../../kube/types.ts';
import { AGE_COLUMN, buildCRD, READY_COLUMN, STATUS_COLUMN } from '../../crd.ts';
import type { Artifact, Condition } from '../../meta.ts';
import { artifactSchema, conditionsSchema } from '../../meta-schema.ts';
import { int64, obj, str } from '../../schema.ts';
import type { API_VERSION } from './group.ts';
import { GROUP, SOURCE_CATEGORIES, VERSION } from './group.ts';

export const EXTERNAL_ARTIFACT_KIND = 'ExternalArtifact';

export interface ExternalArtifact extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof EXTERNAL_ARTIFACT_KIND;
  metadata: ObjectMeta;
  spec?: { sourceRef?: { apiVersion?: string; kind: string; name: string; namespace?: string } };
  status?: { artifact?: Artifact; conditions?: Condition[] };
}

export function externalArtifactCRD(): KubeObject {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: EXTERNAL_ARTIFACT_KIND,
    plural: 'externalartifacts',
    singular: 'externalartifact',
    categories: SOURCE_CATEGORIES,
    description: 'ExternalArtifact is the Schema for the external artifacts API.',
    printerColumns: [READY_COLUMN, STATUS_COLUMN, { name: 'Source', type: 'string', jsonPath: '.spec.sourceRef.name' }, AGE_COLUMN],
    spec: obj({
      sourceRef: obj({ apiVersion: str(), kind: str(), name: str(), namespace: str() }, { description: 'The object that produced the artifact.', required: ['kind', 'name'] }),
    }, { description: 'ExternalArtifactSpec defines the desired state of ExternalArtifact.' }),
    status: obj({
      artifact: artifactSchema('The output of the producing controller.'),
      conditions: conditionsSchema(EXTERNAL_ARTIFACT_KIND),
      observedGeneration: int64({ description: 'The last observed generation (the CRD defaults it to -1 as for every Flux kind).' }),
    }, { description: 'ExternalArtifactStatus defines the observed state of ExternalArtifact.' }),
  });
}
