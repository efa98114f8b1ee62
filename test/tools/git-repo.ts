// Client-side helpers that put content into a test git server: commit files to a branch, make
// tags, list refs. All through the git CLI in a throwaway clone; user.name/email and the server's
// settings (CA, auth header, SSH command) are passed with -c / env, never as global config.
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from './exec.ts';
import { makeTempDir } from './tmp.ts';

export interface GitClientOptions {
  /** `git -c key=value` settings, e.g. GitHttpServer.gitConfig. */
  config?: Record<string, string>;
  /** Extra environment, e.g. GitSshServer.gitEnv (GIT_SSH_COMMAND). */
  env?: Record<string, string>;
}

export interface CommitOptions extends GitClientOptions {
  branch?: string;
  /** path → content; null deletes the path. */
  files: Record<string, string | Buffer | null>;
  message?: string;
  /** Remove every tracked file before writing `files` (the commit then holds exactly those). */
  replace?: boolean;
  author?: { name: string; email: string };
}

export interface TagOptions extends GitClientOptions {
  name: string;
  /** Branch name, tag or commit sha to tag. */
  target: string;
  /** Present: annotated tag with this message. Absent: lightweight tag. */
  message?: string;
}

export interface TagResult {
  /** What refs/tags/<name> points to: the tag object (annotated) or the commit (lightweight). */
  object: string;
  /** The commit the tag peels to. */
  commit: string;
}

const IDENTITY = { name: 'eddy test', email: 'test@eddy.invalid' };

/** A git runner bound to a working directory and the client options. */
function gitIn(cwd: string, options: GitClientOptions, author = IDENTITY) {
  const base = [
    '-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`,
    '-c', 'init.defaultBranch=main', '-c', 'advice.detachedHead=false', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false',
  ];
  for (const [key, value] of Object.entries(options.config ?? {})) base.push('-c', `${key}=${value}`);
  const env: Record<string, string | undefined> = {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // The environment variable would override the -c http.sslCAInfo of a test server's CA.
    GIT_SSL_CAINFO: options.config?.['http.sslCAInfo'] === undefined ? process.env.GIT_SSL_CAINFO : undefined,
    ...options.env,
  };
  return async (...args: string[]): Promise<string> => (await run('git', [...base, ...args], { cwd, env })).stdout.trim();
}

/** Commits `files` on top of `branch` (created as an orphan if missing), pushes, returns the sha. */
export async function commitFiles(repoUrl: string, options: CommitOptions): Promise<string> {
  const branch = options.branch ?? 'main';
  const tmp = await makeTempDir('eddy-git-work-');
  try {
    const git = gitIn(tmp.path, options, options.author);
    await git('init', '--quiet');
    const exists = (await git('ls-remote', '--heads', repoUrl, `refs/heads/${branch}`)) !== '';
    if (exists) {
      await git('fetch', '--quiet', '--depth=1', repoUrl, `refs/heads/${branch}`);
      await git('checkout', '--quiet', '-B', branch, 'FETCH_HEAD');
    } else {
      await git('checkout', '--quiet', '--orphan', branch);
    }
    if (options.replace && exists) await git('rm', '-r', '-q', '--ignore-unmatch', '.');
    for (const [file, content] of Object.entries(options.files)) {
      const target = safeJoin(tmp.path, file);
      if (content === null) {
        await fs.rm(target, { recursive: true, force: true });
      } else {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, content);
      }
    }
    await git('add', '-A');
    await git('commit', '--quiet', '--allow-empty', '-m', options.message ?? `update ${Object.keys(options.files).join(', ')}`);
    await git('push', '--quiet', repoUrl, `HEAD:refs/heads/${branch}`);
    return await git('rev-parse', 'HEAD');
  } finally {
    await tmp.remove();
  }
}

/** Creates (or moves, with force) a lightweight or annotated tag and pushes it. */
export async function createTag(repoUrl: string, options: TagOptions): Promise<TagResult> {
  const tmp = await makeTempDir('eddy-git-tag-');
  try {
    const git = gitIn(tmp.path, options);
    await git('init', '--quiet', '--bare');
    await git('fetch', '--quiet', repoUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*');
    const commit = await git('rev-parse', '--verify', `${options.target}^{commit}`);
    if (options.message === undefined) await git('tag', '-f', options.name, commit);
    else await git('tag', '-f', '-a', '-m', options.message, options.name, commit);
    await git('push', '--quiet', '--force', repoUrl, `refs/tags/${options.name}`);
    return { object: await git('rev-parse', `refs/tags/${options.name}`), commit };
  } finally {
    await tmp.remove();
  }
}

/** `git ls-remote`: ref name → sha (peeled tags appear as `refs/tags/x^{}`). */
export async function listRemoteRefs(repoUrl: string, options: GitClientOptions = {}): Promise<Map<string, string>> {
  const tmp = await makeTempDir('eddy-git-ls-');
  try {
    const out = await gitIn(tmp.path, options)('ls-remote', repoUrl);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref) refs.set(ref, sha);
    }
    return refs;
  } finally {
    await tmp.remove();
  }
}

/** Clones repoUrl into dir (must not exist or be empty); returns dir. */
export async function cloneRepo(repoUrl: string, dir: string, options: GitClientOptions & { branch?: string } = {}): Promise<string> {
  const args = ['clone', '--quiet'];
  if (options.branch !== undefined) args.push('--branch', options.branch);
  await gitIn(path.dirname(dir), options)(...args, repoUrl, dir);
  return dir;
}

function safeJoin(root: string, file: string): string {
  const target = path.resolve(root, file);
  if (!target.startsWith(root + path.sep) || target.startsWith(path.join(root, '.git') + path.sep) || target === path.join(root, '.git')) {
    throw new Error(`commitFiles: path ${JSON.stringify(file)} escapes the working tree`);
  }
  return target;
}
