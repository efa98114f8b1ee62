import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { ChangeSet, changeSetEntry } from './changeset.ts';
import { WaitError, safeCause, scrubMessage } from './errors.ts';

const secret: KubeObject = {
  apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' },
  data: { password: Buffer.from('hunter2-secret').toString('base64') }, stringData: { token: 'tok-abcdef' },
};

describe('scrubMessage', () => {
  it('removes Secret values in raw and base64 form and Invalid value echoes', () => {
    const b64 = Buffer.from('hunter2-secret').toString('base64');
    const msg = `Secret "s" is invalid: data[password]: Invalid value: "${b64}": bad, also hunter2-secret and tok-abcdef`;
    const out = scrubMessage(msg, secret);
    assert.ok(!out.includes(b64) && !out.includes('hunter2-secret') && !out.includes('tok-abcdef'), out);
    assert.match(out, /data\[password\]: Invalid value: \[redacted\]/);
  });
  it('leaves other kinds alone', () => {
    assert.equal(scrubMessage('Invalid value: "x": y', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), 'Invalid value: "x": y');
  });
  it('scrubs the chained ApiError too', () => {
    const err = new ApiError(422, { kind: 'Status', apiVersion: 'v1', message: 'Invalid value: "tok-abcdef": nope', details: { causes: [{ message: 'tok-abcdef' }] } });
    const cause = safeCause(err, secret) as ApiError;
    assert.ok(!JSON.stringify(cause.status).includes('tok-abcdef'));
    assert.equal(cause.reason, 'Invalid');
  });
});

describe('ChangeSet and WaitError', () => {
  it('formats like Flux', () => {
    const cs = new ChangeSet().add(
      changeSetEntry({ group: '', version: 'v1', kind: 'Namespace', namespace: '', name: 'apps' }, 'created'),
      changeSetEntry({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'apps', name: 'podinfo' }, 'configured'),
    );
    assert.equal(cs.summary(), 'Namespace/apps created\nDeployment/apps/podinfo configured');
    assert.deepEqual(cs.toMap(), { 'Namespace/apps': 'created', 'Deployment/apps/podinfo': 'configured' });
    const err = new WaitError('Timeout', [{ subject: 'Deployment/apps/podinfo', status: 'InProgress', message: 'Ready: 0/1' }]);
    assert.equal(err.message, "timeout waiting for: [Deployment/apps/podinfo status: 'InProgress': Ready: 0/1]");
  });
});
