import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../kube/errors.ts';
import { isImmutableError } from './manager-apply.ts';

const apiError = (code: number, reason: string, message: string) => new ApiError(code, { kind: 'Status', apiVersion: 'v1', reason, message });

describe('isImmutableError', () => {
  it('recognises the API server, CEL and webhook variants', () => {
    for (const m of [
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: {...}: field is immutable',
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.0.0.9"}: may not change once set',
      'StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than \'replicas\' are forbidden',
      'Secret "s" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    ]) assert.ok(isImmutableError(apiError(422, 'Invalid', m)), m);
    assert.ok(isImmutableError(apiError(400, 'BadRequest', 'admission webhook denied the request: spec.size is immutable')));
  });
  it('does not treat plain validation errors as immutable (no delete on a typo)', () => {
    assert.ok(!isImmutableError(apiError(422, 'Invalid', 'ConfigMap "c" is invalid: metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain')));
    assert.ok(!isImmutableError(new Error('field is immutable')));
  });
});
