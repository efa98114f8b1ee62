// Test helper: PGP-signed git commit and tag objects made with openpgp (no gpg needed). The
// objects are text; write them with `git hash-object -t commit|tag -w --stdin`.
import { createMessage, generateKey, readKey, readPrivateKey, sign } from 'openpgp';
import type { PrivateKey } from 'openpgp';

export interface TestKey {
  privateKey: PrivateKey;
  armoredPublicKey: string;
  /** Primary key ID, upper-case hex, as Flux reports it. */
  keyId: string;
  fingerprint: string;
}

export async function generateTestKey(name: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email: `${name}@eddy.invalid` }], format: 'armored' });
  const key = await readPrivateKey({ armoredKey: privateKey });
  const pub = await readKey({ armoredKey: publicKey });
  return { privateKey: key, armoredPublicKey: publicKey, keyId: pub.getKeyID().toHex().toUpperCase(), fingerprint: pub.getFingerprint().toUpperCase() };
}

export async function detachedSignature(payload: string, key: TestKey): Promise<string> {
  const message = await createMessage({ binary: new TextEncoder().encode(payload) });
  // openpgp's stream-generic return type resolves to any here; it is a string for a Uint8Array message.
  const armored: unknown = await sign({ message, signingKeys: key.privateKey, detached: true, format: 'armored' });
  if (typeof armored !== 'string') throw new Error('openpgp.sign did not return an armored string');
  return armored;
}

const IDENT = 'eddy signer <signer@eddy.invalid> 1700000000 +0000';

export function unsignedCommit(tree: string, parents: readonly string[], message: string): string {
  return [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${IDENT}`, `committer ${IDENT}`, '', message].join('\n');
}

/** `payload` with a gpgsig header carrying `signature` (which may be over another payload). */
export function withSignatureHeader(payload: string, signature: string): string {
  const end = payload.indexOf('\n\n');
  const lines = signature.trimEnd().split('\n');
  const headerBlock = [`gpgsig ${lines[0] ?? ''}`, ...lines.slice(1).map((l) => ` ${l}`)].join('\n');
  return `${payload.slice(0, end)}\n${headerBlock}${payload.slice(end)}`;
}

export async function signedCommit(tree: string, parents: readonly string[], message: string, key: TestKey): Promise<string> {
  const payload = unsignedCommit(tree, parents, message);
  return withSignatureHeader(payload, await detachedSignature(payload, key));
}

export async function signedTag(object: string, name: string, message: string, key: TestKey | undefined): Promise<string> {
  const payload = [`object ${object}`, 'type commit', `tag ${name}`, `tagger ${IDENT}`, '', message].join('\n');
  return key === undefined ? payload : payload + (await detachedSignature(payload, key));
}
