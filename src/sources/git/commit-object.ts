// Parsing raw commit and tag objects (`git cat-file commit|tag`): headers, message, and the
// signature split from the exact bytes it signs.

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch and the timezone as git stores them (`+0200`). */
  when: Date;
  timezone: string;
}

export interface ParsedObject {
  headers: Array<[string, string]>;
  message: string;
  /** The armored signature, if any (commit `gpgsig` header or a tag's trailing block). */
  signature?: string;
  /** The bytes the signature covers: the object without it. */
  payload: Buffer;
}

const SIGNATURE_START = /^-----BEGIN (PGP|SSH) SIGNATURE-----$/m;

/**
 * A commit: headers until the first empty line; a header continues on lines starting with a
 * space. The signature is the `gpgsig` header (`gpgsig-sha256` in SHA-256 repositories); the
 * signed payload is the object with that header's lines removed.
 */
export function parseCommitObject(raw: Buffer): ParsedObject {
  const { headerText, message, separator } = splitObject(raw.toString('utf8'));
  const lines = headerText.split('\n');
  const kept: string[] = [];
  const headers: Array<[string, string]> = [];
  let signature: string | undefined;
  let inSignature = false;
  for (const line of lines) {
    if (line.startsWith(' ') && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] += `\n${line.slice(1)}`;
      if (inSignature) signature = last[1];
      else kept.push(line);
      continue;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    headers.push([key, value]);
    inSignature = key === 'gpgsig' || key === 'gpgsig-sha256';
    if (inSignature) signature = value;
    else kept.push(line);
  }
  const payload = Buffer.from(`${kept.join('\n')}${separator}${message}`, 'utf8');
  const parsed: ParsedObject = { headers, message, payload };
  if (signature !== undefined) parsed.signature = `${signature}\n`.replace(/\n+$/, '\n');
  return parsed;
}

/** A tag: the signature is appended to the message; the payload is everything before it. */
export function parseTagObject(raw: Buffer): ParsedObject {
  const text = raw.toString('utf8');
  const { headerText, message: body, separator } = splitObject(text);
  const headers = headerText
    .split('\n')
    .map((line): [string, string] => {
      const space = line.indexOf(' ');
      return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
    });
  const match = SIGNATURE_START.exec(body);
  if (!match) return { headers, message: body, payload: raw };
  const payloadText = `${headerText}${separator}${body.slice(0, match.index)}`;
  return { headers, message: body.slice(0, match.index), signature: body.slice(match.index), payload: Buffer.from(payloadText, 'utf8') };
}

/** Headers, and the message after the first empty line. */
function splitObject(text: string): { headerText: string; message: string; separator: string } {
  const end = text.indexOf('\n\n');
  if (end < 0) return { headerText: text.replace(/\n$/, ''), message: '', separator: '\n' };
  return { headerText: text.slice(0, end), message: text.slice(end + 2), separator: '\n\n' };
}

export function header(obj: ParsedObject, key: string): string | undefined {
  return obj.headers.find(([k]) => k === key)?.[1];
}

/** `Name <email> 1700000000 +0200` */
export function parseIdentity(value: string | undefined): Signature {
  const m = /^(.*?)\s*<([^>]*)>\s*(\d+)\s*([+-]\d{4})?$/.exec(value ?? '');
  if (!m) return { name: value ?? '', email: '', when: new Date(0), timezone: '+0000' };
  return { name: m[1] ?? '', email: m[2] ?? '', when: new Date(Number(m[3]) * 1000), timezone: m[4] ?? '+0000' };
}
