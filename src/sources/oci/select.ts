// OCIRepository `spec.ref` → the tag or digest to pull, and the artifact revision string, as
// Flux computes them: digest beats semver beats tag; no ref means `latest`; semver picks the
// highest tag matching the range (Masterminds semantics) among those matching `semverFilter`.
import type { CallOptions, Registry } from './client.ts';
import { OciError } from './errors.ts';
import { validateDigest, validateTag } from './reference.ts';
import { parseConstraint, parseTagVersion } from './semver.ts';
import type { Constraint } from './semver.ts';
import { compare } from 'semver';
import type { SemVer } from 'semver';

export interface OciRef {
  tag?: string | undefined;
  semver?: string | undefined;
  semverFilter?: string | undefined;
  digest?: string | undefined;
}

export type ResolvedRef = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string };

export const DEFAULT_TAG = 'latest';
const MAX_FILTER_LENGTH = 256;

/** Resolves a ref; lists tags only for semver refs. */
export async function resolveRef(registry: Registry, repository: string, ref: OciRef | undefined, opts: CallOptions = {}): Promise<ResolvedRef> {
  if (ref?.digest) {
    validateDigest(ref.digest);
    return { kind: 'digest', digest: ref.digest };
  }
  if (ref?.semver) {
    // Parse before the network call: a bad range or filter is the spec's fault.
    const constraint = semverConstraint(ref.semver);
    const filter = semverFilter(ref.semverFilter);
    const tags = await registry.listTags(repository, opts);
    return { kind: 'tag', tag: pickSemverTag(tags, constraint, filter, ref.semver) };
  }
  const tag = ref?.tag || DEFAULT_TAG;
  validateTag(tag);
  return { kind: 'tag', tag };
}

/** The highest tag matching `range` (and `filter`, a regular expression, if given). */
export function selectSemverTag(tags: readonly string[], range: string, filter?: string): string {
  return pickSemverTag(tags, semverConstraint(range), semverFilter(filter), range);
}

/** Flux's revision: `<tag>@sha256:<hex>` for a tag (semver included), `sha256:<hex>` for a digest ref. */
export function formatRevision(resolved: ResolvedRef, digest: string): string {
  return resolved.kind === 'digest' ? digest : `${resolved.tag}@${digest}`;
}

/** The digest part of a revision (what Flux names artifacts by). */
export function digestFromRevision(revision: string): string {
  return revision.slice(revision.lastIndexOf('@') + 1);
}

function pickSemverTag(tags: readonly string[], constraint: Constraint, filter: RegExp | undefined, range: string): string {
  let best: { tag: string; version: SemVer } | undefined;
  for (const tag of tags) {
    if (filter && !filter.test(tag)) continue;
    const version = parseTagVersion(tag);
    if (!version || !constraint.check(version)) continue;
    // Strictly greater: among equal versions (v1.0.0 and 1.0.0) the first listed wins.
    if (!best || compare(version, best.version) > 0) best = { tag, version };
  }
  if (!best) throw new OciError('NoMatchingTag', `no match found for semver: ${range}`);
  return best.tag;
}

function semverConstraint(range: string): Constraint {
  try {
    return parseConstraint(range);
  } catch (err) {
    throw new OciError('InvalidReference', `semver '${range}' parse error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Flux compiles semverFilter with Go's RE2 and tests it unanchored; JavaScript's engine is close
 * for the filters people write. Length is capped as some backtracking protection.
 */
function semverFilter(filter: string | undefined): RegExp | undefined {
  if (!filter) return undefined;
  if (filter.length > MAX_FILTER_LENGTH) throw new OciError('InvalidReference', `semverFilter is longer than ${MAX_FILTER_LENGTH} characters`);
  try {
    return new RegExp(filter);
  } catch (err) {
    throw new OciError('InvalidReference', `semverFilter '${filter}' is not a valid regular expression`, { cause: err });
  }
}
