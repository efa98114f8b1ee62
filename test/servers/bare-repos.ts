// The directory of bare repositories that the git HTTP and SSH servers both serve.
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from '../tools/exec.ts';

export class RepoNameError extends Error {
  constructor(name: string) {
    super(`invalid repository name ${JSON.stringify(name)}: use [A-Za-z0-9._-] segments separated by /`);
    this.name = 'RepoNameError';
  }
}

/** Absolute path of the bare repo `name` (".git" appended) under reposDir. */
export function bareRepoPath(reposDir: string, name: string): string {
  const segments = name.split('/');
  if (segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s) || s === '.' || s === '..')) throw new RepoNameError(name);
  return path.join(reposDir, `${name}.git`);
}

/** `git init --bare` with HEAD pointing at defaultBranch; returns its absolute path. */
export async function initBareRepo(reposDir: string, name: string, defaultBranch = 'main'): Promise<string> {
  const dir = bareRepoPath(reposDir, name);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await run('git', ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, dir]);
  return dir;
}
