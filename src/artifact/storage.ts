// Artifact storage of the source controller: `<kind>/<namespace>/<name>/<file>` below one root,
// files written atomically (temp file + rename), named by their digest, and garbage-collected
// with Flux's retention rules (--artifact-retention-records, --artifact-retention-ttl).
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildTarGz, isInside, type BuildOptions, type BuildSource } from './build.ts';
import { digestFile, formatDigest, newHash, parseDigest } from './digest.ts';
import { ArtifactError } from './errors.ts';

/** `status.artifact` of a source object (source.toolkit.fluxcd.io/v1 Artifact). */
export interface Artifact {
  url: string;
  path: string;
  revision: string;
  digest: string;
  size: number;
  /** RFC 3339, second precision, as metav1.Time serialises. */
  lastUpdateTime: string;
  metadata?: Record<string, string>;
}

export interface StoredFile {
  /** Relative to the storage root: the artifact's `path`. */
  path: string;
  digest: string;
  size: number;
}

export interface ArtifactStorageOptions {
  root: string;
  /** Base of artifact URLs; a bare host[:port] gets `http://`, as Flux's --storage-adv-addr does. */
  advertisedBaseUrl: string;
  /** Most artifacts kept per object after a collection, the current one included (Flux default 2). */
  retentionRecords?: number;
  /** Older artifacts than this are collected whatever the count (Flux default 1m). */
  retentionTtlMs?: number;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
}

export interface StoreOptions {
  /** Fixed file name (e.g. `podinfo-6.5.3.tgz`); default `<digest hex>.<extension>`. */
  fileName?: string | undefined;
  /** Extension for digest-named files; default `tar.gz`. */
  extension?: string | undefined;
}

const KIND = /^[a-z][a-z0-9]{0,62}$/;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;
const TEMP_PREFIX = '.tmp-';

export class ArtifactStorage {
  readonly root: string;
  readonly baseUrl: string;
  readonly retentionRecords: number;
  readonly retentionTtlMs: number;
  readonly #now: () => number;
  readonly #locks = new Map<string, Promise<void>>();

  constructor(options: ArtifactStorageOptions) {
    this.root = path.resolve(options.root);
    const base = options.advertisedBaseUrl.replace(/\/+$/, '');
    this.baseUrl = /^https?:\/\//.test(base) ? base : `http://${base}`;
    this.retentionRecords = options.retentionRecords ?? 2;
    this.retentionTtlMs = options.retentionTtlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** `<kind>/<namespace>/<name>` (kind lower-cased), after checking each part cannot escape the root. */
  objectDir(kind: string, namespace: string, name: string): string {
    const k = kind.toLowerCase();
    if (!KIND.test(k)) throw new ArtifactError('IllegalPath', `invalid kind '${kind.slice(0, 100)}'`);
    if (!LABEL.test(namespace)) throw new ArtifactError('IllegalPath', `invalid namespace '${namespace.slice(0, 100)}'`);
    if (name.length > 253 || !SUBDOMAIN.test(name)) throw new ArtifactError('IllegalPath', `invalid name '${name.slice(0, 300)}'`);
    return `${k}/${namespace}/${name}`;
  }

  /**
   * The file behind one of this storage's artifact URLs (`<baseUrl>/<kind>/<ns>/<name>/<file>`),
   * for a consumer in the same process; undefined for any other URL.
   */
  fileForUrl(url: string): string | undefined {
    if (!url.startsWith(`${this.baseUrl}/`)) return undefined;
    try {
      return this.localPath(url.slice(this.baseUrl.length + 1));
    } catch {
      return undefined;
    }
  }

  /** Absolute path of an artifact (or of its relative `path`), refused if it is not `<kind>/<ns>/<name>/<file>`. */
  localPath(artifact: Pick<Artifact, 'path'> | string): string {
    const rel = typeof artifact === 'string' ? artifact : artifact.path;
    const parts = rel.split('/');
    const [kind, namespace, name, file] = parts;
    if (parts.length !== 4 || kind === undefined || namespace === undefined || name === undefined || file === undefined) {
      throw new ArtifactError('IllegalPath', `invalid artifact path '${rel.slice(0, 300)}'`);
    }
    const dir = this.objectDir(kind, namespace, name);
    if (kind !== kind.toLowerCase() || !FILE_NAME.test(file)) throw new ArtifactError('IllegalPath', `invalid artifact path '${rel.slice(0, 300)}'`);
    const abs = path.join(this.root, dir, file);
    if (!isInside(this.root, abs)) throw new ArtifactError('IllegalPath', `artifact path '${rel.slice(0, 300)}' escapes the storage root`);
    return abs;
  }

  /** Builds a deterministic tar.gz of source into the object's directory, named by its digest. */
  async archive(kind: string, namespace: string, name: string, source: BuildSource, options: BuildOptions & StoreOptions = {}): Promise<StoredFile> {
    return this.withLock(kind, namespace, name, () =>
      this.#writeAtomically(kind, namespace, name, options, async (tmp) => {
        const built = await buildTarGz(source, tmp, options);
        return { digest: built.digest, size: built.size };
      }),
    );
  }

  /** Stores bytes (a chart package, an index, a copied artifact) atomically. */
  async store(kind: string, namespace: string, name: string, data: Buffer | Readable, options: StoreOptions = {}): Promise<StoredFile> {
    return this.withLock(kind, namespace, name, () =>
      this.#writeAtomically(kind, namespace, name, options, async (tmp) => {
        const hash = newHash();
        let size = 0;
        const tap = new Transform({
          transform(chunk: Buffer, _enc, done: TransformCallback) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        });
        const input = Buffer.isBuffer(data) ? Readable.from([data]) : data;
        await pipeline(input, tap, createWriteStream(tmp, { mode: 0o644 }));
        return { digest: formatDigest(hash), size };
      }),
    );
  }

  async #writeAtomically(
    kind: string,
    namespace: string,
    name: string,
    options: StoreOptions,
    write: (tmp: string) => Promise<{ digest: string; size: number }>,
  ): Promise<StoredFile> {
    const dir = this.objectDir(kind, namespace, name);
    const absDir = path.join(this.root, dir);
    const extension = options.extension ?? 'tar.gz';
    if (!FILE_NAME.test(`x.${extension}`)) throw new ArtifactError('IllegalPath', `invalid extension '${extension.slice(0, 100)}'`);
    if (options.fileName !== undefined && !FILE_NAME.test(options.fileName)) {
      throw new ArtifactError('IllegalPath', `invalid file name '${options.fileName.slice(0, 300)}'`);
    }
    await fs.mkdir(absDir, { recursive: true });
    const tmp = path.join(absDir, `${TEMP_PREFIX}${randomUUID()}`);
    try {
      const { digest, size } = await write(tmp);
      const hex = parseDigest(digest).hex;
      const file = options.fileName ?? `${hex}.${extension}`;
      // The server sends a digest-shaped file name as the ETag, so such a name must be the digest.
      const named = /^([0-9a-f]{64})\./.exec(file);
      if (named && named[1] !== hex) throw new ArtifactError('IllegalPath', `file name '${file}' looks like a digest but is not this file's`);
      await fs.chmod(tmp, 0o644);
      // The file's mtime is its age for garbage collection, on the storage's clock.
      const now = new Date(this.#now());
      await fs.utimes(tmp, now, now);
      await fs.rename(tmp, path.join(absDir, file));
      return { path: `${dir}/${file}`, digest, size };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /** The `status.artifact` for a stored file: url = advertised base + '/' + path. */
  artifactFor(
    kind: string,
    namespace: string,
    name: string,
    revision: string,
    digest: string,
    size: number,
    metadata?: Record<string, string>,
    options: StoreOptions = {},
  ): Artifact {
    const file = options.fileName ?? `${parseDigest(digest).hex}.${options.extension ?? 'tar.gz'}`;
    const rel = `${this.objectDir(kind, namespace, name)}/${file}`;
    this.localPath(rel);
    const artifact: Artifact = {
      url: `${this.baseUrl}/${rel}`,
      path: rel,
      revision,
      digest,
      size,
      lastUpdateTime: new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    if (metadata !== undefined && Object.keys(metadata).length > 0) artifact.metadata = { ...metadata };
    return artifact;
  }

  /**
   * Points `<kind>/<ns>/<name>/<linkName>` at the artifact's file (replaced atomically) and
   * returns its URL: Flux's `status.url` of OCIRepository and Bucket, a stable download link of
   * the latest artifact. Symlinks are not artifacts, so garbage collection never counts them.
   */
  async symlink(artifact: Pick<Artifact, 'path'>, linkName: string): Promise<string> {
    const target = this.localPath(artifact);
    const [kind, namespace, name, file] = artifact.path.split('/') as [string, string, string, string];
    if (!FILE_NAME.test(linkName)) throw new ArtifactError('IllegalPath', `invalid link name '${linkName.slice(0, 100)}'`);
    const rel = `${this.objectDir(kind, namespace, name)}/${linkName}`;
    return this.withLock(kind, namespace, name, async () => {
      const dir = path.dirname(target);
      const tmp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
      // Relative, so the storage root can move (a volume mounted elsewhere) without breaking it.
      await fs.symlink(file, tmp);
      try {
        await fs.rename(tmp, path.join(dir, linkName));
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw err;
      }
      return `${this.baseUrl}/${rel}`;
    });
  }

  /** True when the artifact's file exists as a regular file (a symlink does not count, as in Flux). */
  async exists(artifact: Pick<Artifact, 'path'>): Promise<boolean> {
    try {
      return (await fs.lstat(this.localPath(artifact))).isFile();
    } catch (err) {
      if (err instanceof ArtifactError) throw err;
      return false;
    }
  }

  /** True when the stored file exists and still has the artifact's digest and size. */
  async verify(artifact: Pick<Artifact, 'path' | 'digest' | 'size'>): Promise<boolean> {
    if (!(await this.exists(artifact))) return false;
    const { algorithm } = parseDigest(artifact.digest);
    const actual = await digestFile(this.localPath(artifact), algorithm);
    return actual.digest === artifact.digest && actual.size === artifact.size;
  }

  /**
   * Flux's retention: files older than the TTL go, and of the rest only the newest
   * `retentionRecords` (the current one counted) stay. The current artifact is never removed.
   * Returns the relative paths removed.
   */
  async garbageCollect(current: Pick<Artifact, 'path'>): Promise<string[]> {
    const abs = this.localPath(current);
    const [kind, namespace, name] = current.path.split('/') as [string, string, string];
    return this.withLock(kind, namespace, name, async () => {
      const dir = path.dirname(abs);
      const currentFile = path.basename(abs);
      const now = this.#now();
      const files = await listFiles(dir);
      const expired = (mtimeMs: number) => now - mtimeMs > this.retentionTtlMs;
      const garbage = files.filter((f) => f.name !== currentFile && expired(f.mtimeMs));
      const live = files
        .filter((f) => !f.temp && f.name !== currentFile && !expired(f.mtimeMs))
        .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? -1 : 1));
      const hasCurrent = files.some((f) => f.name === currentFile);
      const keep = Math.max(0, this.retentionRecords - (hasCurrent ? 1 : 0));
      garbage.push(...live.slice(keep));
      const removed: string[] = [];
      for (const f of garbage) {
        await fs.rm(path.join(dir, f.name), { force: true });
        removed.push(`${kind.toLowerCase()}/${namespace}/${name}/${f.name}`);
      }
      return removed.sort();
    });
  }

  /** Removes every artifact of an object (finalizer). Returns whether there was anything. */
  async deleteAll(kind: string, namespace: string, name: string): Promise<boolean> {
    const dir = path.join(this.root, this.objectDir(kind, namespace, name));
    return this.withLock(kind, namespace, name, async () => {
      const existed = await fs.lstat(dir).then(() => true, () => false);
      await fs.rm(dir, { recursive: true, force: true });
      return existed;
    });
  }

  /**
   * Runs fn while holding the object's lock; calls for one object run one at a time. Not
   * re-entrant: archive, store, garbageCollect and deleteAll take the lock themselves.
   */
  async withLock<T>(kind: string, namespace: string, name: string, fn: () => Promise<T>): Promise<T> {
    const key = this.objectDir(kind, namespace, name);
    const previous = this.#locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    }
  }
}

interface FileInfo {
  name: string;
  mtimeMs: number;
  temp: boolean;
}

async function listFiles(dir: string): Promise<FileInfo[]> {
  let items;
  try {
    items = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: FileInfo[] = [];
  for (const item of items) {
    if (!item.isFile()) continue; // directories and symlinks are not artifacts
    const st = await fs.lstat(path.join(dir, item.name)).catch(() => undefined);
    if (st === undefined) continue;
    out.push({ name: item.name, mtimeMs: st.mtimeMs, temp: item.name.startsWith(TEMP_PREFIX) });
  }
  return out;
}
