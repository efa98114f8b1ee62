// Writing the selected objects below a directory: every key checked before any I/O, the listed
// total bounded up front and the bytes actually received bounded while streaming (an object may
// grow between listing and download), files created exclusively so nothing is overwritten.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TooLarge } from './errors.ts';
import { indexRevision } from './index-digest.ts';
import { keyToPath } from './key-path.ts';
import type { BucketIndex, BucketObject } from './types.ts';

export interface DownloadOptions {
  /** Bound on the sum of object sizes, listed and received (TooLarge beyond it). */
  maxTotalBytes: number;
  /** Parallel downloads; default 4. */
  concurrency?: number;
}

export interface DownloadResult extends BucketIndex {
  /** Bytes written. */
  bytes: number;
}

/** Opens an object's body, or returns undefined when the object no longer exists. */
export type ObjectFetcher = (key: string) => Promise<{ body: Readable; etag: string | undefined } | undefined>;

export async function downloadObjects(fetch: ObjectFetcher, index: BucketIndex, dest: string, opts: DownloadOptions): Promise<DownloadResult> {
  const targets = index.objects.map((o) => ({ object: o, file: keyToPath(dest, o.key) }));
  const listed = index.objects.reduce((n, o) => n + o.size, 0);
  if (listed > opts.maxTotalBytes) throw new TooLarge(`objects total ${listed} bytes, more than the limit of ${opts.maxTotalBytes}`);
  await mkdir(dest, { recursive: true });

  const budget = { used: 0, max: opts.maxTotalBytes };
  const results = new Map<string, BucketObject>();
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < targets.length) {
      const t = targets[next++];
      if (!t) return;
      try {
        const got = await fetchOne(fetch, t.object, t.file, budget);
        if (got) results.set(got.key, got);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, targets.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;

  const objects = index.objects.flatMap((o) => results.get(o.key) ?? []);
  return { objects, revision: indexRevision(new Map(objects.map((o) => [o.key, o.etag]))), bytes: budget.used };
}

async function fetchOne(fetch: ObjectFetcher, object: BucketObject, file: string, budget: { used: number; max: number }): Promise<BucketObject | undefined> {
  const got = await fetch(object.key);
  if (!got) return undefined;
  await mkdir(path.dirname(file), { recursive: true });
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      budget.used += chunk.length;
      if (budget.used > budget.max) done(new TooLarge(`downloaded objects exceed the limit of ${budget.max} bytes`));
      else done(null, chunk);
    },
  });
  await pipeline(got.body, meter, createWriteStream(file, { flags: 'wx', mode: 0o644 }));
  return { key: object.key, etag: got.etag ?? object.etag, size };
}
