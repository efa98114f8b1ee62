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

interface Context {
  dest: string;
  limits: ExtractLimits;
  entries: number;
  declaredBytes: number;
  knownDirs: Set<string>;
  symlinks: Set<string>;
}

/** Extracts into dest, which must be absent or empty; on failure dest is left empty. */
export async function extractTarGz(input: Readable, dest: string, limits: ExtractLimits): Promise<ExtractResult> {
  await fs.mkdir(dest, { recursive: true });
  if ((await fs.readdir(dest)).length > 0) throw new ArtifactError('IllegalPath', 'extraction target is not empty');
  const root = await fs.realpath(dest);
  const ctx: Context = { dest: root, limits, entries: 0, declaredBytes: 0, knownDirs: new Set(['']), symlinks: new Set() };
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
    for await (const entry of extract) await handleEntry(ctx, entry);
    await feeding;
    await checkSymlinks(ctx);
    return { entries: ctx.entries, bytes };
  } catch (err) {
    extract.destroy();
    input.destroy();
    await emptyDir(root);
    throw classify(err);
  }
}

function classify(err: unknown): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ArtifactError('Corrupt', `invalid tar.gz: ${message}`, { cause: err });
}

async function handleEntry(ctx: Context, entry: TarEntry): Promise<void> {
  const h = entry.header;
  ctx.entries++;
  if (ctx.entries > ctx.limits.maxFiles) throw new ArtifactError('TooManyFiles', `archive has more than ${ctx.limits.maxFiles} entries`);
  ctx.declaredBytes += h.size;
  if (ctx.declaredBytes > ctx.limits.maxUntarBytes) {
    throw new ArtifactError('TooLarge', `entry '${shortName(h.name)}' takes the archive past ${ctx.limits.maxUntarBytes} bytes`);
  }
  const rel = entryPath(h.name);
  if (rel === '') return drain(entry); // the root directory itself
  switch (h.type) {
    case 'directory':
      await ensureDirs(ctx, rel, h.name);
      return drain(entry);
    case 'file':
    case 'contiguous-file':
      return writeFile(ctx, rel, entry);
    case 'symlink':
      await writeSymlink(ctx, rel, h.linkname ?? '');
      return drain(entry);
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

/** Creates rel and its parents as real directories; an existing symlink or file on the way is an attack. */
async function ensureDirs(ctx: Context, rel: string, name: string): Promise<void> {
  const segments = rel.split('/');
  for (let i = 1; i <= segments.length; i++) {
    const sub = segments.slice(0, i).join('/');
    if (ctx.knownDirs.has(sub)) continue;
    const abs = path.join(ctx.dest, sub);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (st === undefined) {
      await fs.mkdir(abs, { mode: DIR_MODE });
      await fs.chmod(abs, DIR_MODE);
    } else if (!st.isDirectory()) {
      throw new ArtifactError('IllegalPath', `entry '${shortName(name)}' goes through non-directory '${shortName(sub)}'`);
    }
    ctx.knownDirs.add(sub);
  }
}

/** Makes room for a file or symlink at rel: replaces an earlier file or link, never a directory. */
async function prepareLeaf(ctx: Context, rel: string): Promise<string> {
  const parent = path.posix.dirname(rel);
  if (parent !== '.') await ensureDirs(ctx, parent, rel);
  const abs = path.join(ctx.dest, rel);
  if (!isInside(ctx.dest, abs)) throw new ArtifactError('IllegalPath', `entry '${shortName(rel)}' resolves outside the destination`);
  const st = await fs.lstat(abs).catch(() => undefined);
  if (st?.isDirectory() === true) throw new ArtifactError('IllegalPath', `entry '${shortName(rel)}' would replace a directory`);
  if (st !== undefined) {
    await fs.unlink(abs);
    ctx.symlinks.delete(rel);
  }
  return abs;
}

async function writeFile(ctx: Context, rel: string, entry: TarEntry): Promise<void> {
  const abs = await prepareLeaf(ctx, rel);
  const mode = (entry.header.mode & 0o111) !== 0 ? EXEC_MODE : FILE_MODE;
  // 'wx' is O_CREAT|O_EXCL: it never follows a symlink planted at the leaf.
  const handle = await fs.open(abs, 'wx', mode);
  let written = 0;
  try {
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      written += chunk.length;
      await handle.write(chunk);
    }
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
  if (written !== entry.header.size) throw new ArtifactError('Corrupt', `entry '${shortName(rel)}' is truncated`);
}

async function writeSymlink(ctx: Context, rel: string, target: string): Promise<void> {
  if (!linkStaysInside(rel, target)) {
    throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' points outside the destination ('${shortName(target)}')`);
  }
  const abs = await prepareLeaf(ctx, rel);
  await fs.symlink(target, abs);
  ctx.symlinks.add(rel);
}

/** Lexical checks cannot see links chained through other links; resolve each one for real. */
async function checkSymlinks(ctx: Context): Promise<void> {
  for (const rel of ctx.symlinks) {
    try {
      const real = await fs.realpath(path.join(ctx.dest, rel));
      if (!isInside(ctx.dest, real)) throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' resolves outside the destination`);
    } catch (err) {
      if (err instanceof ArtifactError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // dangling, but inside
      throw new ArtifactError('IllegalLink', `symlink '${shortName(rel)}' cannot be resolved`, { cause: err });
    }
  }
}

async function drain(entry: TarEntry): Promise<void> {
  for await (const chunk of entry as AsyncIterable<Buffer>) void chunk;
}

async function emptyDir(dir: string): Promise<void> {
  const items = await fs.readdir(dir).catch(() => []);
  await Promise.all(items.map((item) => fs.rm(path.join(dir, item), { recursive: true, force: true })));
}

function shortName(name: string): string {
  return name.length > 120 ? `${name.slice(0, 117)}...` : name;
}
