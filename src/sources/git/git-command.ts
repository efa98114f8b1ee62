// The one way eddy runs git: a clean environment (no system, global or user config; no terminal
// prompts; no inherited GIT_* or SSL variables), settings passed through GIT_CONFIG_COUNT
// environment variables (never argv, which /proc shows to every user), only http(s) and ssh
// transports, no hooks, no LFS smudging, and stderr scrubbed of credentials before it can
// become an error message.
import { runProcess } from './exec.ts';
import type { ProcessResult } from './exec.ts';
import { GitError } from './errors.ts';
import type { GitErrorReason } from './errors.ts';
import { scrub } from './scrub.ts';

export interface GitContext {
  /** The git binary (default `git`, looked up in `pathEnv`). */
  gitBinary: string;
  /** PATH for git and the programs it runs (ssh, git-remote-https). */
  pathEnv: string;
  /** HOME for git and ssh: an empty per-operation directory. */
  home: string;
  /** `key=value` settings in addition to the hardening defaults, e.g. http.extraHeader. */
  config: ReadonlyArray<readonly [string, string]>;
  /** Extra environment, e.g. GIT_SSH_COMMAND. */
  env: Readonly<Record<string, string>>;
  /** Values masked in every message (passwords, tokens, passphrases). */
  secrets: readonly string[];
  /** Epoch milliseconds when the whole operation must be over. */
  deadline: number;
  signal?: AbortSignal;
  /** Allow file:// remotes (tests of local repositories only). */
  allowFileProtocol?: boolean;
  /** Wire protocol version; default git's (2). */
  protocolVersion?: 0 | 1 | 2;
}

/** Settings every git command runs with; they come after the caller's config, so they win. */
export function hardeningConfig(allowFile: boolean): Array<[string, string]> {
  return [
    // Only the transports a GitRepository URL may name; ext:: would run arbitrary commands.
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.http.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['protocol.file.allow', allowFile ? 'always' : 'never'],
    ['protocol.ext.allow', 'never'],
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['credential.helper', ''],
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
    ['filter.lfs.smudge', ''],
    ['filter.lfs.process', ''],
    ['filter.lfs.required', 'false'],
  ];
}

export function gitEnvironment(ctx: GitContext): Record<string, string> {
  const env: Record<string, string> = {
    PATH: ctx.pathEnv,
    HOME: ctx.home,
    XDG_CONFIG_HOME: ctx.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_LFS_SKIP_SMUDGE: '1',
    // Submodule URLs count as "from the user" only when this is 1; keep them to the allow-list.
    GIT_PROTOCOL_FROM_USER: '0',
    // Stable English messages: errors are classified by their text.
    LC_ALL: 'C',
    LANG: 'C',
    ...ctx.env,
  };
  const config = [...ctx.config, ...hardeningConfig(ctx.allowFileProtocol === true)];
  if (ctx.protocolVersion !== undefined) config.push(['protocol.version', String(ctx.protocolVersion)]);
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

export interface GitRunOptions {
  cwd?: string;
  input?: string | Uint8Array;
  /** What the command was doing, for the error message ("fetch", "ls-remote"). */
  action?: string;
}

/** Runs git and returns stdout; throws a classified GitError on any failure. */
export async function git(ctx: GitContext, args: readonly string[], options: GitRunOptions = {}): Promise<Buffer> {
  const result = await runGitRaw(ctx, args, options);
  if (result.exitCode === 0) return result.stdout;
  throw gitFailure(ctx, result, options.action ?? args[0] ?? 'git');
}

/** Runs git and returns the raw result, failed or not. */
export function runGitRaw(ctx: GitContext, args: readonly string[], options: GitRunOptions = {}): Promise<ProcessResult> {
  return runProcess(ctx.gitBinary, args, {
    env: gitEnvironment(ctx),
    deadline: ctx.deadline,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

export function gitFailure(ctx: Pick<GitContext, 'secrets'>, result: ProcessResult, action: string): GitError {
  if (result.timedOut) return new GitError('Timeout', `git ${action} timed out`);
  if (result.aborted) return new GitError('Aborted', `git ${action} was aborted`);
  if (result.spawnError) {
    return new GitError('GitCommandFailed', `cannot run git: ${scrub(result.spawnError.message, ctx.secrets)}`, { cause: result.spawnError });
  }
  const stderr = scrub(lastLines(result.stderr), ctx.secrets);
  const how = result.signal !== null ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
  return new GitError(classifyGitError(result.stderr), `git ${action} failed (${how}): ${stderr}`);
}

/** The last few meaningful lines of stderr; progress noise and hints dropped. */
function lastLines(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'));
  return lines.slice(-6).join('; ').slice(-2000);
}

const RULES: ReadonlyArray<readonly [RegExp, GitErrorReason]> = [
  [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i, 'HostKeyVerificationFailed'],
  [/SSL certificate problem|server certificate verification failed|unable to get local issuer certificate|self[- ]signed certificate|certificate verify failed/i, 'TlsVerificationFailed'],
  // Before the server's 401/403: curl words a proxy's 407 as "returned error" (plain http) or a failed CONNECT (https).
  [/returned error: 407|CONNECT tunnel failed, response 407|Received HTTP code 407 from proxy|Proxy Authentication Required/i, 'ProxyAuthenticationFailed'],
  [/Authentication failed|could not read (Username|Password)|returned error: (401|403)|Permission denied \(|HTTP Basic: Access denied|Invalid username or password/i, 'AuthenticationFailed'],
  [/repository '.*' not found|returned error: 404|does not appear to be a git repository|Repository not found|No such file or directory.*\.git/i, 'RepositoryNotFound'],
  [/couldn't find remote ref|not our ref|unadvertised object|no such remote ref|did not match any|reference is not a tree|bad object|unable to read tree/i, 'RefNotFound'],
  [/Could not resolve (host|proxy)|Failed to connect|Connection refused|Connection timed out|Network is unreachable|No route to host|Operation timed out|Connection reset|Could not connect|Proxy CONNECT aborted|Empty reply from server|connect to host .* port/i, 'Unreachable'],
  [/transport '.*' not allowed|unsupported protocol|protocol .* is not supported/i, 'InvalidUrl'],
];

/** Maps git's stderr to a reason; unknown text is GitCommandFailed. */
export function classifyGitError(stderr: string): GitErrorReason {
  for (const [pattern, reason] of RULES) if (pattern.test(stderr)) return reason;
  return 'GitCommandFailed';
}
