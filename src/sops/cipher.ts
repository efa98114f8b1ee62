// SOPS's value cipher: AES-256-GCM with the nonce length found in the value (SOPS writes 32
// bytes) and the value's path as additional data.
import { createDecipheriv } from 'node:crypto';
import { SopsError } from './errors.ts';
import { Comment, type Scalar } from './tree.ts';

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export function isEncryptedValue(s: string): boolean {
  return ENC_RE.test(s);
}

/** Opens one `ENC[...]`; errors say where, never what. */
export function openValue(enc: string, key: Buffer, additionalData: string): { type: string; plain: Buffer } {
  const m = ENC_RE.exec(enc);
  if (!m) throw new SopsError('Malformed', `value at '${additionalData}' is not in SOPS' encrypted format`);
  const [, data = '', iv = '', tag = '', type = ''] = m;
  const ivBuf = Buffer.from(iv, 'base64');
  const tagBuf = Buffer.from(tag, 'base64');
  if (ivBuf.length === 0 || tagBuf.length !== 16) {
    throw new SopsError('Malformed', `value at '${additionalData}' has an invalid iv or tag`);
  }
  try {
    const d = createDecipheriv('aes-256-gcm', key, ivBuf);
    d.setAAD(Buffer.from(additionalData, 'utf8'));
    d.setAuthTag(tagBuf);
    return { type, plain: Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]) };
  } catch (err) {
    throw new SopsError('DecryptionFailed', `could not decrypt value at '${additionalData}' with the data key (wrong key or tampered value)`, {
      cause: err instanceof Error ? new Error(err.message) : undefined,
    });
  }
}

const GO_BOOL: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/**
 * Decrypts a value to its typed cleartext as SOPS does; an empty string stays empty (SOPS never
 * encrypts one). `raw` keeps strings as bytes (the binary store's data need not be UTF-8).
 */
export function decryptValue(enc: string, key: Buffer, additionalData: string, raw = false): Scalar | Comment {
  if (enc === '') return '';
  const { type, plain } = openValue(enc, key, additionalData);
  return typed(type, plain, additionalData, raw);
}

function typed(type: string, plain: Buffer, additionalData: string, raw: boolean): Scalar | Comment {
  const text = () => plain.toString('utf8');
  const bad = () => new SopsError('Malformed', `decrypted value at '${additionalData}' is not a valid ${type}`);
  switch (type) {
    case 'str':
      return raw ? plain : text();
    case 'int': {
      if (!/^[+-]?\d+$/.test(text())) throw bad();
      return Number(text());
    }
    case 'float': {
      const n = Number(text());
      if (text().trim() === '' || Number.isNaN(n) && !/nan/i.test(text())) throw bad();
      return n;
    }
    case 'bool': {
      const b = GO_BOOL[text()];
      if (b === undefined) throw bad();
      return b;
    }
    case 'bytes':
      return plain;
    case 'time':
      // Kept as its RFC 3339 text: the same bytes for the MAC, the same scalar when emitted.
      return text();
    case 'comment':
      return new Comment(text());
    default:
      throw new SopsError('Malformed', `value at '${additionalData}' has unknown type '${type}'`);
  }
}
