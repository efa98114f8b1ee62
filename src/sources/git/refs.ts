// Resolving a GitRepository spec.ref against the refs a remote advertises (one `git ls-remote`),
// and the Flux revision strings: `<branch>@sha1:<hash>`, `<tag>@sha1:<hash>`,
// `<full ref name>@sha1:<hash>` for spec.ref.name, and `sha1:<hash>` for a bare commit.
import { GitError } from './errors.ts';
import { Constraint, ConstraintError, compareVersions, parseTagVersion } from './masterminds-semver.ts';
import type { Version } from './masterminds-semver.ts';

/** GitRepository spec.ref. Later fields take precedence: commit > name > semver > tag > branch. */
export interface GitRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

/** Flux's default when spec.ref is empty. */
export const DEFAULT_BRANCH = 'master';

/** ref name → object id, as `git ls-remote` prints it; peeled tags appear as `refs/tags/x^{}`. */
export type RemoteRefs = ReadonlyMap<string, string>;

export interface ResolvedRef {
  kind: 'branch' | 'tag' | 'semver' | 'name' | 'commit';
  /** The full ref fetched (`refs/heads/main`), absent for a bare commit. */
  refName?: string;
  /** The commit to check out. */
  commit: string;
  /** The object the ref points to: the tag object for an annotated tag, else the commit. */
  object: string;
  /** Set when the ref is a tag: its short name (`v1.2.3`). */
  tagName?: string;
  /** True when `object` is an annotated tag object (then it can carry a signature). */
  annotatedTag: boolean;
  /** The Flux revision string. */
  revision: string;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function parseLsRemote(output: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const sha = line.slice(0, tab).trim();
    const name = line.slice(tab + 1).trim();
    if (SHA.test(sha) && name !== '') refs.set(name, sha);
  }
  return refs;
}

/** `sha1:<hash>` (or `sha256:` for a SHA-256 repository). */
export function hashDigest(commit: string): string {
  return `${commit.length === 64 ? 'sha256' : 'sha1'}:${commit}`;
}

/** The branch or tag the ref names, or the commit, in Flux's precedence order. */
export function effectiveRef(ref: GitRef | undefined): GitRef {
  const r = ref ?? {};
  if (!r.commit && !r.name && !r.semver && !r.tag && !r.branch) return { branch: DEFAULT_BRANCH };
  return r;
}

/** Resolves `ref` against the advertised refs; throws GitError RefNotFound / InvalidRef. */
export function resolveRef(refs: RemoteRefs, ref: GitRef | undefined): ResolvedRef {
  const r = effectiveRef(ref);
  if (r.commit) return resolveCommit(refs, r.commit, r.branch);
  if (r.name) return resolveName(refs, r.name);
  if (r.semver) return resolveSemver(refs, r.semver);
  if (r.tag) return resolveTag(refs, r.tag, 'tag');
  return resolveBranch(refs, r.branch ?? DEFAULT_BRANCH);
}

function resolveBranch(refs: RemoteRefs, branch: string): ResolvedRef {
  const refName = `refs/heads/${branch}`;
  const commit = refs.get(refName);
  if (commit === undefined) throw new GitError('RefNotFound', `couldn't find remote ref "${refName}"`);
  return { kind: 'branch', refName, commit, object: commit, annotatedTag: false, revision: `${branch}@${hashDigest(commit)}` };
}

function resolveTag(refs: RemoteRefs, tag: string, kind: 'tag' | 'semver'): ResolvedRef {
  const refName = `refs/tags/${tag}`;
  const object = refs.get(refName);
  if (object === undefined) throw new GitError('RefNotFound', `couldn't find remote ref "${refName}"`);
  const peeled = refs.get(`${refName}^{}`);
  const commit = peeled ?? object;
  return { kind, refName, commit, object, tagName: tag, annotatedTag: peeled !== undefined, revision: `${tag}@${hashDigest(commit)}` };
}

function resolveName(refs: RemoteRefs, name: string): ResolvedRef {
  // git-check-ref-format rule 6, as Flux checks it.
  if (name.startsWith('/') || name.endsWith('/') || name.includes('..') || /[\s~^:?*[\\]/.test(name)) {
    throw new GitError('InvalidRef', `ref ${JSON.stringify(name)} is invalid`);
  }
  const object = refs.get(name);
  if (object === undefined) throw new GitError('RefNotFound', `unable to resolve ref '${name}' to a specific commit`);
  const peeled = refs.get(`${name}^{}`);
  const commit = peeled ?? object;
  const resolved: ResolvedRef = { kind: 'name', refName: name, commit, object, annotatedTag: peeled !== undefined, revision: `${name}@${hashDigest(commit)}` };
  if (name.startsWith('refs/tags/')) resolved.tagName = name.slice('refs/tags/'.length);
  return resolved;
}

function resolveCommit(refs: RemoteRefs, commit: string, branch: string | undefined): ResolvedRef {
  const sha = commit.toLowerCase();
  if (!SHA.test(sha)) throw new GitError('InvalidRef', `commit ${JSON.stringify(commit)} is not a full hexadecimal object id`);
  if (branch) {
    // The commit is looked up in the branch, which must exist.
    const refName = `refs/heads/${branch}`;
    if (!refs.has(refName)) throw new GitError('RefNotFound', `couldn't find remote ref "${refName}"`);
    return { kind: 'commit', refName, commit: sha, object: sha, annotatedTag: false, revision: `${branch}@${hashDigest(sha)}` };
  }
  return { kind: 'commit', commit: sha, object: sha, annotatedTag: false, revision: hashDigest(sha) };
}

function resolveSemver(refs: RemoteRefs, range: string): ResolvedRef {
  let constraint: Constraint;
  try {
    constraint = Constraint.parse(range);
  } catch (cause) {
    if (cause instanceof ConstraintError) throw new GitError('InvalidRef', `semver parse error: ${cause.message}`, { cause });
    throw cause;
  }
  const tag = highestMatchingTag(refs, constraint);
  if (tag === undefined) throw new GitError('RefNotFound', `no match found for semver: ${range}`);
  return resolveTag(refs, tag, 'semver');
}

/** The tag with the highest version satisfying the constraint (tags that are no version are skipped). */
export function highestMatchingTag(refs: RemoteRefs, constraint: Constraint): string | undefined {
  let best: Version | undefined;
  for (const name of refs.keys()) {
    if (!name.startsWith('refs/tags/') || name.endsWith('^{}')) continue;
    const v = parseTagVersion(name.slice('refs/tags/'.length));
    if (v === undefined || !constraint.check(v)) continue;
    // Equal precedence (differing build metadata): Flux orders by commit time, which ls-remote
    // does not show; the greater tag name wins, deterministically.
    if (best === undefined || compareVersions(v, best) > 0 || (compareVersions(v, best) === 0 && v.original > best.original)) best = v;
  }
  return best?.original;
}
