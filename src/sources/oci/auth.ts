// Registry credentials from a docker config JSON (the `.dockerconfigjson` key of a
// `kubernetes.io/dockerconfigjson` Secret, or a legacy `.dockercfg` without the `auths` wrapper),
// picked for a registry host the way Docker and the kubelet keyring do; and parsing of the
// registry's WWW-Authenticate challenge.
import { OciError } from './errors.ts';
import { DOCKER_HUB_HOST } from './reference.ts';

export type RegistryCredentials =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  | { kind: 'identityToken'; token: string; username?: string }
  /** A bearer token sent as is (`registrytoken`). */
  | { kind: 'registryToken'; token: string };

interface ConfigEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

// Keys Docker has used for Docker Hub over the years.
const HUB_KEYS = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * Credentials for `host` (and optionally the repository, for keys with a path) from a docker
 * config JSON, or undefined for anonymous access. Throws OciError(InvalidCredentials) on a
 * malformed config; the message never includes its content.
 */
export function credentialsFromDockerConfig(json: string | Buffer, host: string, repository = ''): RegistryCredentials | undefined {
  const auths = parseAuths(json);
  const target = host.toLowerCase();
  const candidates: { specificity: number; entry: ConfigEntry }[] = [];
  for (const [key, entry] of Object.entries(auths)) {
    const parsed = normalizeKey(key);
    if (!hostMatches(parsed.host, target)) continue;
    if (parsed.path !== '' && !`${repository}/`.startsWith(`${parsed.path}/`)) continue;
    // Exact hosts beat globs; longer paths beat shorter ones (the kubelet keyring's order).
    const specificity = (parsed.host.includes('*') ? 0 : 1_000_000) + parsed.path.length;
    if (entry !== null && typeof entry === 'object') candidates.push({ specificity, entry: entry });
  }
  candidates.sort((a, b) => b.specificity - a.specificity);
  const best = candidates[0];
  return best ? entryCredentials(best.entry) : undefined;
}

function parseAuths(json: string | Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (err) {
    throw new OciError('InvalidCredentials', 'docker config is not valid JSON', { cause: scrubbedCause(err) });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OciError('InvalidCredentials', 'docker config must be a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  if ('auths' in obj) {
    const auths = obj.auths;
    if (auths === null || typeof auths !== 'object' || Array.isArray(auths)) {
      throw new OciError('InvalidCredentials', "docker config 'auths' must be an object");
    }
    return auths as Record<string, unknown>;
  }
  return obj; // legacy .dockercfg
}

function normalizeKey(key: string): { host: string; path: string } {
  let rest = key.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  rest = rest.replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  let host = slash === -1 ? rest : rest.slice(0, slash);
  let path = slash === -1 ? '' : rest.slice(slash + 1);
  // An API version suffix (https://index.docker.io/v1/) means the whole registry, as in Docker.
  if (/^v[12]$/.test(path)) path = '';
  if (HUB_KEYS.has(host)) host = DOCKER_HUB_HOST;
  return { host, path };
}

/** Exact host[:port] match, or kubelet-style globs per DNS label (`*.example.com`). */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.includes('*')) return false;
  const [patternName = '', patternPort] = pattern.split(':');
  const [hostName = '', hostPort] = host.split(':');
  if (patternPort !== hostPort) return false;
  const p = patternName.split('.');
  const h = hostName.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => globToRegExp(label).test(h[i] ?? ''));
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
}

function entryCredentials(entry: ConfigEntry): RegistryCredentials | undefined {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  let username = str(entry.username);
  let password = str(entry.password);
  const auth = str(entry.auth);
  if (auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OciError('InvalidCredentials', "docker config 'auth' is not base64 of 'username:password'");
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = str(entry.identitytoken);
  if (identityToken !== '') return { kind: 'identityToken', token: identityToken, ...(username ? { username } : {}) };
  const registryToken = str(entry.registrytoken);
  if (registryToken !== '') return { kind: 'registryToken', token: registryToken };
  if (username === '' && password === '') return undefined;
  return { kind: 'basic', username, password };
}

/** JSON.parse errors quote the input; keep only the error kind. */
function scrubbedCause(err: unknown): Error {
  return new Error(err instanceof Error ? err.name : 'parse error');
}

export interface AuthChallenge {
  /** Lower-case scheme: `bearer`, `basic`, … */
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` (RFC 7235 challenges with auth-params); one entry per challenge. */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  const token = /[\w!#$%&'*+.^`|~-]+/y;
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const readToken = (): string => {
    token.lastIndex = i;
    const m = token.exec(header);
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const name = readToken();
    if (name === '') break;
    skip(/\s/);
    if (header[i] !== '=' || challenges.length === 0) {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
      continue;
    }
    i++; // '='
    skip(/\s/);
    challenges[challenges.length - 1]!.params[name.toLowerCase()] = readValue();
  }
  return challenges;

  function readValue(): string {
    if (header[i] !== '"') return readToken();
    let value = '';
    for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? header[++i] ?? '' : header[i];
    i++; // closing quote
    return value;
  }
}
