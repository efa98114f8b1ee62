// Removes credentials from text that may reach a user: git's stderr, error messages, URLs.
// Known secret values are replaced wherever they appear (also base64-encoded, as in a Basic
// header); generic shapes (URL userinfo, Authorization headers) are replaced even when the
// value is not known, e.g. credentials a user typed into the URL.

const MASK = '***';

/** Values worth masking: long enough that replacing them cannot garble ordinary text. */
function maskable(values: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v === undefined || v.length < 4) continue;
    out.add(v);
    out.add(encodeURIComponent(v));
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  for (const secret of maskable(secrets)) out = out.split(secret).join(MASK);
  // scheme://user:password@host or scheme://token@host
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, `$1${MASK}@`);
  // Authorization / Proxy-Authorization headers, any scheme.
  out = out.replace(/((?:proxy-)?authorization:\s*)(?:(basic|bearer|token|negotiate|digest)\s+)?\S+/gi, (_m, head: string, scheme?: string) =>
    `${head}${scheme ? `${scheme} ` : ''}${MASK}`,
  );
  return out;
}

/** The base64 of `user:password`, as a Basic Authorization header carries it. */
export function basicToken(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}
