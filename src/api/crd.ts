// Building a CustomResourceDefinition object from a kind's names, columns and schemas.
import type { KubeObject } from '../kube/types.ts';
import { obj, str, type JSONSchemaProps } from './schema.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'number' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CRDDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  scope?: 'Namespaced' | 'Cluster';
  annotations?: Record<string, string>;
  description: string;
  printerColumns: PrinterColumn[];
  spec: JSONSchemaProps;
  status: JSONSchemaProps;
}

export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
export const READY_COLUMN: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
export const STATUS_COLUMN: PrinterColumn = { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' };

export function buildCRD(def: CRDDefinition): KubeObject {
  const schema = obj(
    {
      apiVersion: str({ description: 'APIVersion defines the versioned schema of this representation of an object.' }),
      kind: str({ description: 'Kind is a string value representing the REST resource this object represents.' }),
      metadata: { type: 'object' },
      spec: def.spec,
      // Flux defaults status.observedGeneration to -1 so that a new object is never "observed".
      status: { ...def.status, default: { observedGeneration: -1 } },
    },
    { description: def.description },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}`, ...(def.annotations ? { annotations: def.annotations } : {}) },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: def.shortNames } : {}),
        ...(def.categories ? { categories: def.categories } : {}),
      },
      scope: def.scope ?? 'Namespaced',
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {} },
        },
      ],
    },
  };
}
