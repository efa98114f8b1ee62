// OCIRepository `spec.url` (oci://host[:port]/path) and image references (host/path:tag@digest),
// validated with the distribution reference grammar. Like Flux (go-containerregistry's
// name.NewRepository), a url must not carry a tag or digest: those belong in `spec.ref`.
import { OciError } from './errors.ts';

export const OCI_URL_PREFIX = 'oci://';
/** Docker Hub's registry host, as go-containerregistry names it. */
export const DOCKER_HUB_HOST = 'index.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// One path component: lower-case alphanumerics separated by '.', '_', '__' or dashes.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

export interface RepositoryName {
  /** Registry host[:port] used for API calls, lower-case; Docker Hub is `index.docker.io`. */
  host: string;
  /** Repository path inside the registry, e.g. `stefanprodan/manifests/podinfo`. */
  repository: string;
}

export interface ImageReference extends RepositoryName {
  tag: string | undefined;
  /** `sha256:<hex>`; when both are given the digest wins, as in Docker. */
  digest: string | undefined;
}

/** Parses an OCIRepository url; throws OciError(InvalidUrl). */
export function parseOciUrl(url: string): RepositoryName {
  if (!url.startsWith(OCI_URL_PREFIX)) {
    throw new OciError('InvalidUrl', "URL must be in format 'oci://<domain>/<org>/<repo>'");
  }
  const rest = url.slice(OCI_URL_PREFIX.length);
  const slash = rest.indexOf('/');
  // '@' in the host part would be user info: never echo it, it may hold a password.
  if ((slash === -1 ? rest : rest.slice(0, slash)).includes('@')) {
    throw new OciError('InvalidUrl', 'URL must not contain credentials; use spec.secretRef');
  }
  // go-containerregistry would read 'ghcr.io' alone as Docker Hub's library/ghcr.io; say what is wrong instead.
  if (slash === -1 && /[.:]/.test(rest)) throw new OciError('InvalidUrl', `'${rest}' has no repository path after the registry host`);
  if (rest.includes('@')) throw new OciError('InvalidUrl', `URL must not contain a digest; use spec.ref.digest: ${url}`);
  const name = splitName(rest, 'InvalidUrl');
  const colon = name.repository.indexOf(':');
  if (colon !== -1) {
    throw new OciError('InvalidUrl', `URL must not contain a tag; remove ':${name.repository.slice(colon + 1)}'`);
  }
  validateRepository(name.repository, 'InvalidUrl');
  return name;
}

/** Parses `[host[:port]/]path[:tag][@sha256:…]`; throws OciError(InvalidReference). */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new OciError('InvalidReference', `invalid digest '${digest}' in reference (want sha256:<64 hex>)`);
  }
  const name = splitName(rest, 'InvalidReference');
  let tag: string | undefined;
  const colon = name.repository.lastIndexOf(':');
  if (colon !== -1) {
    tag = name.repository.slice(colon + 1);
    name.repository = name.repository.slice(0, colon);
    validateTag(tag);
  }
  validateRepository(name.repository, 'InvalidReference');
  return { ...name, tag, digest };
}

export function validateTag(tag: string): void {
  if (!TAG.test(tag)) throw new OciError('InvalidReference', `invalid tag '${tag}'`);
}

/** Throws OciError(InvalidReference) unless `repository` is a valid lower-case repository path. */
export function validateRepositoryPath(repository: string): void {
  validateRepository(repository, 'InvalidReference');
}

export function validateDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new OciError('InvalidReference', `invalid digest '${digest}' (want sha256:<64 hex>)`);
}

/** `host/repository`, e.g. for cosign's docker-reference. */
export function repositoryString(name: RepositoryName): string {
  return `${name.host}/${name.repository}`;
}

/**
 * Splits off the registry host the way Docker does: the first component is a host when it has a
 * '.' or ':' or is `localhost`; otherwise the whole thing is a Docker Hub repository.
 */
function splitName(input: string, reason: 'InvalidUrl' | 'InvalidReference'): RepositoryName {
  if (input === '' || /[\s?#\\]/.test(input)) throw new OciError(reason, `invalid repository name '${input}'`);
  const slash = input.indexOf('/');
  const first = slash === -1 ? input : input.slice(0, slash);
  const isHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!isHost) {
    const repository = slash === -1 ? `library/${input}` : input;
    return { host: DOCKER_HUB_HOST, repository };
  }
  if (slash === input.length - 1) throw new OciError(reason, `'${input}' has no repository path after the registry host`);
  let host = first.toLowerCase();
  validateHost(host, reason);
  if (DOCKER_HUB_ALIASES.has(host)) host = DOCKER_HUB_HOST;
  let repository = input.slice(slash + 1);
  if (host === DOCKER_HUB_HOST && !repository.split(':')[0]!.includes('/')) repository = `library/${repository}`;
  return { host, repository };
}

function validateHost(host: string, reason: 'InvalidUrl' | 'InvalidReference'): void {
  const portMatch = /^(.*?)(?::(\d+))?$/.exec(host);
  const hostname = portMatch?.[1] ?? '';
  const port = portMatch?.[2];
  const okName = IPV6.test(hostname) || (hostname !== '' && hostname.split('.').every((label) => DOMAIN_LABEL.test(label)));
  const okPort = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (!okName || !okPort) throw new OciError(reason, `invalid registry host '${host}'`);
}

function validateRepository(repository: string, reason: 'InvalidUrl' | 'InvalidReference'): void {
  if (repository.length > MAX_NAME_LENGTH) throw new OciError(reason, `repository name longer than ${MAX_NAME_LENGTH} characters`);
  for (const component of repository.split('/')) {
    if (COMPONENT.test(component)) continue;
    if (component.toLowerCase() !== component && COMPONENT.test(component.toLowerCase())) {
      throw new OciError(reason, `repository path must be lower-case: '${repository}'`);
    }
    throw new OciError(reason, `invalid repository path '${repository}'`);
  }
}
