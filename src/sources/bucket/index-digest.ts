// The Bucket revision, computed exactly as Flux's source-controller does
// (internal/index/digest.go): the index maps object key -> ETag (quotes trimmed, as
// minio-go's listing returns them); keys are sorted bytewise (Go's sort.Strings) and
// each pair is hashed as the line "<key> <etag>\n"; the revision is "sha256:<hex>".
import { createHash } from 'node:crypto';

/** Object key -> ETag without surrounding quotes. */
export type ObjectIndex = ReadonlyMap<string, string>;

/** Bytewise order of the UTF-8 encodings, which is Unicode code point order (Go's string order). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortedKeys(index: ObjectIndex): string[] {
  return [...index.keys()].sort(compareKeys);
}

/** The index as Flux writes it: one "<key> <etag>\n" line per object in key order. */
export function formatIndex(index: ObjectIndex): string {
  return sortedKeys(index).map((k) => `${k} ${index.get(k) ?? ''}\n`).join('');
}

export function indexRevision(index: ObjectIndex): string {
  const hash = createHash('sha256');
  for (const k of sortedKeys(index)) hash.update(`${k} ${index.get(k) ?? ''}\n`, 'utf8');
  return `sha256:${hash.digest('hex')}`;
}

/** ETags arrive quoted from HTTP headers and some listings; the index holds them bare. */
export function trimEtag(etag: string): string {
  return etag.replace(/^(?:"|&quot;|&#34;)/, '').replace(/(?:"|&quot;|&#34;)$/, '');
}
