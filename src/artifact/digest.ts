// Artifact digests in the OCI form `<algorithm>:<hex>`, as Flux writes them in status.artifact.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ArtifactError } from './errors.ts';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha384' | 'sha512';
  hex: string;
}

/** Parses `sha256:<hex>` (a bare hex string is taken as sha256, as Flux's fetcher does). */
export function parseDigest(digest: string): ParsedDigest {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['sha256', digest];
  const length = algorithm === undefined ? undefined : HEX_LENGTH[algorithm];
  if (length === undefined || hex === undefined || hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    throw new ArtifactError('DigestMismatch', `unsupported or malformed digest '${digest.slice(0, 140)}'`);
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export function newHash(algorithm: ParsedDigest['algorithm'] = 'sha256'): Hash {
  return createHash(algorithm);
}

export function formatDigest(hash: Hash, algorithm: ParsedDigest['algorithm'] = 'sha256'): string {
  return `${algorithm}:${hash.digest('hex')}`;
}

/** Digest and size of a file, streamed. */
export async function digestFile(file: string, algorithm: ParsedDigest['algorithm'] = 'sha256'): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: formatDigest(hash, algorithm), size };
}
