import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { HttpStatusError, httpRequest } from '../tools/http-client.ts';
import { FLUX_CONFIG_MEDIA_TYPE, FLUX_LAYER_MEDIA_TYPE, getBlob, getManifest, listTags, pushArtifact, sha256Digest } from '../tools/oci-push.ts';
import { startOciRegistry } from './oci-registry.ts';

interface Manifest {
  mediaType: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  annotations: Record<string, string>;
}

void describe('OCI registry', () => {
  void test('plain HTTP: push a Flux artifact, list tags, fetch the manifest by tag', async (t) => {
    const registry = await startOciRegistry();
    t.after(() => registry.stop());
    const access = { registryUrl: registry.url };
    const pushed = await pushArtifact({
      ...access,
      repository: 'manifests/podinfo',
      tag: 'v1',
      files: { 'deploy/cm.yaml': 'kind: ConfigMap\n' },
      source: 'https://github.com/stefanprodan/podinfo',
      revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    });
    await pushArtifact({ ...access, repository: 'manifests/podinfo', tag: 'latest', files: { 'a.yaml': 'a: 1\n' } });
    assert.equal(pushed.reference, `${registry.host}/manifests/podinfo:v1`);
    assert.deepEqual((await listTags(access, 'manifests/podinfo')).sort(), ['latest', 'v1']);

    const fetched = await getManifest(access, 'manifests/podinfo', 'v1');
    assert.equal(fetched.digest, pushed.digest);
    assert.equal(sha256Digest(fetched.body), pushed.digest);
    const manifest = JSON.parse(fetched.body.toString('utf8')) as Manifest;
    assert.equal(manifest.config.mediaType, FLUX_CONFIG_MEDIA_TYPE);
    assert.equal(manifest.layers[0]?.mediaType, FLUX_LAYER_MEDIA_TYPE);
    assert.equal(manifest.annotations['org.opencontainers.image.revision'], 'main@sha1:0123456789abcdef0123456789abcdef01234567');
    assert.equal(manifest.annotations['org.opencontainers.image.source'], 'https://github.com/stefanprodan/podinfo');
    const byDigest = await getManifest(access, 'manifests/podinfo', pushed.digest);
    assert.equal(byDigest.digest, pushed.digest);
    const layer = gunzipSync(await getBlob(access, 'manifests/podinfo', pushed.layerDigest));
    assert.match(layer.toString('latin1'), /deploy\/cm\.yaml/);
  });

  void test('TLS with the custom CA and htpasswd basic auth', async (t) => {
    const auth = { username: 'flux', password: 'p@ss word' };
    const registry = await startOciRegistry({ auth, tls: true });
    t.after(() => registry.stop());
    assert.match(registry.url, /^https:/);
    const ca = registry.tls!.ca.cert;
    const pushed = await pushArtifact({ registryUrl: registry.url, auth, ca, repository: 'app', tag: '1.0.0', files: { 'x.yaml': 'x: 1\n' } });
    const access = { registryUrl: registry.url, auth, ca };
    assert.deepEqual(await listTags(access, 'app'), ['1.0.0']);
    assert.equal((await getManifest(access, 'app', '1.0.0')).digest, pushed.digest);

    const anonymous = await httpRequest(`${registry.url}/v2/app/tags/list`, { ca });
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic/);
    await assert.rejects(listTags({ ...access, auth: { username: 'flux', password: 'wrong' } }, 'app'), HttpStatusError);
    await assert.rejects(listTags({ registryUrl: registry.url, auth }, 'app'), /certificate/);
  });
});
