// Recovers a document's 32-byte data key from the first age stanza or PGP `enc` block that one
// of the given keys opens, trying age before PGP as SOPS's default decryption order does.
// age-encryption and openpgp are imported on first use (~20 MiB of RSS each otherwise).
import type { PrivateKey } from 'openpgp';
import { SopsError } from './errors.ts';
import type { SopsKeys } from './keys.ts';
import type { KeyGroup, SopsMetadata } from './metadata.ts';

async function tryAge(group: KeyGroup, identities: string[]): Promise<Buffer | undefined> {
  if (identities.length === 0) return undefined;
  const { Decrypter, armor } = await import('age-encryption');
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  for (const stanza of group.age) {
    let file: Uint8Array;
    try {
      file = armor.decode(stanza.enc.trim() + '\n');
    } catch {
      continue; // a malformed stanza cannot be ours; another may still match
    }
    try {
      return Buffer.from(await d.decrypt(file));
    } catch {
      continue; // no identity matched this stanza
    }
  }
  return undefined;
}

async function readPgpKeys(armored: string[]): Promise<PrivateKey[]> {
  const openpgp = await import('openpgp');
  const out: PrivateKey[] = [];
  for (const a of armored) {
    try {
      const keys = await openpgp.readPrivateKeys({ armoredKeys: a });
      // Flux imports keys into a keyring without passphrases: a locked key cannot be used.
      out.push(...keys.filter((k) => k.isDecrypted()));
    } catch (err) {
      throw new SopsError('InvalidKey', 'a PGP entry could not be read as a private key', { cause: err instanceof Error ? new Error(err.message) : undefined });
    }
  }
  return out;
}

async function tryPgp(group: KeyGroup, armored: string[]): Promise<Buffer | undefined> {
  if (armored.length === 0 || group.pgp.length === 0) return undefined;
  const decryptionKeys = await readPgpKeys(armored);
  if (decryptionKeys.length === 0) return undefined;
  for (const stanza of group.pgp) {
    try {
      const openpgp = await import('openpgp');
      const message = await openpgp.readMessage({ armoredMessage: stanza.enc });
      const result = (await openpgp.decrypt({ message, decryptionKeys, format: 'binary' })) as unknown as { data: Uint8Array };
      return Buffer.from(result.data);
    } catch {
      continue;
    }
  }
  return undefined;
}

function describe(group: KeyGroup): string {
  const parts = [...group.age.map((a) => `age ${a.recipient}`), ...group.pgp.map((p) => `pgp ${p.fp}`), ...group.kms];
  return parts.join(', ');
}

export async function recoverDataKey(md: SopsMetadata, keys: SopsKeys): Promise<Buffer> {
  if (md.groups.length > 1) {
    throw new SopsError('UnsupportedKeyType', `document uses ${md.groups.length} key groups (Shamir secret sharing), which eddy does not support`);
  }
  const group = md.groups[0] as KeyGroup;
  if (group.age.length === 0 && group.pgp.length === 0) {
    throw new SopsError('UnsupportedKeyType', `document is encrypted only with cloud KMS keys (${group.kms.join(', ')}), which eddy does not support`);
  }
  const key = (await tryAge(group, keys.age)) ?? (await tryPgp(group, keys.pgp));
  if (key === undefined) {
    throw new SopsError('NoMatchingKey', `none of the ${keys.age.length} age and ${keys.pgp.length} PGP keys given opens the data key (document keys: ${describe(group)})`);
  }
  if (key.length !== 32) throw new SopsError('Malformed', 'the recovered data key is not 32 bytes long');
  return key;
}
