// Safe extraction of untrusted .tar.gz artifacts. Every entry is checked before anything touches
// the disk: no absolute or '..' names, nothing written through a symlink or over a directory,
// symlinks only to targets inside dest, no hardlinks, devices or fifos, bounded entry count and
// uncompressed size (counted as the gzip stream inflates, so a bomb stops early), fixed modes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { DIR_MODE, EXEC_MODE, FILE_MODE, isInside, linkStaysInside } from './build.ts';
import { ArtifactError } from './errors.ts';

/** An entry stream as the extractor yields it (tar-stream does not export the type). */
type TarEntry = tar.ExtractEvents['entry'][1];

export interface ExtractLimits {
  /** Uncompressed bytes of the tar stream (headers and padding included). */
  maxUntarBytes: number;
  /** Entries of any type. */
  maxFiles: number;
}

export interface ExtractResult {
  entries: number;
  /** Uncompressed bytes read. */
  bytes: number;
}

/** Where the entries go: a directory on disk, or an in-memory tree (see tree.ts). */
export interface ExtractTarget {
  dir(rel: string, name: string): Promise<void> | void;
  file(rel: string, content: AsyncIterable<Buffer>, size: number, executable: boolean): Promise<void>;
  symlink(rel: string, target: string): Promise<void> | void;
  /** After the last entry: checks what only the whole tree shows (links chained through links). */
  finish(): Promise<void> | void;
  /** After a failure: leaves nothing behind. */
  discard(): Promise<void> | void;
}

/** Extracts into dest, which must be absent or empty; on failure dest is left empty. */
export async function extractTarGz(input: Readable, dest: string, limits: ExtractLimits): Promise<ExtractResult> {
  await fs.mkdir(dest, { recursive: true });
  if ((await fs.readdir(dest)).length > 0) throw new ArtifactError('IllegalPath', 'extraction target is not empty');
  return extractInto(input, new DiskTarget(await fs.realpath(dest)), limits);
}

/** The checks every target shares: names, types, entry count and size, counted as the stream inflates. */
export async function extractInto(input: Readable, target: ExtractTarget, limits: ExtractLimits): Promise<ExtractResult> {
  const counts = { entries: 0, declaredBytes: 0 };
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      bytes += chunk.length;
      if (bytes > limits.maxUntarBytes) {
        done(new ArtifactError('TooLarge', `archive inflates past the limit of ${limits.maxUntarBytes} bytes`));
        return;
      }
      done(null, chunk);
    },
  });
  const extract = tar.extract();
  const feeding = pipeline(input, createGunzip(), counter, extract);
  try {
    // An error from the feeding side surfaces through the iterator as well as through `feeding`.
    feeding.catch(() => undefined);
    for await (const entry of extract) await handleEntry(target, limits, counts, entry);
    await feeding;
    await target.finish();
    return { entries: counts.entries, bytes };
  } catch (err) {
    extract.destroy();
    input.destroy();
    await target.discard();
    throw classify(err);
  }
}

function classify(err: unknown): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ArtifactError('Corrupt', `invalid tar.gz: ${message}`, { cause: err });
}

async function handleEntry(target: ExtractTarget, limits: ExtractLimits, counts: { entries: number; declaredBytes: number }, entry: TarEntry): Promise<void> {
  const h = entry.header;
  counts.entries++;
  if (counts.entries > limits.maxFiles) throw new ArtifactError('TooManyFiles', `archive has more than ${limits.maxFiles} entries`);
  counts.declaredBytes += h.size;
  if (counts.declaredBytes > limits.maxUntarBytes) {
    throw new ArtifactError('TooLarge', `entry '${shortName(h.name)}' takes the archive past ${limits.maxUntarBytes} bytes`);
  }
  const rel = entryPath(h.name);
  if (rel === '') return drain(entry); // the root directory itself
  switch (h.type) {
    case 'directory':
      await target.dir(rel, h.name);
      return drain(entry);
    case 'file':
    case 'contiguous-file': {
      let written = 0;
      const counted = (async function* () {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          written += chunk.length;
          yield chunk;
        }
      })();
      await target.file(rel, counted, h.size ?? 0, ((h.mode ?? 0) & 0o111) !== 0);
      if (written !== h.size) throw new ArtifactError('Corrupt', `entry '${shortName(rel)}' is truncated`);
      return;
    }
    case 'symlink': {
      const linkname = h.linkname ?? '';
      if (!linkStaysInside(rel, linkname)) {
        throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' points outside the destination ('${shortName(linkname)}')`);
      }
      await target.symlink(rel, linkname);
      return drain(entry);
    }
    case 'link':
      throw new ArtifactError('IllegalLink', `hard link '${shortName(h.name)}' is not allowed`);
    default:
      throw new ArtifactError('IllegalPath', `entry '${shortName(h.name)}' has unsupported type ${String(h.type)}`);
  }
}

/** The cleaned relative path of an entry name, or '' for the root; refuses anything that could escape. */
export function entryPath(name: string): string {
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (name === '' || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0')) {
    throw new ArtifactError('IllegalPath', `illegal entry name '${shortName(name)}'`);
  }
  if (trimmed === '' || trimmed === '.') return '';
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '..' || s === '' || s === '.')) {
    throw new ArtifactError('IllegalPath', `illegal entry name '${shortName(name)}'`);
  }
  return trimmed;
}

/** Real directories and files below root; nothing written through a symlink or over a directory. */
class DiskTarget implements ExtractTarget {
  readonly #root: string;
  readonly #knownDirs = new Set<string>(['']);
  readonly #symlinks = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Creates rel and its parents as real directories; an existing symlink or file on the way is an attack. */
  async dir(rel: string, name: string): Promise<void> {
    const segments = rel.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const sub = segments.slice(0, i).join('/');
      if (this.#knownDirs.has(sub)) continue;
      const abs = path.join(this.#root, sub);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (st === undefined) {
        await fs.mkdir(abs, { mode: DIR_MODE });
        await fs.chmod(abs, DIR_MODE);
      } else if (!st.isDirectory()) {
        throw new ArtifactError('IllegalPath', `entry '${shortName(name)}' goes through non-directory '${shortName(sub)}'`);
      }
      this.#knownDirs.add(sub);
    }
  }

  async file(rel: string, content: AsyncIterable<Buffer>, _size: number, executable: boolean): Promise<void> {
    const abs = await this.#prepareLeaf(rel);
    const mode = executable ? EXEC_MODE : FILE_MODE;
    // 'wx' is O_CREAT|O_EXCL: it never follows a symlink planted at the leaf.
    const handle = await fs.open(abs, 'wx', mode);
    try {
      for await (const chunk of content) await handle.write(chunk);
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  }

  async symlink(rel: string, target: string): Promise<void> {
    const abs = await this.#prepareLeaf(rel);
    await fs.symlink(target, abs);
    this.#symlinks.add(rel);
  }

  /** Lexical checks cannot see links chained through other links; resolve each one for real. */
  async finish(): Promise<void> {
    for (const rel of this.#symlinks) {
      try {
        const real = await fs.realpath(path.join(this.#root, rel));
        if (!isInside(this.#root, real)) throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' resolves outside the destination`);
      } catch (err) {
        if (err instanceof ArtifactError) throw err;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // dangling, but inside
        throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' cannot be resolved`, { cause: err });
      }
    }
  }

  async discard(): Promise<void> {
    const items = await fs.readdir(this.#root).catch(() => []);
    await Promise.all(items.map((item) => fs.rm(path.join(this.#root, item), { recursive: true, force: true })));
  }

  /** Makes room for a file or symlink at rel: replaces an earlier file or link, never a directory. */
  async #prepareLeaf(rel: string): Promise<string> {
    const parent = path.posix.dirname(rel);
    if (parent !== '.') await this.dir(parent, rel);
    const abs = path.join(this.#root, rel);
    if (!isInside(this.#root, abs)) throw new ArtifactError('IllegalPath', `entry '${shortName(rel)}' resolves outside the destination`);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (st?.isDirectory() === true) throw new ArtifactError('IllegalPath', `entry '${shortName(rel)}' would replace a directory`);
    if (st !== undefined) {
      await fs.unlink(abs);
      this.#symlinks.delete(rel);
    }
    return abs;
  }
}

async function drain(entry: TarEntry): Promise<void> {
  for await (const chunk of entry as AsyncIterable<Buffer>) void chunk;
}

export function shortName(name: string): string {
  return name.length > 120 ? `${name.slice(0, 117)}...` : name;
}
