// Shared plumbing of the git client tests: plumbing on the servers' bare repos (no network),
// typed-error assertions, temp checkout dirs.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { GitError } from '../../../src/sources/git/index.ts';
import type { GitErrorReason } from '../../../src/sources/git/index.ts';
import { bareRepoPath } from '../../servers/bare-repos.ts';
import { run } from '../../tools/exec.ts';

const CLEAN_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_SSL_CAINFO: undefined };

/** Runs git plumbing directly in a server's bare repo. */
export async function bareGit(reposDir: string, repo: string, args: readonly string[], input?: string): Promise<string> {
  const gitDir = bareRepoPath(reposDir, repo);
  const opts = input === undefined ? { env: CLEAN_ENV } : { env: CLEAN_ENV, input };
  return (await run('git', ['--git-dir', gitDir, ...args], opts)).stdout.trim();
}

/** Writes a raw object (commit or tag text) into the bare repo; returns its id. */
export function writeObject(reposDir: string, repo: string, type: 'commit' | 'tag' | 'blob', content: string): Promise<string> {
  return bareGit(reposDir, repo, ['hash-object', '-t', type, '-w', '--stdin'], content);
}

/** A fresh path under `root` for one checkout. */
export function dirFactory(root: string): () => string {
  let n = 0;
  return () => path.join(root, `co-${String(++n)}`);
}

export async function expectGitError(p: Promise<unknown>, reason: GitErrorReason): Promise<GitError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GitError, `expected GitError ${reason}, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail(`expected GitError ${reason}, but it succeeded`);
}

export async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f !== '.git').sort();
}

/** The reason of the GitError a synchronous call throws (fails the test if it does not throw one). */
export function thrownGitReason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GitError);
    return err.reason;
  }
  assert.fail('did not throw');
}
