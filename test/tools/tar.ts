// A deterministic tar.gz writer (ustar + PAX for long names), so artifacts and chart packages
// have stable digests and can also carry crafted entries (symlinks, odd modes) for tests.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  path: string;
  type?: 'file' | 'dir' | 'symlink';
  content?: string | Buffer;
  /** For symlinks. */
  linkTarget?: string;
  mode?: number;
}

export interface TarOptions {
  /** Seconds since the epoch for every entry; default 0 for reproducible output. */
  mtime?: number;
}

const BLOCK = 512;

const TYPES = {
  file: { flag: '0', mode: 0o644 },
  dir: { flag: '5', mode: 0o755 },
  symlink: { flag: '2', mode: 0o777 },
} as const;

export function createTar(entries: readonly TarEntry[], options: TarOptions = {}): Buffer {
  const blocks = entries.flatMap((entry) => entryBlocks(entry, options.mtime ?? 0));
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

function entryBlocks(entry: TarEntry, mtime: number): Buffer[] {
  const type = entry.type ?? 'file';
  const data = type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
  const name = type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const split = splitName(name);
  const link = entry.linkTarget ?? '';
  const pax: string[] = [];
  if (!split) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''));
    blocks.push(header({ name: 'PaxHeader', size: body.length, typeflag: 'x', mode: 0o644, mtime }), pad(body));
  }
  const fields: HeaderFields = {
    name: split?.name ?? name.slice(0, 100),
    prefix: split?.prefix ?? '',
    size: data.length,
    typeflag: TYPES[type].flag,
    linkname: link.slice(0, 100),
    mode: entry.mode ?? TYPES[type].mode,
    mtime,
  };
  blocks.push(header(fields), pad(data));
  return blocks;
}

export function createTarGz(entries: readonly TarEntry[], options: TarOptions = {}): Buffer {
  return gzipSync(createTar(entries, options));
}

/** Regular files below dir (sorted, no directory entries, like `helm package`), paths prefixed by `prefix/`. */
export async function directoryEntries(dir: string, prefix = ''): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const items = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      const childRel = rel === '' ? item.name : `${rel}/${item.name}`;
      if (item.isDirectory()) await walk(childRel);
      else if (item.isFile()) {
        entries.push({ path: prefix === '' ? childRel : `${prefix}/${childRel}`, content: await fs.readFile(path.join(dir, childRel)) });
      }
    }
  };
  await walk('');
  return entries;
}

interface HeaderFields {
  name: string;
  prefix?: string;
  size: number;
  typeflag: string;
  linkname?: string;
  mode: number;
  mtime: number;
}

function header(fields: HeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 7), 100, 'ascii');
  h.write(octal(0, 7), 108, 'ascii');
  h.write(octal(0, 7), 116, 'ascii');
  h.write(octal(fields.size, 11), 124, 'ascii');
  h.write(octal(fields.mtime, 11), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(fields.typeflag, 156, 'ascii');
  h.write(fields.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(fields.prefix ?? '', 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return h;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width, '0')}\u0000`;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

/** ustar name/prefix split, or undefined when the path needs a PAX header. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}
