import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A reconcile's scratch directory, made on first use: git and bucket fetches need one, an OCI
 * layer extracted in memory does not, and an unneeded mkdtemp + recursive rm costs a reconcile
 * more CPU than the in-memory work itself.
 */
export class LazyTempDir {
  readonly #prefix: string;
  #made: Promise<string> | undefined;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The directory, created on the first call; every call gets the same one. */
  get(): Promise<string> {
    this.#made ??= mkdtemp(join(tmpdir(), this.#prefix));
    return this.#made;
  }

  /** Removes the directory if it was made (a failed mkdtemp left nothing to remove). */
  async remove(): Promise<void> {
    const dir = await this.#made?.catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}
