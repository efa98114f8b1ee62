// Temp directories under os.tmpdir() that the owner removes on stop.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything below it; safe to call twice. */
  remove(): Promise<void>;
}

export async function makeTempDir(prefix = 'eddy-test-'): Promise<TempDir> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    remove: () => fs.rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
