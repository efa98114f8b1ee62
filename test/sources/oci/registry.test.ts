// The registry client against Debian's docker-registry: plain HTTP, htpasswd + TLS, and a fault
// proxy in front for token auth, throttling, server errors and tampered bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry, isOciError, pullArtifact, resolveRevision } from '../../../src/sources/oci/index.ts';
import type { OciError, OciErrorReason, RegistryOptions } from '../../../src/sources/oci/index.ts';
import { startOciRegistry } from '../../servers/oci-registry.ts';
import type { OciRegistry } from '../../servers/oci-registry.ts';
import { pushArtifact } from '../../tools/oci-push.ts';
import type { PushedArtifact } from '../../tools/oci-push.ts';
import { makeTempDir } from '../../tools/tmp.ts';
import type { TempDir } from '../../tools/tmp.ts';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { recordingSleep } from './helpers.ts';

const rejectsWith = async (promise: Promise<unknown>, reason: OciErrorReason, check?: (e: OciError) => void) => {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isOciError(err), `expected OciError(${reason}), got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    check?.(err);
    return true;
  });
};

void describe('OCI registry client: plain HTTP', () => {
  let registry: OciRegistry;
  let proxy: FaultProxy;
  let tmp: TempDir;
  let app: PushedArtifact;
  const clients: Registry[] = [];
  const client = (opts: Partial<RegistryOptions> = {}) => {
    const c = new Registry({ host: proxy.host, insecure: true, ...opts });
    clients.push(c);
    return c;
  };

  before(async () => {
    registry = await startOciRegistry();
    proxy = await startFaultProxy(registry.host);
    tmp = await makeTempDir('eddy-oci-client-');
    const access = { registryUrl: registry.url };
    app = await pushArtifact({ ...access, repository: 'team/app', tag: 'v1.0.0', files: { 'cm.yaml': 'kind: ConfigMap\n' }, source: 'https://example.com/app.git' });
    for (let i = 0; i < 12; i++) await pushArtifact({ ...access, repository: 'paged', tag: `t${String(i).padStart(2, '0')}`, files: { 'a.yaml': 'a: 1\n' } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy.stop();
    await registry.stop();
    await tmp.remove();
  });

  void test('tags across pages (n honoured, Link followed)', async () => {
    const before = proxy.log.length;
    proxy.setRule((req) => (req.url?.includes('/tags/list') ? { kind: 'paginateTags' } : undefined));
    const tags = await client({ tagPageSize: 5 }).listTags('paged').finally(() => proxy.setRule(undefined));
    assert.deepEqual(tags.sort(), Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    const pages = proxy.log.slice(before).filter((l) => l.startsWith('GET /v2/paged/tags/list'));
    assert.equal(pages.length, 3, pages.join('\n'));
    assert.ok(pages.every((p) => p.includes('n=5')), pages.join('\n'));
  });

  void test('manifest by tag, by digest, HEAD; verified blobs in memory and on disk', async () => {
    const c = client();
    const byTag = await c.getManifest('team/app', 'v1.0.0');
    assert.equal(byTag.digest, app.digest);
    assert.equal(byTag.manifest.kind, 'manifest');
    assert.equal((await c.getManifest('team/app', app.digest)).digest, app.digest);
    const head = await c.headManifest('team/app', 'v1.0.0');
    assert.equal(head.digest, app.digest);
    assert.equal(head.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const config = await c.getBlob('team/app', app.configDigest, { maxBytes: 1024 });
    assert.equal(config.toString(), '{}');
    const dest = path.join(tmp.path, 'layer.tgz');
    const blob = await c.downloadBlob('team/app', app.layerDigest, dest, { maxBytes: 1 << 20 });
    assert.equal(blob.digest, app.layerDigest);
    assert.equal((await fs.readFile(dest)).length, blob.size);
    await rejectsWith(c.getBlob('team/app', app.layerDigest, { maxBytes: 10 }), 'TooLarge');
  });

  void test('a first pull GETs the manifest once (no HEAD), later checks are one HEAD, the origin is probed once', async () => {
    const c = client();
    const url = `oci://${proxy.host}/team/app`;
    const start = proxy.log.length;
    const resolved = await resolveRevision({ registry: c, url, ref: { tag: 'v1.0.0' }, fetchManifest: true });
    assert.equal(resolved.digest, app.digest);
    await pullArtifact({ registry: c, url, ref: { digest: resolved.digest }, known: resolved.fetched, dest: path.join(tmp.path, 'first', 'layer.tgz'), maxBytes: 1 << 20 });
    // The HTTPS probe of the plain-HTTP proxy never becomes a request; /v2/ over HTTP is not asked.
    assert.deepEqual(proxy.log.slice(start), ['GET /v2/team/app/manifests/v1.0.0', `GET /v2/team/app/blobs/${app.layerDigest}`]);
    const again = proxy.log.length;
    assert.equal((await resolveRevision({ registry: c, url, ref: { tag: 'v1.0.0' } })).digest, app.digest);
    assert.deepEqual(proxy.log.slice(again), ['HEAD /v2/team/app/manifests/v1.0.0']);
  });

  void test('missing tag, repository and blob → NotFound', async () => {
    const c = client();
    await rejectsWith(c.getManifest('team/app', 'nope'), 'NotFound', (e) => assert.match(e.message, /MANIFEST_UNKNOWN/));
    await rejectsWith(c.listTags('does/not/exist'), 'NotFound');
    await rejectsWith(c.getBlob('team/app', `sha256:${'0'.repeat(64)}`, { maxBytes: 10 }), 'NotFound');
  });

  void test('429 with Retry-After and 500s are retried, then succeed', async () => {
    const { sleep, delays } = recordingSleep();
    let faults = 0;
    proxy.setRule((req) => {
      if (!req.url?.includes('/manifests/') || faults >= 3) return undefined;
      faults++;
      return faults === 1 ? { kind: 'status', status: 429, headers: { 'retry-after': '2' } } : { kind: 'status', status: faults === 2 ? 500 : 503 };
    });
    try {
      const m = await client({ sleep, retry: { attempts: 4, baseDelayMs: 100 } }).getManifest('team/app', 'v1.0.0');
      assert.equal(m.digest, app.digest);
      assert.equal(delays.length, 3);
      assert.equal(delays[0], 2000, 'Retry-After honoured');
      // Backoff with jitter: retry n waits between half and all of 100 ms · 2^(n-1).
      assert.ok(delays[1]! >= 100 && delays[1]! <= 200 && delays[2]! >= 200 && delays[2]! <= 400, String(delays));
    } finally {
      proxy.setRule(undefined);
    }
  });

  void test('exhausted retries and a too-long Retry-After give typed errors', async () => {
    const { sleep, delays } = recordingSleep();
    const c = client({ sleep, retry: { attempts: 3, maxRetryAfterMs: 5_000 } });
    proxy.setRule((req) => (req.url?.includes('/manifests/') ? { kind: 'status', status: 500 } : undefined));
    try {
      const before = proxy.log.length;
      await rejectsWith(c.getManifest('team/app', 'v1.0.0'), 'Server', (e) => assert.equal(e.status, 500));
      assert.equal(proxy.log.slice(before).filter((l) => l.includes('/manifests/')).length, 3);
      proxy.setRule(() => ({ kind: 'status', status: 429, headers: { 'retry-after': '60' } }));
      await rejectsWith(c.getManifest('team/app', 'v1.0.0'), 'TooManyRequests', (e) => assert.equal(e.retryAfterMs, 60_000));
      assert.equal(delays.length, 2, 'no wait for a Retry-After beyond the cap');
      proxy.setRule(() => ({ kind: 'cut' }));
      await rejectsWith(c.listTags('team/app'), 'Network');
    } finally {
      proxy.setRule(undefined);
    }
  });

  void test('a flipped byte → DigestMismatch; nothing unverified is left on disk', async () => {
    const c = client({ retry: { attempts: 1 } });
    proxy.setRule((req) => (req.url?.includes('/blobs/') || req.url?.includes(`/manifests/${app.digest}`) ? { kind: 'flipByte' } : undefined));
    try {
      const dest = path.join(tmp.path, 'tampered.tgz');
      await rejectsWith(c.downloadBlob('team/app', app.layerDigest, dest, { maxBytes: 1 << 20 }), 'DigestMismatch');
      assert.deepEqual((await fs.readdir(tmp.path)).filter((f) => f.startsWith('tampered')), []);
      await rejectsWith(c.getBlob('team/app', app.configDigest, { maxBytes: 1024 }), 'DigestMismatch');
      await rejectsWith(c.getManifest('team/app', app.digest), 'DigestMismatch');
    } finally {
      proxy.setRule(undefined);
    }
  });

  void test('readBlob: a consumer sees the blob as it streams; a cut body is retried from the start', async () => {
    const { sleep, delays } = recordingSleep();
    const c = client({ sleep, retry: { attempts: 3 } });
    let cuts = 0;
    proxy.setRule((req) => (req.url?.includes(`/blobs/${app.layerDigest}`) && cuts++ === 0 ? { kind: 'cutBody' } : undefined));
    let attempts = 0;
    try {
      const read = await c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20 }, async (chunks) => {
        attempts++;
        let n = 0;
        for await (const chunk of chunks) n += chunk.length;
        return n;
      });
      assert.equal(cuts, 2, 'the second GET went through');
      assert.equal(attempts, 2);
      assert.equal(delays.length, 1);
      assert.equal(read.value, read.size);
      assert.equal(read.digest, app.layerDigest);
    } finally {
      proxy.setRule(undefined);
    }
  });

  void test('readBlob: the blob\'s own failure wins over the consumer\'s; a sound blob keeps the consumer\'s error', async () => {
    const c = client({ retry: { attempts: 1 } });
    const stopAtFirst = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) throw new Error(`consumer gave up after ${chunk.length} bytes`);
      return 0;
    };
    await assert.rejects(c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20 }, stopAtFirst), /consumer gave up/);
    // A consumer that reads only a part still gets no value from a blob that is not the one named.
    const firstOnly = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) return chunk.length;
      return 0;
    };
    proxy.setRule((req) => (req.url?.includes('/blobs/') ? { kind: 'flipByte' } : undefined));
    try {
      await rejectsWith(c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20 }, stopAtFirst), 'DigestMismatch');
      await rejectsWith(c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20 }, firstOnly), 'DigestMismatch');
      proxy.setRule((req) => (req.url?.includes('/blobs/') ? { kind: 'cutBody' } : undefined));
      await rejectsWith(c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20 }, stopAtFirst), 'Network');
    } finally {
      proxy.setRule(undefined);
    }
    await rejectsWith(c.readBlob('team/app', app.layerDigest, { maxBytes: 1 << 20, expectedSize: 10 }, firstOnly), 'DigestMismatch');
    await rejectsWith(c.readBlob('team/app', app.layerDigest, { maxBytes: 10 }, firstOnly), 'TooLarge');
  });

  void test('without insecure, a plain-HTTP registry is a TLS error', async () => {
    await rejectsWith(client({ insecure: false, retry: { attempts: 1 } }).listTags('team/app'), 'TLS');
  });
});

void describe('OCI registry client: token auth (Bearer challenge)', () => {
  let registry: OciRegistry;
  let gateway: FaultProxy;
  const creds = { username: 'flux', password: 'to:ken pass' };

  before(async () => {
    registry = await startOciRegistry();
    gateway = await startFaultProxy(registry.host, creds);
    await pushArtifact({ registryUrl: registry.url, repository: 'private/app', tag: 'v1', files: { 'a.yaml': 'a: 1\n' } });
  });
  after(async () => {
    await gateway.stop();
    await registry.stop();
  });

  void test('token fetched with Basic credentials and cached per scope', async () => {
    const c = new Registry({ host: gateway.host, insecure: true, credentials: { kind: 'basic', ...creds } });
    try {
      const before = gateway.log.length;
      assert.deepEqual(await c.listTags('private/app'), ['v1']);
      await c.getManifest('private/app', 'v1');
      await c.headManifest('private/app', 'v1');
      const tokenRequests = gateway.log.slice(before).filter((l) => l.startsWith('GET /token'));
      assert.equal(tokenRequests.length, 1, gateway.log.slice(before).join('\n'));
      assert.match(tokenRequests[0]!, /scope=repository%3Aprivate%2Fapp%3Apull/);
      assert.match(tokenRequests[0]!, /service=fault-proxy/);
    } finally {
      await c.close();
    }
  });

  void test('anonymous and wrong credentials → Unauthorized, with no secret in the message', async () => {
    const anonymous = new Registry({ host: gateway.host, insecure: true });
    const wrong = new Registry({ host: gateway.host, insecure: true, credentials: { kind: 'basic', username: 'flux', password: 'hunter2-wrong' } });
    try {
      await rejectsWith(anonymous.listTags('private/app'), 'Unauthorized');
      await rejectsWith(wrong.getManifest('private/app', 'v1'), 'Unauthorized', (e) => {
        assert.doesNotMatch(`${e.message} ${String(e.cause)}`, /hunter2/);
      });
    } finally {
      await anonymous.close();
      await wrong.close();
    }
  });
});

void describe('OCI registry client: htpasswd + TLS', () => {
  let registry: OciRegistry;
  const auth = { username: 'flux', password: 'p@ss word' };

  before(async () => {
    registry = await startOciRegistry({ auth, tls: true });
    await pushArtifact({ registryUrl: registry.url, auth, ca: registry.tls!.ca.cert, repository: 'secure/app', tag: '1.0.0', files: { 'x.yaml': 'x: 1\n' } });
  });
  after(() => registry.stop());

  const withClient = async (opts: Partial<RegistryOptions>, fn: (c: Registry) => Promise<void>) => {
    const c = new Registry({ host: registry.host, retry: { attempts: 1 }, ...opts });
    try {
      await fn(c);
    } finally {
      await c.close();
    }
  };

  void test('custom CA and Basic credentials', async () => {
    await withClient({ ca: registry.tls!.ca.cert, credentials: { kind: 'basic', ...auth } }, async (c) => {
      assert.deepEqual(await c.listTags('secure/app'), ['1.0.0']);
      assert.equal((await c.getManifest('secure/app', '1.0.0')).manifest.kind, 'manifest');
    });
  });

  void test('missing or wrong credentials → Unauthorized', async () => {
    await withClient({ ca: registry.tls!.ca.cert }, (c) => rejectsWith(c.listTags('secure/app'), 'Unauthorized'));
    await withClient({ ca: registry.tls!.ca.cert, credentials: { kind: 'basic', username: 'flux', password: 'sekrit-wrong' } }, (c) =>
      rejectsWith(c.getManifest('secure/app', '1.0.0'), 'Unauthorized', (e) => assert.doesNotMatch(e.message, /sekrit/)),
    );
  });

  void test('without the CA → TLS error; insecure without a CA skips verification (as Flux)', async () => {
    await withClient({ credentials: { kind: 'basic', ...auth } }, (c) => rejectsWith(c.listTags('secure/app'), 'TLS'));
    await withClient({ insecure: true, credentials: { kind: 'basic', ...auth } }, async (c) => {
      assert.deepEqual(await c.listTags('secure/app'), ['1.0.0']);
    });
  });

  void test('client certificate is accepted and half a pair is refused', () => {
    const tls = registry.tls!;
    const c = new Registry({ host: registry.host, ca: tls.ca.cert, cert: tls.client.cert, key: tls.client.key });
    void c.close();
    assert.throws(() => new Registry({ host: registry.host, cert: tls.client.cert }), (e: unknown) => isOciError(e, 'InvalidCredentials'));
  });
});
