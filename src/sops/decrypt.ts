// Decrypting a whole SOPS document: load it with the store of its format, recover the data key,
// decrypt every value in SOPS's walk order while hashing the cleartext, check the MAC, and
// write the cleartext with the store of the output format (as `sops -d` prints it).
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { decryptValue } from './cipher.ts';
import { recoverDataKey } from './datakey.ts';
import { SopsError } from './errors.ts';
import type { SopsKeys } from './keys.ts';
import { parseMetadata, type SopsMetadata } from './metadata.ts';
import { emitDotenv, loadDotenv } from './store-dotenv.ts';
import { emitIni, loadIni } from './store-ini.ts';
import { emitBinary, emitJson, loadJson } from './store-json.ts';
import { emitYaml, loadYaml } from './store-yaml.ts';
import { Comment, compileRules, shouldBeEncrypted, toBytes, walkBranch, type Branch, type TreeValue } from './tree.ts';

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export interface DecryptOptions {
  /** Check the MAC (default true, as `sops -d`). Flux skips it for built resources. */
  verifyMac?: boolean;
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
  0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/** SOPS's formats.FormatForPath (plus Flux's `.dockerconfigjson` → JSON). */
export function formatFromPath(path: string): SopsFormat {
  if (path.endsWith('.dockerconfigjson')) return 'json';
  switch (extname(path)) {
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.json':
      return 'json';
    case '.env':
      return 'dotenv';
    case '.ini':
      return 'ini';
    default:
      return 'binary';
  }
}

/** A parsed document with a top-level `sops` key that has a non-empty `mac` (Flux's test). */
export function isSopsEncrypted(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const sops = (doc as Record<string, unknown>).sops;
  if (typeof sops !== 'object' || sops === null) return false;
  const mac = (sops as Record<string, unknown>).mac;
  return mac !== undefined && mac !== null && mac !== '';
}

function load(text: string, format: SopsFormat): { branches: Branch[]; metadata: unknown } {
  switch (format) {
    case 'yaml':
      return loadYaml(text);
    case 'json':
    case 'binary':
      return loadJson(text);
    case 'dotenv':
      return loadDotenv(text);
    case 'ini':
      return loadIni(text);
  }
}

function emit(branches: Branch[], format: SopsFormat): Buffer {
  switch (format) {
    case 'yaml':
      return emitYaml(branches);
    case 'json':
      return emitJson(branches);
    case 'binary':
      return emitBinary(branches);
    case 'dotenv':
      return emitDotenv(branches);
    case 'ini':
      return emitIni(branches);
  }
}

/** Decrypts the tree in place and returns the MAC of its cleartext (upper-case hex SHA-512). */
export function decryptTree(branches: Branch[], md: SopsMetadata, key: Buffer, rawStrings: boolean): string {
  const rules = compileRules(md);
  const hash = createHash('sha512');
  if (md.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  for (const branch of branches) {
    walkBranch(branch, [], [], (value, path, comments): TreeValue => {
      const isComment = value instanceof Comment;
      const encrypted = shouldBeEncrypted(rules, path, comments, isComment);
      const ad = path.join(':') + ':';
      let v: TreeValue = value;
      if (encrypted && value instanceof Comment) {
        // SOPS assumes a comment that does not open was never encrypted.
        try {
          v = decryptValue(value.value, key, ad);
        } catch {
          v = value;
        }
      } else if (encrypted) {
        if (typeof value !== 'string') throw new SopsError('Malformed', `value at '${ad}' should be encrypted but is not a string`);
        v = decryptValue(value, key, ad, rawStrings);
      }
      if ((!md.macOnlyEncrypted || encrypted) && !(v instanceof Comment)) hash.update(toBytes(v));
      return v;
    });
  }
  return hash.digest('hex').toUpperCase();
}

function verifyMac(md: SopsMetadata, key: Buffer, computed: string): void {
  let stored: unknown;
  try {
    stored = md.mac === '' ? '' : decryptValue(md.mac, key, md.lastModified);
  } catch (err) {
    throw new SopsError('MacMismatch', 'failed to verify sops data integrity: the stored MAC cannot be decrypted', { cause: err });
  }
  if (stored !== computed) {
    throw new SopsError('MacMismatch', 'failed to verify sops data integrity: the MAC does not match the content (the file was changed after encryption)');
  }
}

/** Decrypts a SOPS document of one format and writes it in another (Flux's SopsDecryptWithFormat). */
export async function decryptWithFormat(
  text: string | Buffer,
  inputFormat: SopsFormat,
  outputFormat: SopsFormat,
  keys: SopsKeys,
  opts: DecryptOptions = {},
): Promise<Buffer> {
  const { branches, metadata } = load(typeof text === 'string' ? text : text.toString('utf8'), inputFormat);
  if (metadata === undefined) throw new SopsError('Malformed', `${inputFormat} document has no sops metadata`);
  const md = parseMetadata(metadata);
  const key = await recoverDataKey(md, keys);
  const mac = decryptTree(branches, md, key, outputFormat === 'binary');
  if (opts.verifyMac ?? true) verifyMac(md, key, mac);
  return emit(branches, outputFormat);
}

export async function decryptDocument(text: string | Buffer, format: SopsFormat, keys: SopsKeys, opts: DecryptOptions = {}): Promise<Buffer> {
  return decryptWithFormat(text, format, format, keys, opts);
}
