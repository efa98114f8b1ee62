// OpenAPI schemas of the shared Flux/Kubernetes types, as their Go markers declare them.
import { DIGEST_PATTERN, DURATION_PATTERN, TIMEOUT_PATTERN } from './meta.ts';
import { arrayOf, dateTime, enumOf, int64, obj, str, stringMap, type JSONSchemaProps } from './schema.ts';

export function intervalSchema(description: string): JSONSchemaProps {
  return str({ description, pattern: DURATION_PATTERN });
}

export function timeoutSchema(description: string, defaultValue = '60s'): JSONSchemaProps {
  return str({ description, pattern: TIMEOUT_PATTERN, default: defaultValue });
}

export function localObjectReference(description: string): JSONSchemaProps {
  return obj({ name: str({ description: 'Name of the referent.' }) }, { description, required: ['name'] });
}

/** metav1.Condition with apimachinery's validation. */
export function conditionSchema(): JSONSchemaProps {
  return obj(
    {
      lastTransitionTime: dateTime({ description: 'When the condition last changed status.' }),
      message: str({ maxLength: 32768, description: 'Human-readable details of the last transition.' }),
      observedGeneration: int64({ minimum: 0, description: 'The metadata.generation the condition was set for.' }),
      reason: str({ maxLength: 1024, minLength: 1, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$', description: 'CamelCase reason of the last transition.' }),
      status: enumOf(['True', 'False', 'Unknown'], { description: 'Status of the condition.' }),
      type: str({
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
        description: 'Type of the condition in CamelCase.',
      }),
    },
    { description: 'Condition contains details for one aspect of the current state.', required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'] },
  );
}

export function conditionsSchema(kind: string): JSONSchemaProps {
  return arrayOf(conditionSchema(), { description: `Conditions holds the conditions for the ${kind}.` });
}

export function artifactSchema(description: string): JSONSchemaProps {
  return obj(
    {
      digest: str({ pattern: DIGEST_PATTERN, description: "Digest of the file in the form '<algorithm>:<checksum>'." }),
      lastUpdateTime: dateTime({ description: 'When the Artifact was last updated.' }),
      metadata: stringMap({ description: 'Upstream information such as OCI annotations.' }),
      path: str({ description: 'Relative file path of the Artifact in the storage.' }),
      revision: str({ description: 'Human-readable identifier traceable in the origin source system.' }),
      size: int64({ description: 'Number of bytes in the file.' }),
      url: str({ description: 'HTTP address of the Artifact as exposed by the controller.' }),
    },
    { description, required: ['lastUpdateTime', 'path', 'revision', 'url'] },
  );
}

/** observedGeneration, conditions and lastHandledReconcileAt, common to every status. */
export function statusCommon(kind: string): Record<string, JSONSchemaProps> {
  return {
    observedGeneration: int64({ description: `The last observed generation of the ${kind} object.` }),
    conditions: conditionsSchema(kind),
    lastHandledReconcileAt: str({ description: 'The value of the most recent reconcile request handled.' }),
  };
}
