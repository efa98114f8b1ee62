// The few git commands the local default runs on its own example repository.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'protocol.ext.allow=never', ...args], { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  return stdout;
}
