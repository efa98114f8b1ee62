// pullArtifact and cosign verification against Debian's docker-registry: tag, semver (with
// semverFilter) and digest refs, layer selection, indexes, signed and tampered artifacts.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { extractTarGzToTree } from '../../../src/artifact/tree.ts';
import { Registry, isOciError, pullArtifact, resolveRevision, streamArtifact, verifyCosign } from '../../../src/sources/oci/index.ts';
import type { OciErrorReason } from '../../../src/sources/oci/index.ts';
import { startOciRegistry } from '../../servers/oci-registry.ts';
import type { OciRegistry } from '../../servers/oci-registry.ts';
import { FLUX_LAYER_MEDIA_TYPE, pushArtifact, pushBlob } from '../../tools/oci-push.ts';
import type { PushedArtifact } from '../../tools/oci-push.ts';
import { makeTempDir } from '../../tools/tmp.ts';
import type { TempDir } from '../../tools/tmp.ts';
import { generateCosignKey, pushCosignSignature, putManifest } from './helpers.ts';

const rejectsWith = (promise: Promise<unknown>, reason: OciErrorReason) =>
  assert.rejects(promise, (err: unknown) => {
    assert.ok(isOciError(err), String(err));
    assert.equal((err).reason, reason, (err).message);
    return true;
  });

void describe('pullArtifact', () => {
  let registry: OciRegistry;
  let client: Registry;
  let tmp: TempDir;
  let url: string;
  const pushed: Record<string, PushedArtifact> = {};
  const access = () => ({ registryUrl: registry.url });
  const dest = (name: string) => path.join(tmp.path, name, 'layer.tgz');

  before(async () => {
    registry = await startOciRegistry();
    client = new Registry({ host: registry.host, insecure: true });
    tmp = await makeTempDir('eddy-oci-pull-');
    url = `oci://${registry.host}/manifests/podinfo`;
    for (const tag of ['latest', '6.0.0', 'v6.1.0', '6.2.0-rc.1', '6.1.5', '7.0.0', '6.1', 'main-abc']) {
      pushed[tag] = await pushArtifact({
        ...access(),
        repository: 'manifests/podinfo',
        tag,
        files: { 'deploy/cm.yaml': `version: ${tag}\n` },
        source: 'https://github.com/stefanprodan/podinfo',
        revision: `${tag}@sha1:0123456789abcdef0123456789abcdef01234567`,
      });
    }
  });
  after(async () => {
    await client.close();
    await registry.stop();
    await tmp.remove();
  });

  void test('no ref pulls latest; revision <tag>@<digest>, origin annotations, verified layer', async () => {
    const a = await pullArtifact({ registry: client, url, dest: dest('latest'), maxBytes: 1 << 20 });
    assert.equal(a.revision, `latest@${pushed.latest!.digest}`);
    assert.equal(a.digest, pushed.latest!.digest);
    assert.equal(a.source, 'https://github.com/stefanprodan/podinfo');
    assert.equal(a.originRevision, 'latest@sha1:0123456789abcdef0123456789abcdef01234567');
    assert.equal(a.layerDigest, pushed.latest!.layerDigest);
    assert.equal(a.operation, 'extract');
    assert.match(gunzipSync(await fs.readFile(a.layerPath)).toString('latin1'), /version: latest/);
  });

  void test('tag, semver (highest match, prereleases opt-in, semverFilter) and digest refs', async () => {
    const rev = async (ref: object) => (await resolveRevision({ registry: client, url, ref })).revision;
    assert.equal(await rev({ tag: '6.0.0' }), `6.0.0@${pushed['6.0.0']!.digest}`);
    assert.equal(await rev({ semver: '6.x' }), `6.1.5@${pushed['6.1.5']!.digest}`);
    assert.equal(await rev({ semver: '>=6.0.0 <6.1.5' }), `v6.1.0@${pushed['v6.1.0']!.digest}`);
    assert.equal(await rev({ semver: '>=6.1.x-0 <7.0.0' }), `6.2.0-rc.1@${pushed['6.2.0-rc.1']!.digest}`);
    assert.equal(await rev({ semver: '>=6.0.0-0', semverFilter: '.*-rc.*' }), `6.2.0-rc.1@${pushed['6.2.0-rc.1']!.digest}`);
    assert.equal(await rev({ semver: '*', semverFilter: '^v' }), `v6.1.0@${pushed['v6.1.0']!.digest}`);
    assert.equal(await rev({ semver: '*', tag: 'latest' }), `7.0.0@${pushed['7.0.0']!.digest}`, 'semver beats tag');
    const digest = pushed['6.0.0']!.digest;
    assert.equal(await rev({ digest, semver: '*' }), digest, 'digest beats semver; revision is the bare digest');
    const a = await pullArtifact({ registry: client, url, ref: { digest }, dest: dest('digest'), maxBytes: 1 << 20 });
    assert.equal(a.revision, digest);
    assert.match(gunzipSync(await fs.readFile(a.layerPath)).toString('latin1'), /version: 6\.0\.0/);
  });

  void test('typed failures: missing tag, no semver match, bad url, wrong host, size limit', async () => {
    await rejectsWith(pullArtifact({ registry: client, url, ref: { tag: 'nope' }, dest: dest('x'), maxBytes: 1 << 20 }), 'NotFound');
    await rejectsWith(resolveRevision({ registry: client, url, ref: { semver: '>=9' } }), 'NoMatchingTag');
    await rejectsWith(resolveRevision({ registry: client, url: `${url}:v1` }), 'InvalidUrl');
    await rejectsWith(resolveRevision({ registry: client, url: 'oci://ghcr.io/a/b' }), 'InvalidUrl');
    await rejectsWith(pullArtifact({ registry: client, url, dest: dest('small'), maxBytes: 10 }), 'TooLarge');
  });

  void test('layerSelector: media type, copy keeps a non-gzip layer, extract refuses it', async () => {
    const raw = Buffer.from('{"chart": "not gzip"}');
    const p = await pushArtifact({ ...access(), repository: 'charts/raw', tag: '1.0.0', layer: raw, layerMediaType: 'application/vnd.example.raw', configMediaType: 'application/vnd.example.config+json' });
    const rawUrl = `oci://${registry.host}/charts/raw`;
    const copy = await pullArtifact({ registry: client, url: rawUrl, ref: { tag: '1.0.0' }, layerSelector: { mediaType: 'application/vnd.example.raw', operation: 'copy' }, dest: dest('copy'), maxBytes: 1 << 20 });
    assert.equal(copy.operation, 'copy');
    assert.equal(copy.layerDigest, p.layerDigest);
    assert.deepEqual(await fs.readFile(copy.layerPath), raw);
    await rejectsWith(pullArtifact({ registry: client, url: rawUrl, ref: { tag: '1.0.0' }, dest: dest('extract'), maxBytes: 1 << 20 }), 'InvalidLayer');
    await assert.rejects(fs.stat(dest('extract')), /ENOENT/);
    await rejectsWith(pullArtifact({ registry: client, url, layerSelector: { mediaType: 'application/vnd.missing' }, dest: dest('m'), maxBytes: 1 << 20 }), 'LayerNotFound');
    const flux = await pullArtifact({ registry: client, url, layerSelector: { mediaType: FLUX_LAYER_MEDIA_TYPE }, dest: dest('flux'), maxBytes: 1 << 20 });
    assert.equal(flux.layerMediaType, FLUX_LAYER_MEDIA_TYPE);
  });

  void test('streamArtifact: the layer goes to a consumer as it downloads; extract refuses a non-gzip layer before the consumer sees it', async () => {
    const { tree } = (await streamArtifact({ registry: client, url, ref: { tag: '6.0.0' }, maxBytes: 1 << 20 }, (layer) => extractTarGzToTree(layer, { maxUntarBytes: 1 << 20, maxFiles: 10 }))).layer;
    assert.equal(tree.readFile('deploy/cm.yaml').toString(), 'version: 6.0.0\n');
    const raw = Buffer.from('{"not": "gzip"}');
    const p = await pushArtifact({ ...access(), repository: 'charts/raw-stream', tag: '1.0.0', layer: raw, layerMediaType: 'application/vnd.example.raw', configMediaType: 'application/vnd.example.config+json' });
    const rawUrl = `oci://${registry.host}/charts/raw-stream`;
    const collect = async (layer: AsyncIterable<Buffer>) => {
      const chunks: Buffer[] = [];
      for await (const chunk of layer) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    const copy = await streamArtifact({ registry: client, url: rawUrl, ref: { tag: '1.0.0' }, layerSelector: { operation: 'copy' }, maxBytes: 1 << 20 }, collect);
    assert.deepEqual([copy.operation, copy.layerDigest, copy.layerSize], ['copy', p.layerDigest, raw.length]);
    assert.deepEqual(copy.layer, raw);
    let consumed = false;
    const refused = streamArtifact({ registry: client, url: rawUrl, ref: { tag: '1.0.0' }, maxBytes: 1 << 20 }, () => Promise.resolve((consumed = true)));
    await assert.rejects(refused, (err: unknown) => {
      assert.ok(isOciError(err, 'InvalidLayer'), String(err));
      assert.equal(err.message, `layer ${p.layerDigest} is not gzip-compressed; use layerSelector.operation 'copy' to keep it as is`);
      return true;
    });
    assert.equal(consumed, false);
  });

  void test('an index resolves to its linux/amd64 child; the revision names the index', async () => {
    const arm = await pushArtifact({ ...access(), repository: 'multi/app', tag: 'arm', files: { 'arch.txt': 'arm64\n' } });
    const amd = await pushArtifact({ ...access(), repository: 'multi/app', tag: 'amd', files: { 'arch.txt': 'amd64\n' } });
    const child = (p: PushedArtifact, architecture: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: p.digest, size: p.manifest.length, platform: { os: 'linux', architecture } });
    const indexDigest = await putManifest(access(), 'multi/app', 'v1', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [child(arm, 'arm64'), child(amd, 'amd64')],
    });
    const a = await pullArtifact({ registry: client, url: `oci://${registry.host}/multi/app`, ref: { tag: 'v1' }, dest: dest('index'), maxBytes: 1 << 20 });
    assert.equal(a.revision, `v1@${indexDigest}`);
    assert.equal(a.manifestDigest, amd.digest);
    assert.match(gunzipSync(await fs.readFile(a.layerPath)).toString('latin1'), /amd64/);
  });
});

void describe('cosign verification', () => {
  let registry: OciRegistry;
  let client: Registry;
  let tmp: TempDir;
  const key = generateCosignKey();
  const repository = 'signed/app';

  before(async () => {
    registry = await startOciRegistry();
    client = new Registry({ host: registry.host, insecure: true });
    tmp = await makeTempDir('eddy-oci-cosign-');
  });
  after(async () => {
    await client.close();
    await registry.stop();
    await tmp.remove();
  });

  const push = (tag: string) => pushArtifact({ registryUrl: registry.url, repository, tag, files: { 'a.yaml': `tag: ${tag}\n` } });
  const sign = (digest: string, opts = {}) => pushCosignSignature({ registryUrl: registry.url }, registry.host, repository, digest, key, opts);

  void test('a signed artifact verifies, also through pullArtifact; other keys are tried in turn', async () => {
    const p = await push('good');
    await sign(p.digest);
    const other = generateCosignKey();
    const v = await verifyCosign({ registry: client, repository, digest: p.digest, publicKeys: [other.publicPem, key.publicPem] });
    assert.equal(v.keyIndex, 1);
    assert.equal(v.dockerReference, `${registry.host}/${repository}`);
    const pulled = await pullArtifact({
      registry: client,
      url: `oci://${registry.host}/${repository}`,
      ref: { tag: 'good' },
      verify: { provider: 'cosign', publicKeys: [key.publicPem] },
      dest: path.join(tmp.path, 'good.tgz'),
      maxBytes: 1 << 20,
    });
    assert.equal(pulled.verification?.keyIndex, 0);
  });

  void test('wrong key and tampered signature → InvalidSignature; unsigned → NoSignature', async () => {
    const p = await push('tampered');
    await sign(p.digest, { signatureOverride: (s: string) => Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 10 ? b ^ 1 : b))).toString('base64') });
    await rejectsWith(verifyCosign({ registry: client, repository, digest: p.digest, publicKeys: [key.publicPem] }), 'InvalidSignature');
    const q = await push('wrongkey');
    await sign(q.digest);
    await rejectsWith(verifyCosign({ registry: client, repository, digest: q.digest, publicKeys: [generateCosignKey().publicPem] }), 'InvalidSignature');
    const u = await push('unsigned');
    await rejectsWith(verifyCosign({ registry: client, repository, digest: u.digest, publicKeys: [key.publicPem] }), 'NoSignature');
    await rejectsWith(
      pullArtifact({ registry: client, url: `oci://${registry.host}/${repository}`, ref: { tag: 'unsigned' }, verify: { provider: 'cosign', publicKeys: [key.publicPem] }, dest: path.join(tmp.path, 'u.tgz'), maxBytes: 1 << 20 }),
      'NoSignature',
    );
    await assert.rejects(fs.stat(path.join(tmp.path, 'u.tgz')), /ENOENT/, 'nothing pulled when verification fails');
  });

  void test('a valid signature over another digest → DigestMismatch', async () => {
    const p = await push('moved');
    const other = await push('other');
    await sign(p.digest, { claimedDigest: other.digest });
    await rejectsWith(verifyCosign({ registry: client, repository, digest: p.digest, publicKeys: [key.publicPem] }), 'DigestMismatch');
  });

  void test('a signature image whose payload blob was swapped fails closed', async () => {
    const p = await push('swapped');
    await sign(p.digest);
    // Overwrite nothing in the registry: instead sign a payload, then point the .sig manifest at other bytes.
    const fake = Buffer.from('{"critical":{"image":{"docker-manifest-digest":"' + p.digest + '"},"type":"cosign container image signature"}}');
    const fakeDigest = await pushBlob({ registryUrl: registry.url }, repository, fake);
    const sigManifest = await client.getManifest(repository, `${p.digest.replace(':', '-')}.sig`);
    assert.equal(sigManifest.manifest.kind, 'manifest');
    if (sigManifest.manifest.kind !== 'manifest') return;
    const layer = sigManifest.manifest.layers[0]!;
    await putManifest({ registryUrl: registry.url }, repository, `${p.digest.replace(':', '-')}.sig`, {
      ...(JSON.parse(sigManifest.bytes.toString('utf8')) as object),
      layers: [{ ...layer, digest: fakeDigest, size: fake.length }],
    });
    await rejectsWith(verifyCosign({ registry: client, repository, digest: p.digest, publicKeys: [key.publicPem] }), 'InvalidSignature');
  });
});
