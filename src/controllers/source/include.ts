import { cp, mkdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Artifact } from '../../api/meta.ts';
import type { GitRepository, GitRepositoryInclude } from '../../api/source/v1/gitrepository.ts';
import { fetchArtifact } from '../../artifact/fetch.ts';
import { isNotFound } from '../../kube/errors.ts';
import { markTrue, remove } from '../../runtime/status/conditions.ts';
import { ReconcileError, stalling } from '../shared/errors.ts';
import type { FetchContext } from './source-kind.ts';

/** How long to wait for an included repository to have an artifact (Flux's --requeue-dependency). */
const INCLUDE_REQUEUE_MS = 30_000;

export interface ResolvedInclude {
  include: GitRepositoryInclude;
  artifact: Artifact;
}

/**
 * The artifacts of the GitRepositories named in `spec.include`, read now. Missing ones make the
 * reconcile wait (IncludeUnavailable) rather than build an incomplete artifact.
 */
export async function resolveIncludes(obj: GitRepository, ctx: FetchContext): Promise<ResolvedInclude[]> {
  const out: ResolvedInclude[] = [];
  for (const include of obj.spec.include ?? []) {
    const name = include.repository.name;
    let artifact: Artifact | undefined;
    try {
      const included = await ctx.client.get<GitRepository>({ apiVersion: obj.apiVersion, kind: 'GitRepository' }, name, obj.metadata.namespace);
      artifact = included.status?.artifact;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!artifact) {
      const message = `could not get artifact of included GitRepository '${name}'`;
      markTrue(obj, 'IncludeUnavailable', 'NoArtifact', message);
      throw new ReconcileError('waiting', 'IncludeUnavailable', message, { requeueAfterMs: INCLUDE_REQUEUE_MS });
    }
    out.push({ include, artifact });
  }
  remove(obj, 'IncludeUnavailable');
  return out;
}

/** True when the included artifacts are the ones the stored artifact was built with. */
export function includesUnchanged(obj: GitRepository, includes: readonly ResolvedInclude[]): boolean {
  const before = obj.status?.includedArtifacts ?? [];
  return before.length === includes.length && includes.every((inc, i) => before[i]?.digest === inc.artifact.digest);
}

/** Downloads each included artifact and copies `fromPath` of it to `toPath` in the checkout. */
export async function applyIncludes(obj: GitRepository, includes: readonly ResolvedInclude[], dir: string, ctx: FetchContext): Promise<void> {
  for (const [i, { include, artifact }] of includes.entries()) {
    const scratch = join(await ctx.tmpDir(), `include-${i}`);
    await fetchArtifact({ url: artifact.url, digest: artifact.digest ?? '', dest: scratch, signal: ctx.signal });
    const from = inside(scratch, include.fromPath ?? '.', 'fromPath');
    const to = inside(dir, include.toPath ?? include.repository.name, 'toPath');
    await stat(from).catch(() => Promise.reject(stalling('IncludeUnavailable', `fromPath '${include.fromPath ?? ''}' not found in the artifact of '${include.repository.name}'`)));
    await mkdir(to, { recursive: true });
    await cp(from, to, { recursive: true, force: true, verbatimSymlinks: true });
  }
  const status = (obj.status ??= {});
  if (includes.length > 0) status.includedArtifacts = includes.map((inc) => inc.artifact);
  else delete status.includedArtifacts;
}

/** A user-given relative path resolved under root; escaping it stalls the object. */
function inside(root: string, rel: string, field: string): string {
  const abs = resolve(root, rel);
  const r = relative(root, abs);
  if (r === '..' || r.startsWith(`..${sep}`) || resolve(r) === r) {
    throw stalling('IncludeUnavailable', `${field} '${rel}' leaves the artifact`);
  }
  return abs;
}
