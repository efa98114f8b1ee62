import { join } from 'node:path';
import { API_VERSION } from '../../api/source/v1/group.ts';
import type { GitRepository } from '../../api/source/v1/gitrepository.ts';
import { SignatureError, authFromSecret, checkout, isGitError, loadVerificationKeys, resolveRemote, verifySource, type GitError } from '../../sources/git/index.ts';
import { get, markFalse, markTrue, remove } from '../../runtime/status/conditions.ts';
import { ReconcileError, generic, stalling } from '../shared/errors.ts';
import { applyIncludes, includesUnchanged, resolveIncludes } from './include.ts';
import { FetchError, type FetchContext, type FetchResult, type SourceKind } from './source-kind.ts';

/** The Secret itself is unusable: Flux reports these before contacting the server. */
const SECRET_REASONS = new Set(['InvalidSecret', 'MissingKnownHosts']);

/** A plain-words lead for git's stderr, which rarely says it plainly (a refused token reads "could not read Username"). */
const HINTS: Readonly<Record<string, string>> = {
  AuthenticationFailed: 'authentication failed',
  ProxyAuthenticationFailed: 'proxy authentication failed',
  HostKeyVerificationFailed: 'SSH host key verification failed',
  TlsVerificationFailed: 'TLS certificate verification failed',
  Unreachable: 'remote unreachable',
  RepositoryNotFound: 'repository not found',
  RefNotFound: 'reference not found',
  Timeout: 'timed out',
};

/**
 * Flux's reasons: a bad URL stalls (URLInvalid); an unusable Secret is AuthenticationFailed;
 * everything the server or the transport refuses — credentials included, as go-git reports them
 * from the clone — is GitOperationFailed, "failed to checkout and determine revision: …".
 */
export function gitFetchError(err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (!isGitError(err)) return new FetchError('GitOperationFailed', `failed to checkout and determine revision: ${message}`, { cause: err });
  const e: GitError = err;
  if (e.reason === 'InvalidUrl') return new FetchError('URLInvalid', `failed to parse url: ${message}`, { cause: err, stalling: true });
  if (SECRET_REASONS.has(e.reason)) return new FetchError('AuthenticationFailed', `failed to configure authentication options: ${message}`, { cause: err });
  const hint = HINTS[e.reason];
  return new FetchError('GitOperationFailed', `failed to checkout and determine revision: ${hint ? `${hint}: ` : ''}${message}`, { cause: err });
}

function remoteAuth(spec: GitRepository['spec'], secret: Record<string, string> | undefined, proxy: Record<string, string> | undefined): ReturnType<typeof authFromSecret> {
  try {
    return authFromSecret(spec.url, secret, proxy);
  } catch (err) {
    throw gitFetchError(err);
  }
}

async function fetchGit(obj: GitRepository, ctx: FetchContext): Promise<FetchResult> {
  const { spec } = obj;
  const secret = spec.secretRef ? await ctx.secret(spec.secretRef.name) : undefined;
  const proxy = spec.proxySecretRef ? await ctx.secret(spec.proxySecretRef.name) : undefined;
  const remote = { url: spec.url, auth: remoteAuth(spec, secret, proxy), timeoutMs: ctx.timeoutMs, signal: ctx.signal, ...(spec.ref ? { ref: spec.ref } : {}) };
  // ls-remote first: an unchanged remote costs one round trip and no fetch.
  const resolved = await resolveRemote(remote).catch((err: unknown) => Promise.reject(gitFetchError(err)));
  const includes = await resolveIncludes(obj, ctx);
  if (ctx.inputsUnchanged && ctx.current?.revision === resolved.revision && verifiedAlready(obj) && includesUnchanged(obj, includes)) {
    return { kind: 'unchanged', revision: resolved.revision };
  }
  const dir = join(await ctx.tmpDir(), 'checkout');
  const result = await checkout({ ...remote, dir, recurseSubmodules: spec.recurseSubmodules ?? false, ...(spec.sparseCheckout ? { sparseCheckout: spec.sparseCheckout } : {}) })
    .catch((err: unknown) => Promise.reject(gitFetchError(err)));
  await verify(obj, result, ctx);
  await applyIncludes(obj, includes, dir, ctx).catch((err: unknown) => {
    if (err instanceof ReconcileError) throw err;
    const message = `failed to include artifacts: ${err instanceof Error ? err.message : String(err)}`;
    markTrue(obj, 'IncludeUnavailable', 'IncludeFailed', message);
    throw generic('IncludeUnavailable', message, err);
  });
  return { kind: 'dir', dir, revision: result.revision, ignore: spec.ignore };
}

/** Without verification configured, or verified at this generation, nothing to re-check (Flux's requiresVerification). */
function verifiedAlready(obj: GitRepository): boolean {
  if (!obj.spec.verify) return true;
  const c = get(obj, 'SourceVerified');
  return c?.status === 'True' && c.observedGeneration === obj.metadata.generation;
}

type Checkout = Awaited<ReturnType<typeof checkout>>;

/** One part of the verification; a failure is SourceVerified=False with Flux's reason for that part. */
async function verifyPart<T>(obj: GitRepository, run: () => Promise<T>, fail: (err: unknown) => { reason: string; message: string; stall?: boolean }): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const { reason, message, stall } = fail(err);
    markFalse(obj, 'SourceVerified', reason, '%s', message);
    throw stall ? stalling(reason, message, err) : generic(reason, message, err);
  }
}

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));
const reasonOf = (err: unknown) => (err instanceof SignatureError ? err.reason : undefined);

async function verify(obj: GitRepository, result: Checkout, ctx: FetchContext): Promise<void> {
  const v = obj.spec.verify;
  if (!v) {
    remove(obj, 'SourceVerified');
    if (obj.status) delete obj.status.sourceVerificationMode;
    return;
  }
  const mode = v.mode ?? 'HEAD';
  const keys = await verifyPart(obj, async () => loadVerificationKeys(await ctx.secret(v.secretRef.name)), (err) => ({
    reason: 'VerificationError', message: `PGP public keys secret error: ${text(err)}`,
  }));
  const lines: string[] = [];
  if (mode === 'Tag' || mode === 'TagAndHEAD') {
    const tag = result.tagName ?? '';
    lines.push(await verifyPart(obj, async () => (await verifySource(result, 'Tag', keys)).message, (err) => {
      if (reasonOf(err) === 'NoTagReference') return { reason: 'InvalidVerificationMode', message: text(err), stall: true };
      if (reasonOf(err) === 'NoSignature') return { reason: 'InvalidGitObject', message: `cannot verify signature of tag '${tag}' since it is not signed` };
      return { reason: 'InvalidTagSignature', message: `signature verification of tag '${tag}' failed: ${text(err)}` };
    }));
  }
  if (mode === 'HEAD' || mode === 'head' || mode === 'TagAndHEAD') {
    lines.push(await verifyPart(obj, async () => (await verifySource(result, 'HEAD', keys)).message, (err) => ({
      reason: 'InvalidCommitSignature', message: `signature verification of commit '${result.commit}' failed: ${text(err)}`,
    })));
  }
  markTrue(obj, 'SourceVerified', 'Succeeded', '%s', 'verified signature of' + lines.map((l) => l.replace(/^verified signature of/, '')).join(''));
  (obj.status ??= {}).sourceVerificationMode = mode;
}

/** The GitRepositories in the same namespace that include `included`. */
export function includersOf(all: readonly GitRepository[], included: { metadata: { name?: string; namespace?: string } }): GitRepository[] {
  return all.filter((r) => r.metadata.namespace === included.metadata.namespace && (r.spec.include ?? []).some((i) => i.repository.name === included.metadata.name));
}

export const gitRepositoryKind: SourceKind<GitRepository> = {
  ref: { apiVersion: API_VERSION, kind: 'GitRepository' },
  storageKind: 'gitrepository',
  url: (o) => o.spec.url,
  observedInputs: (o) => ({
    observedIgnore: o.spec.ignore,
    observedRecurseSubmodules: o.spec.recurseSubmodules,
    observedSparseCheckout: o.spec.sparseCheckout,
    observedInclude: o.spec.include,
  }),
  fetch: fetchGit,
};
