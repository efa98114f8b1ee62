// Deterministic .tar.gz artifacts: the same tree gives the same bytes and digest on every build,
// whatever the checkout's mtimes, owners or umask. As Flux's storage does, headers carry no
// owner, uid/gid 0 and a zero mtime (Go's zero time is written as the Unix epoch) and modes are
// normalised. Unlike Flux (which drops every symlink), symlinks that resolve inside the root are
// kept. Entries come in walk order: each directory's children sorted byte-wise, depth first.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { formatDigest, newHash } from './digest.ts';
import { ArtifactError } from './errors.ts';
import { compareNames, type IgnoreFilter } from './ignore.ts';

export const FILE_MODE = 0o644;
export const EXEC_MODE = 0o755;
export const DIR_MODE = 0o755;
export const SYMLINK_MODE = 0o777;
/** Part of the output's identity: changing it changes every digest. */
export const GZIP_LEVEL = 6;
const EPOCH = new Date(0);

export interface BuildEntry {
  /** '/'-separated path relative to the archive root, no '..' segments. */
  path: string;
  type?: 'file' | 'dir' | 'symlink';
  content?: Buffer | string;
  /** Read the file's content from here instead of `content`. */
  sourceFile?: string;
  executable?: boolean;
  linkTarget?: string;
}

export type BuildSource = { dir: string } | { entries: readonly BuildEntry[] };

export interface BuildOptions {
  /** Returns true for entries to leave out (see sourceIgnoreFilter); excluded directories are not entered. */
  filter?: IgnoreFilter | undefined;
}

export interface BuildResult {
  /** The file written. */
  path: string;
  /** `sha256:<hex>` of the compressed bytes. */
  digest: string;
  size: number;
  /** Entries written (directories, files and symlinks). */
  entries: number;
}

/** Writes the archive to outFile (created or truncated; callers make it atomic). */
export async function buildTarGz(source: BuildSource, outFile: string, options: BuildOptions = {}): Promise<BuildResult> {
  const entries = 'dir' in source ? await collectEntries(source.dir, options.filter) : normaliseEntries(source.entries, options.filter);
  const pack = tar.pack();
  const hash = newHash();
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      // zlib writes the OS it was built for into the gzip header; 255 ("unknown", as Go writes)
      // keeps digests equal across platforms.
      if (size === 0 && chunk.length > 9) chunk[9] = 0xff;
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const produce = writeEntries(pack, entries).catch((err: unknown) => {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  await Promise.all([pipeline(pack, createGzip({ level: GZIP_LEVEL }), tap, createWriteStream(outFile)), produce]);
  return { path: outFile, digest: formatDigest(hash), size, entries: entries.length };
}

async function writeEntries(pack: tar.Pack, entries: readonly BuildEntry[]): Promise<void> {
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (type === 'dir') await addEntry(pack, { name: `${entry.path}/`, type: 'directory', mode: DIR_MODE });
    else if (type === 'symlink') {
      await addEntry(pack, { name: entry.path, type: 'symlink', mode: SYMLINK_MODE, linkname: entry.linkTarget ?? '' });
    } else await addFile(pack, entry);
  }
  pack.finalize();
}

type HeaderFields = Partial<tar.Header> & { name: string };

function header(fields: HeaderFields): HeaderFields {
  return { uid: 0, gid: 0, uname: '', gname: '', mtime: EPOCH, size: 0, ...fields };
}

async function addEntry(pack: tar.Pack, fields: HeaderFields, data?: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    pack.entry(header(fields), data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

async function addFile(pack: tar.Pack, entry: BuildEntry): Promise<void> {
  const mode = entry.executable === true ? EXEC_MODE : FILE_MODE;
  if (entry.sourceFile === undefined) {
    // A Buffer is written as is: copying every file of an in-memory tree would double its cost.
    const data = Buffer.isBuffer(entry.content) ? entry.content : Buffer.from(entry.content ?? '');
    await addEntry(pack, { name: entry.path, type: 'file', mode }, data);
    return;
  }
  const { size } = await fs.stat(entry.sourceFile);
  let sink!: ReturnType<tar.Pack['entry']>;
  const written = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header({ name: entry.path, type: 'file', mode, size }), (err) => (err ? reject(err) : resolve()));
  });
  try {
    for await (const chunk of createReadStream(entry.sourceFile) as AsyncIterable<Buffer>) {
      if (!sink.write(chunk)) await once(sink, 'drain');
    }
  } catch (err) {
    sink.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  sink.end(null);
  await written;
}

/** Walks dir without following symlinks; applies the filter; keeps symlinks that resolve inside dir. */
export async function collectEntries(dir: string, filter?: IgnoreFilter): Promise<BuildEntry[]> {
  const root = await fs.realpath(dir);
  const entries: BuildEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(root, rel))).sort(compareNames);
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const abs = path.join(root, childRel);
      const st = await fs.lstat(abs);
      if (filter?.(childRel, st.isDirectory()) === true) continue;
      if (st.isDirectory()) {
        entries.push({ path: childRel, type: 'dir' });
        await walk(childRel);
      } else if (st.isFile()) {
        entries.push({ path: childRel, type: 'file', sourceFile: abs, executable: (st.mode & 0o111) !== 0 });
      } else if (st.isSymbolicLink()) {
        const target = await fs.readlink(abs);
        if (linkStaysInside(childRel, target) && (await resolvesInside(root, abs))) {
          entries.push({ path: childRel, type: 'symlink', linkTarget: target });
        }
      }
      // Sockets, fifos and devices never belong in an artifact.
    }
  };
  await walk('');
  return entries;
}

async function resolvesInside(root: string, abs: string): Promise<boolean> {
  try {
    return isInside(root, await fs.realpath(abs));
  } catch {
    return false; // dangling or looping
  }
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** True when a link at relPath with this target points, lexically, at or below the root. */
export function linkStaysInside(relPath: string, target: string): boolean {
  if (target === '' || target.includes('\0') || target.includes('\\') || path.posix.isAbsolute(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/** Checks, de-duplicates and orders given entries, adding missing parent directories. */
function normaliseEntries(input: readonly BuildEntry[], filter?: IgnoreFilter): BuildEntry[] {
  const byPath = new Map<string, BuildEntry>();
  for (const raw of input) addWithParents(byPath, { ...raw, path: cleanPath(raw.path) });
  const excluded: string[] = [];
  const out: BuildEntry[] = [];
  for (const entry of [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path))) {
    const type = entry.type ?? 'file';
    if (excluded.some((dir) => entry.path.startsWith(`${dir}/`))) continue;
    if (filter?.(entry.path, type === 'dir') === true) {
      if (type === 'dir') excluded.push(entry.path);
      continue;
    }
    if (type === 'symlink' && !linkStaysInside(entry.path, entry.linkTarget ?? '')) continue;
    out.push(entry);
  }
  return out;
}

function addWithParents(byPath: Map<string, BuildEntry>, entry: BuildEntry): void {
  const segments = entry.path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('/');
    const existing = byPath.get(parent);
    if (existing === undefined) byPath.set(parent, { path: parent, type: 'dir' });
    else if ((existing.type ?? 'file') !== 'dir') {
      throw new ArtifactError('IllegalPath', `entry '${entry.path}' is below non-directory '${parent}'`);
    }
  }
  if (byPath.has(entry.path) && (entry.type ?? 'file') !== 'dir') throw new ArtifactError('IllegalPath', `duplicate entry '${entry.path}'`);
  byPath.set(entry.path, entry);
}

function cleanPath(raw: string): string {
  const trimmed = raw.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (trimmed === '' || raw.startsWith('/') || raw.includes('\\') || raw.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ArtifactError('IllegalPath', `illegal entry path '${raw.slice(0, 200)}'`);
  }
  return trimmed;
}

/** Depth-first order: compare segment by segment, so 'a/b' comes before 'a-b' as a walk does. */
export function comparePaths(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareNames(as[i] ?? '', bs[i] ?? '');
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}
