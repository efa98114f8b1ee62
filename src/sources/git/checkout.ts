// Shallow checkout of exactly the commit a GitRepository ref resolves to: one ls-remote, then
// an empty repository that fetches only that object (depth 1), optionally sparse and with
// submodules, checked out detached. Also resolveRemote(), the ls-remote alone, so a controller
// can skip the fetch when the revision has not changed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { header, parseCommitObject, parseIdentity } from './commit-object.ts';
import type { Signature } from './commit-object.ts';
import { GitError } from './errors.ts';
import { git, gitFailure, runGitRaw } from './git-command.ts';
import type { GitContext } from './git-command.ts';
import { withOperation } from './operation.ts';
import type { Operation, RemoteOptions } from './operation.ts';
import { hashDigest, parseLsRemote, resolveRef } from './refs.ts';
import type { GitRef, ResolvedRef } from './refs.ts';

export interface CheckoutOptions extends RemoteOptions {
  ref?: GitRef;
  /** Directory to check out into; must not exist or be empty. */
  dir: string;
  /** History depth; 0 fetches everything reachable. Default 1. */
  depth?: number;
  recurseSubmodules?: boolean;
  /** Only these directories of the repository are checked out (Flux spec.sparseCheckout). */
  sparseCheckout?: readonly string[];
}

export interface CheckoutResult {
  /** Flux revision: `main@sha1:…`, `v1.2.3@sha1:…`, `refs/pull/1/head@sha1:…`, `sha1:…`. */
  revision: string;
  commit: string;
  /** The full ref that was resolved; absent for a bare commit. */
  refName?: string;
  /** The tag, for tag and semver refs (and name refs under refs/tags/). */
  tagName?: string;
  commitMessage: string;
  author: Signature;
  committer: Signature;
  /** Raw `git cat-file commit` output, for signature verification. */
  commitObject: Buffer;
  /** Raw annotated tag object, when the ref is an annotated tag. */
  tagObject?: Buffer;
}

/** `git ls-remote` of the repository: every advertised ref, peeled tags included. */
export async function listRemoteRefs(options: RemoteOptions): Promise<Map<string, string>> {
  return withOperation(options, (op) => lsRemote(op));
}

/** Resolves the ref against the remote without fetching anything. */
export async function resolveRemote(options: RemoteOptions & { ref?: GitRef }): Promise<ResolvedRef> {
  return withOperation(options, async (op) => resolveRef(await lsRemote(op), options.ref));
}

export async function checkout(options: CheckoutOptions): Promise<CheckoutResult> {
  const sparse = options.sparseCheckout?.map(normalizeSparseDir) ?? [];
  await prepareDir(options.dir);
  return withOperation(options, async (op) => {
    const resolved = resolveRef(await lsRemote(op), options.ref);
    const { ctx } = op;
    const cwd = options.dir;
    await git(ctx, ['init', '--quiet'], { cwd });
    await git(ctx, ['config', 'remote.origin.url', op.url], { cwd });
    const fetched = await fetchResolved(ctx, cwd, resolved, options.depth ?? 1);
    if (sparse.length > 0) await enableSparseCheckout(ctx, cwd, sparse);
    await git(ctx, ['checkout', '--quiet', '--force', '--detach', fetched.commit, '--'], { cwd, action: 'checkout' });
    if (sparse.length > 0) await checkSparseDirs(cwd, sparse);
    if (options.recurseSubmodules) await updateSubmodules(ctx, cwd, options.depth ?? 1);
    return describe(ctx, cwd, fetched);
  });
}

async function lsRemote(op: Operation): Promise<Map<string, string>> {
  const out = await git(op.ctx, ['ls-remote', '--', op.url], { action: 'ls-remote' });
  return parseLsRemote(out.toString('utf8'));
}

async function prepareDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if ((await fs.readdir(dir)).length > 0) throw new GitError('GitCommandFailed', `checkout directory ${dir} is not empty`);
}

/**
 * Fetches exactly the resolved object. Servers speaking protocol v2 (and v0 servers with
 * uploadpack.allowReachableSHA1InWant) hand out any reachable object by id; others refuse, and
 * the ref is fetched by name instead (it may have moved since ls-remote: then the new tip wins).
 */
async function fetchResolved(ctx: GitContext, cwd: string, resolved: ResolvedRef, depth: number): Promise<ResolvedRef> {
  const depthArgs = depth > 0 ? [`--depth=${String(depth)}`] : [];
  const base = ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', ...depthArgs, '--', 'origin'];
  const byId = await runGitRaw(ctx, [...base, resolved.object], { cwd });
  if (byId.exitCode === 0) return resolved;
  const failure = gitFailure(ctx, byId, 'fetch');
  if (failure.reason !== 'RefNotFound') throw failure;
  if (resolved.refName === undefined) {
    // A bare commit on a server that only serves advertised tips: fetch all branches in full.
    await git(ctx, ['fetch', '--quiet', '--no-tags', '--', 'origin', '+refs/heads/*:refs/remotes/origin/*'], { cwd, action: 'fetch' });
    await ensureCommit(ctx, cwd, resolved.commit);
    return resolved;
  }
  if (resolved.kind === 'commit') {
    await git(ctx, ['fetch', '--quiet', '--no-tags', '--', 'origin', `+${resolved.refName}:refs/eddy/fetched`], { cwd, action: 'fetch' });
    await ensureCommit(ctx, cwd, resolved.commit);
    return resolved;
  }
  await git(ctx, [...base, `+${resolved.refName}:refs/eddy/fetched`], { cwd, action: 'fetch' });
  const object = (await git(ctx, ['rev-parse', '--verify', 'refs/eddy/fetched'], { cwd })).toString('utf8').trim();
  const commit = (await git(ctx, ['rev-parse', '--verify', 'refs/eddy/fetched^{commit}'], { cwd })).toString('utf8').trim();
  if (commit === resolved.commit) return resolved;
  const name = resolved.kind === 'name' ? resolved.refName : (resolved.tagName ?? resolved.refName.replace(/^refs\/heads\//, ''));
  return { ...resolved, object, commit, revision: `${name}@${hashDigest(commit)}` };
}

async function ensureCommit(ctx: GitContext, cwd: string, commit: string): Promise<void> {
  const r = await runGitRaw(ctx, ['cat-file', '-e', `${commit}^{commit}`], { cwd });
  if (r.exitCode !== 0) throw new GitError('RefNotFound', `commit ${commit} not found in the fetched refs`);
}

/** `deploy/`, `./deploy`, `/deploy` → `deploy`; no `..`, no empty names. */
export function normalizeSparseDir(dir: string): string {
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) {
    throw new GitError('InvalidRef', `invalid sparse checkout directory ${JSON.stringify(dir)}`);
  }
  return parts.join('/');
}

/**
 * Only the listed directories, as Flux's go-git checkout does (files at the root are not
 * included, unlike git's cone mode): non-cone patterns `/dir/`, glob characters escaped.
 */
async function enableSparseCheckout(ctx: GitContext, cwd: string, dirs: readonly string[]): Promise<void> {
  await git(ctx, ['config', 'core.sparseCheckout', 'true'], { cwd });
  await git(ctx, ['config', 'core.sparseCheckoutCone', 'false'], { cwd });
  const patterns = dirs.map((d) => `/${d.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`)}/`).join('\n');
  await fs.mkdir(path.join(cwd, '.git', 'info'), { recursive: true });
  await fs.writeFile(path.join(cwd, '.git', 'info', 'sparse-checkout'), `${patterns}\n`);
}

async function checkSparseDirs(cwd: string, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      await fs.lstat(path.join(cwd, dir));
    } catch (cause) {
      throw new GitError('SparseCheckoutPathNotFound', `sparse checkout dir '${dir}' does not exist in repository`, { cause });
    }
  }
}

async function updateSubmodules(ctx: GitContext, cwd: string, depth: number): Promise<void> {
  const args = ['submodule', '--quiet', 'update', '--init', '--recursive', '--checkout'];
  if (depth > 0) args.push('--depth', String(depth));
  await git(ctx, args, { cwd, action: 'submodule update' });
}

async function describe(ctx: GitContext, cwd: string, resolved: ResolvedRef): Promise<CheckoutResult> {
  const commitObject = await git(ctx, ['cat-file', 'commit', resolved.commit], { cwd });
  const parsed = parseCommitObject(commitObject);
  const result: CheckoutResult = {
    revision: resolved.revision,
    commit: resolved.commit,
    commitMessage: parsed.message,
    author: parseIdentity(header(parsed, 'author')),
    committer: parseIdentity(header(parsed, 'committer')),
    commitObject,
  };
  if (resolved.refName !== undefined) result.refName = resolved.refName;
  if (resolved.tagName !== undefined) result.tagName = resolved.tagName;
  if (resolved.annotatedTag) {
    result.tagObject = await git(ctx, ['cat-file', 'tag', resolved.object], { cwd });
  }
  return result;
}

