// OCIRepository through the real source controller on the real control plane, each test with
// its own namespace and controller: htpasswd + TLS from secretRef/certSecretRef with tag, semver
// and digest refs; registry 500 and 429 (Retry-After) behind a fault proxy while the last good
// artifact stays served; cosign verification with a public key Secret.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { startOciRegistry } from '../servers/oci-registry.ts';
import { startFaultProxy, type Fault } from '../sources/oci/fault-proxy.ts';
import { generateCosignKey, pushCosignSignature } from '../sources/oci/helpers.ts';
import { eventually } from '../tools/eventually.ts';
import { pushArtifact } from '../tools/oci-push.ts';
import { cond, isReady, withEnv, type Src } from './source-harness.ts';

const failedWith = (o: Src) => cond(o, 'FetchFailed')?.status === 'True';

const dockerConfig = (host: string, username: string, password: string) =>
  JSON.stringify({ auths: { [host]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } });

describe('source controller: OCIRepository', { concurrency: true }, () => {
  it('htpasswd + TLS from secretRef and certSecretRef: tag, semver and digest refs; refused credentials and an unknown CA fail without leaking', () => withEnv('src-oci-auth', async (env) => {
    const password = 'Pa55-registry-9d1e';
    const registry = await startOciRegistry({ auth: { username: 'flux', password }, tls: true });
    env.defer(() => registry.stop());
    const access = { registryUrl: registry.url, auth: registry.auth, ca: registry.tls?.ca.cert };
    const pushed: Record<string, string> = {};
    for (const tag of ['v1.0.0', 'v1.2.0', 'v1.10.0', 'v2.0.0']) {
      pushed[tag] = (await pushArtifact({ ...access, repository: 'manifests/app', tag, files: { 'app.yaml': `version: ${tag}\n` } })).digest;
    }
    await env.secret('creds', { '.dockerconfigjson': dockerConfig(registry.host, 'flux', password) }, 'kubernetes.io/dockerconfigjson');
    await env.secret('wrong-creds', { '.dockerconfigjson': dockerConfig(registry.host, 'flux', 'not-the-Pa55') }, 'kubernetes.io/dockerconfigjson');
    await env.secret('ca', { 'ca.crt': registry.tls?.ca.cert ?? '' });
    // Opaque: the API server already refuses broken JSON in a kubernetes.io/dockerconfigjson Secret.
    await env.secret('bad-config', { '.dockerconfigjson': '{"auths": ' });
    const url = `oci://${registry.host}/manifests/app`;
    const specs: Record<string, Record<string, unknown>> = {
      tag: { ref: { tag: 'v1.0.0' }, secretRef: { name: 'creds' }, certSecretRef: { name: 'ca' } },
      semver: { ref: { semver: '>=1.0.0 <2.0.0' }, secretRef: { name: 'creds' }, certSecretRef: { name: 'ca' } },
      digest: { ref: { digest: pushed['v1.2.0'] }, secretRef: { name: 'creds' }, certSecretRef: { name: 'ca' } },
      'wrong-creds': { ref: { tag: 'v1.0.0' }, secretRef: { name: 'wrong-creds' }, certSecretRef: { name: 'ca' } },
      'unknown-ca': { ref: { tag: 'v1.0.0' }, secretRef: { name: 'creds' } },
      'bad-config': { ref: { tag: 'v1.0.0' }, secretRef: { name: 'bad-config' }, certSecretRef: { name: 'ca' } },
    };
    for (const [name, spec] of Object.entries(specs)) await env.create('OCIRepository', name, { url, interval: '10m', timeout: '20s', ...spec });

    const want: Record<string, string> = {
      tag: `v1.0.0@${pushed['v1.0.0']}`,
      semver: `v1.10.0@${pushed['v1.10.0']}`, // numeric order, not lexical; v2.0.0 out of range
      digest: pushed['v1.2.0'] ?? '', // a digest ref's revision is the digest alone
    };
    await Promise.all(Object.entries(want).map(async ([name, revision]) => {
      const o = await env.waitFor('OCIRepository', name, isReady, 'Ready');
      assert.equal(o.status?.artifact?.revision, revision, name);
      assert.deepEqual(await env.artifactFiles(o.status?.artifact), ['app.yaml']);
    }));

    const refused = await env.waitFor('OCIRepository', 'wrong-creds', failedWith, 'FetchFailed');
    assert.equal(cond(refused, 'FetchFailed')?.reason, 'OCIArtifactPullFailed');
    assert.match(cond(refused, 'FetchFailed')?.message ?? '', /401|unauthori[sz]ed|authentication/i);
    assert.deepEqual([cond(refused, 'Ready')?.status, cond(refused, 'Ready')?.reason], ['False', 'OCIArtifactPullFailed']);
    assert.equal(refused.status?.artifact, undefined);
    const untrusted = await env.waitFor('OCIRepository', 'unknown-ca', failedWith, 'FetchFailed');
    assert.equal(cond(untrusted, 'FetchFailed')?.reason, 'OCIArtifactPullFailed');
    assert.match(cond(untrusted, 'FetchFailed')?.message ?? '', /certificate|TLS/i);
    // An unusable Secret is AuthenticationFailed and retried: fixing the Secret alone recovers.
    const badConfig = await env.waitFor('OCIRepository', 'bad-config', failedWith, 'FetchFailed');
    assert.equal(cond(badConfig, 'FetchFailed')?.reason, 'AuthenticationFailed');
    assert.match(cond(badConfig, 'FetchFailed')?.message ?? '', /^failed to get credential: .*JSON/);
    assert.equal(cond(badConfig, 'Stalled'), undefined);
    await env.secret('bad-config', { '.dockerconfigjson': dockerConfig(registry.host, 'flux', password) });
    await env.waitFor('OCIRepository', 'bad-config', (o) => isReady(o) && !failedWith(o), 'recovered after the Secret was fixed');

    const events = JSON.stringify(await eventually('failure events', async () => {
      const list = await env.events('OCIRepository');
      return list.some((e) => e.type === 'Warning') ? list : undefined;
    }));
    const leaks = /Pa55|Zmx1eD/; // the passwords, and base64 of "flux:" as in an auth field
    for (const name of Object.keys(specs)) assert.doesNotMatch(JSON.stringify((await env.get('OCIRepository', name)).status), leaks, `${name}: no password in status`);
    assert.doesNotMatch(events, leaks, 'no password in events');
  }));

  it('registry 500 and 429: FetchFailed while the last artifact stays served, retries back off and honour Retry-After, recovery clears the condition', () => withEnv('src-oci-faults', async (env) => {
    const registry = await startOciRegistry();
    env.defer(() => registry.stop());
    const proxy = await startFaultProxy(registry.host);
    env.defer(() => proxy.stop());
    // Every manifest request is timed; `fault` answers them while set.
    const manifestHits: number[] = [];
    let fault: ((n: number) => Fault | undefined) | undefined;
    proxy.setRule((req: IncomingMessage) => {
      if (!(req.url ?? '').startsWith('/v2/app/manifests/')) return undefined;
      manifestHits.push(Date.now());
      return fault?.(manifestHits.length);
    });
    const push = async (content: string) => (await pushArtifact({ registryUrl: registry.url, repository: 'app', tag: 'v1', files: { 'app.yaml': content } })).digest;
    const first = await push('rev: 1\n');
    await env.create('OCIRepository', 'app', { url: `oci://${proxy.host}/app`, insecure: true, interval: '10m', timeout: '30s', ref: { tag: 'v1' } });
    const good = await env.waitFor('OCIRepository', 'app', isReady, 'Ready');
    assert.equal(good.status?.artifact?.revision, `v1@${first}`);

    // 500 on every manifest request, with a newer artifact waiting behind it.
    const second = await push('rev: 2\n');
    const from = manifestHits.length;
    fault = () => ({ kind: 'status', status: 500 });
    await env.requestReconcile('OCIRepository', 'app', 'f500');
    const failing = await env.waitFor('OCIRepository', 'app', (o) => o.status?.lastHandledReconcileAt === 'f500' && failedWith(o), 'FetchFailed on 500');
    assert.equal(cond(failing, 'FetchFailed')?.reason, 'OCIArtifactPullFailed');
    assert.match(cond(failing, 'FetchFailed')?.message ?? '', /500/);
    assert.deepEqual([cond(failing, 'Ready')?.status, cond(failing, 'Ready')?.reason], ['False', 'OCIArtifactPullFailed']);
    assert.deepEqual(failing.status?.artifact, good.status?.artifact, 'the last good artifact stays in status');
    assert.deepEqual(await env.artifactFiles(failing.status?.artifact), ['app.yaml'], 'and stays served, digest verified');
    // The client backs off between tries (equal jitter: at least half of 250, 500, 1000 ms) …
    const gaps = manifestHits.slice(from, from + 4).map((t, i, a) => (i === 0 ? 0 : t - (a[i - 1] ?? t))).slice(1);
    assert.equal(gaps.length, 3, `${manifestHits.length - from} manifest requests`);
    gaps.forEach((gap, i) => assert.ok(gap >= 0.9 * 125 * 2 ** i, `gap ${i + 1}: ${gap} ms`));
    // … and the controller keeps retrying by itself, without a new request.
    const seen = manifestHits.length;
    await eventually('more tries after the failed reconcile', () => manifestHits.length >= seen + 4, 20_000);
    fault = undefined;
    const recovered = await env.waitFor('OCIRepository', 'app', (o) => isReady(o) && !failedWith(o) && o.status?.artifact?.revision === `v1@${second}`, 'recovered by itself');
    assert.equal(cond(recovered, 'Ready')?.reason, 'Succeeded');

    // 429 with Retry-After: 1 on every request: each retry waits the second the registry asked for.
    const third = await push('rev: 3\n');
    const from429 = manifestHits.length;
    fault = () => ({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    await env.requestReconcile('OCIRepository', 'app', 'f429');
    const limited = await env.waitFor('OCIRepository', 'app', (o) => o.status?.lastHandledReconcileAt === 'f429' && failedWith(o), 'FetchFailed on 429');
    assert.match(cond(limited, 'FetchFailed')?.message ?? '', /429|too many/i);
    assert.equal(limited.status?.artifact?.revision, `v1@${second}`, 'the last good artifact stays');
    const waits = manifestHits.slice(from429, from429 + 4).map((t, i, a) => t - (a[i - 1] ?? t)).slice(1);
    waits.forEach((w, i) => assert.ok(w >= 950, `wait ${i + 1} after 429: ${w} ms`));
    // Two more 429s, then the registry answers: the new artifact arrives without FetchFailed.
    const limitFrom = manifestHits.length;
    fault = (n) => (n <= limitFrom + 2 ? { kind: 'status', status: 429, headers: { 'retry-after': '1' } } : undefined);
    const done = await env.waitFor('OCIRepository', 'app', (o) => o.status?.artifact?.revision === `v1@${third}` && isReady(o), 'the third artifact after 429s');
    assert.equal(cond(done, 'FetchFailed'), undefined);
    assert.deepEqual(await env.artifactFiles(done.status?.artifact), ['app.yaml']);
  }));

  it('cosign with a public key Secret: signed is SourceVerified, tampered and unsigned are refused without a new artifact', () => withEnv('src-oci-cosign', async (env) => {
    const registry = await startOciRegistry();
    env.defer(() => registry.stop());
    const key = generateCosignKey();
    const access = { registryUrl: registry.url };
    const push = async (tag: string, content: string) => (await pushArtifact({ ...access, repository: 'signed/app', tag, files: { 'app.yaml': content } })).digest;
    const sign = (digest: string, opts = {}) => pushCosignSignature(access, registry.host, 'signed/app', digest, key, opts);
    const tamper = (s: string) => Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 10 ? b ^ 1 : b))).toString('base64');
    const signed = await push('v1', 'rev: 1\n');
    await sign(signed);
    await push('unsigned', 'rev: u\n');
    await env.secret('cosign', { 'cosign.pub': key.publicPem });
    const spec = (tag: string) => ({ url: `oci://${registry.host}/signed/app`, insecure: true, interval: '10m', ref: { tag }, verify: { provider: 'cosign', secretRef: { name: 'cosign' } } });
    await env.create('OCIRepository', 'signed', spec('v1'));
    await env.create('OCIRepository', 'unsigned', spec('unsigned'));

    const ok = await env.waitFor('OCIRepository', 'signed', isReady, 'Ready');
    assert.equal(ok.status?.artifact?.revision, `v1@${signed}`);
    assert.deepEqual([cond(ok, 'SourceVerified')?.status, cond(ok, 'SourceVerified')?.reason], ['True', 'Succeeded']);
    assert.match(cond(ok, 'SourceVerified')?.message ?? '', new RegExp(`v1@${signed}`));

    const unsigned = await env.waitFor('OCIRepository', 'unsigned', (o) => cond(o, 'SourceVerified')?.status === 'False', 'SourceVerified=False');
    assert.equal(cond(unsigned, 'SourceVerified')?.reason, 'VerificationError');
    assert.match(cond(unsigned, 'SourceVerified')?.message ?? '', /^failed to verify the signature using provider 'cosign': .*signature/);
    assert.deepEqual([cond(unsigned, 'Ready')?.status, cond(unsigned, 'Ready')?.reason], ['False', 'VerificationError']);
    assert.equal(unsigned.status?.artifact, undefined, 'no artifact from an unsigned revision');
    assert.equal(cond(unsigned, 'FetchFailed'), undefined, 'a verification failure is not a fetch failure');

    // The tag moves to a revision with a tampered signature: refused, the verified artifact stays.
    const moved = await push('v1', 'rev: 2\n');
    await sign(moved, { signatureOverride: tamper });
    await env.requestReconcile('OCIRepository', 'signed', 's1');
    const tampered = await env.waitFor('OCIRepository', 'signed', (o) => o.status?.lastHandledReconcileAt === 's1' && cond(o, 'SourceVerified')?.status === 'False', 'tampered refused');
    assert.equal(cond(tampered, 'SourceVerified')?.reason, 'VerificationError');
    assert.equal(cond(tampered, 'Ready')?.status, 'False');
    assert.equal(tampered.status?.artifact?.revision, `v1@${signed}`, 'no new artifact');
    assert.deepEqual(await env.artifactFiles(tampered.status?.artifact), ['app.yaml']);

    // A valid signature for the moved tag: verified again and stored, by the retry alone.
    await sign(moved);
    const resigned = await env.waitFor('OCIRepository', 'signed', (o) => o.status?.artifact?.revision === `v1@${moved}` && isReady(o), 'the re-signed revision');
    assert.equal(cond(resigned, 'SourceVerified')?.status, 'True');
  }));
});
