// A small builder for CRD OpenAPI v3 schemas, so the CRDs read like the API they describe.

export interface ValidationRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  pattern?: string;
  enum?: readonly (string | number | boolean)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

type Extra = Omit<JSONSchemaProps, 'type' | 'properties' | 'items'>;

export function str(extra: Extra = {}): JSONSchemaProps {
  return { type: 'string', ...extra };
}

export function enumOf(values: readonly string[], extra: Extra = {}): JSONSchemaProps {
  return { type: 'string', enum: values, ...extra };
}

export function bool(extra: Extra = {}): JSONSchemaProps {
  return { type: 'boolean', ...extra };
}

export function int64(extra: Extra = {}): JSONSchemaProps {
  return { type: 'integer', format: 'int64', ...extra };
}

export function dateTime(extra: Extra = {}): JSONSchemaProps {
  return { type: 'string', format: 'date-time', ...extra };
}

export function arrayOf(items: JSONSchemaProps, extra: Extra = {}): JSONSchemaProps {
  return { type: 'array', items, ...extra };
}

export function stringMap(extra: Extra = {}): JSONSchemaProps {
  return { type: 'object', additionalProperties: { type: 'string' }, ...extra };
}

export interface ObjectExtra extends Omit<Extra, 'required' | 'x-kubernetes-validations'> {
  required?: string[];
  rules?: ValidationRule[];
}

/** An object; `required` lists property names, `rules` become x-kubernetes-validations. */
export function obj(properties: Record<string, JSONSchemaProps>, extra: ObjectExtra = {}): JSONSchemaProps {
  const { required, rules, ...rest } = extra;
  return {
    type: 'object',
    ...rest,
    properties,
    ...(required && required.length > 0 ? { required: [...required].sort() } : {}),
    ...(rules && rules.length > 0 ? { 'x-kubernetes-validations': rules } : {}),
  };
}
