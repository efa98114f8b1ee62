// Decryption keys as Flux reads them from `spec.decryption.secretRef`: `*.agekey` entries hold
// age identities (one per line, comments allowed), `*.asc` entries armored PGP private keys.
// Cloud KMS credential entries (sops.aws-kms, sops.azure-kv, sops.gcp-kms, sops.vault-token) are
// not supported by eddy and are ignored here.
import { extname } from 'node:path';
import { SopsError } from './errors.ts';

export interface SopsKeys {
  age: string[];
  pgp: string[];
}

const AGE_IDENTITY = /^AGE-SECRET-KEY-(?:PQ-)?1[02-9AC-HJ-NP-Z]+$/;

export function parseAgeIdentities(text: string, entry: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // Never echo the line: it may be (part of) a private key.
    if (!AGE_IDENTITY.test(line)) throw new SopsError('InvalidKey', `entry '${entry}' holds a line that is not an age identity`);
    out.push(line);
  }
  return out;
}

export function keysFromSecretData(data: Record<string, Buffer>): SopsKeys {
  const keys: SopsKeys = { age: [], pgp: [] };
  for (const name of Object.keys(data).sort()) {
    const value = data[name];
    if (value === undefined) continue;
    switch (extname(name)) {
      case '.agekey':
        keys.age.push(...parseAgeIdentities(value.toString('utf8'), name));
        break;
      case '.asc':
        if (!value.toString('utf8').includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
          throw new SopsError('InvalidKey', `entry '${name}' does not hold an armored PGP private key`);
        }
        keys.pgp.push(value.toString('utf8'));
        break;
      default:
        break;
    }
  }
  return keys;
}
