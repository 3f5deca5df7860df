/**
 * Image references as the distribution project defines them (`distribution/reference` grammar):
 * `[registry[:port]/]path[:tag][@digest]`, Docker Hub defaults (`docker.io`, `library/`), lower-case
 * path components, tags of at most 128 characters. Parsing is pure: no network.
 */

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's API actually lives. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
export const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

export interface Repository {
  /** As the user would write it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  registry: string;
  /** The path inside the registry (`acme/api`, `library/nginx`). */
  path: string;
}

export interface ImageReference extends Repository {
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {
  override readonly name = 'ReferenceError';
}

function isDomain(candidate: string): boolean {
  // [ipv6]:port
  if (candidate.startsWith('[')) return /^\[[0-9a-fA-F:.]+\](?::[0-9]{1,5})?$/.test(candidate);
  const [host, port, extra] = candidate.split(':');
  if (extra !== undefined || !host) return false;
  if (port !== undefined && !PORT.test(port)) return false;
  return host.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/** Splits the registry off like docker does: a first component with `.`, `:`, or `localhost`. */
function splitDomain(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || (!first.includes('.') && !first.includes(':') && first !== 'localhost' && first === first.toLowerCase())) {
    return { registry: DOCKER_HUB, path: slash < 0 ? `library/${name}` : name };
  }
  const registry = first === 'index.docker.io' ? DOCKER_HUB : first;
  const path = name.slice(slash + 1);
  return { registry, path: registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path };
}

/** Parses a full reference; throws ReferenceError with a sentence saying what is wrong. */
export function parseReference(text: string): ImageReference {
  const value = text.trim();
  if (value === '') throw new ReferenceError('the reference is empty');
  if (/\s/.test(value)) throw new ReferenceError(`'${value}' contains white space`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new ReferenceError(`'${value}' is a URL; give a reference such as ghcr.io/acme/api (no scheme)`);
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(`'${digest}' is not a valid digest (expected sha256:<64 hex>)`);
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) throw new ReferenceError(`'${digest}' is not a valid sha256 digest (64 lower-case hex characters)`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(`'${tag}' is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`);
  }
  if (rest.length > NAME_MAX) throw new ReferenceError(`the repository name is longer than ${NAME_MAX} characters`);
  const { registry, path } = splitDomain(rest);
  if (registry !== DOCKER_HUB && !isDomain(registry)) throw new ReferenceError(`'${registry}' is not a valid registry host`);
  if (path === '') throw new ReferenceError(`'${value}' has no repository path`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = component !== component.toLowerCase() ? ' (repository names must be lower-case)' : '';
      throw new ReferenceError(`'${component}' is not a valid repository path component in '${value}'${hint}`);
    }
  }
  return { registry, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `registry/path` as users and cosign write it (Docker Hub keeps its `docker.io/` prefix). */
export function repositoryName(repo: Repository): string {
  return `${repo.registry}/${repo.path}`;
}

export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host:port the registry API is served on. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** True for registries on this machine: localhost, 127.0.0.0/8, ::1 (any port). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : (registry.split(':')[0] ?? '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/** The tag the OCI referrers fallback and cosign use for a digest: `sha256-<hex>`. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}
