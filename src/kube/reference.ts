/**
 * Container image references, parsed the way the registry tooling parses them
 * (distribution/reference grammar and Docker's normalisation), so `registry:5000/app:tag`,
 * `localhost/app`, `app@sha256:…` and `nginx` all land in the right parts:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path          domain := host [ ":" port ]
 *
 * The first path component is a registry domain only when it contains `.` or `:`, is `localhost`,
 * or has an upper-case letter; otherwise the reference is on Docker Hub (`docker.io`, and a
 * single-component path gets `library/`). A `:` after the last `/` starts a tag, so the port in
 * `registry:5000/app` is never mistaken for one (the mistake Azure/k8s-deploy makes).
 */

export interface ImageRef {
  /** Registry host (and port), normalised: `docker.io` when none was written. */
  domain: string;
  /** Repository path inside the registry, normalised (`library/nginx`). */
  path: string;
  tag?: string;
  /** `sha256:<hex>` */
  digest?: string;
  /** Exactly what was written. */
  original: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Parses a reference; returns the problem as text when it is not one. */
export function parseImageRef(text: string): ImageRef | string {
  const original = text.trim();
  if (original === '') return 'empty image reference';
  if (/\s/.test(original)) return `'${original}' contains white space`;
  let rest = original;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `'${original}': '${digest}' is not a digest (expected sha256:<64 hex>)`;
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) return `'${original}': a sha256 digest has 64 lower-case hex digits`;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `'${original}': '${tag}' is not a valid tag`;
  }
  if (rest === '') return `'${original}' has no repository name`;
  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) return `'${original}': '${domain}' is not a valid registry host`;
    }
  }
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = 'docker.io';
  const components = path.split('/');
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      return component !== component.toLowerCase()
        ? `'${original}': repository names must be lower-case ('${component}')`
        : `'${original}': '${component}' is not a valid repository path component`;
    }
  }
  if (domain === 'docker.io' && components.length === 1) path = `library/${path}`;
  if (original.length > 4096) return 'image reference too long';
  return { domain, path, original, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `domain/path`: what two references must share to be "the same image repository". */
export function repositoryOf(ref: ImageRef): string {
  return `${ref.domain.toLowerCase()}/${ref.path}`;
}

/** True when both references name the same repository (`nginx` ≡ `docker.io/library/nginx`). */
export function sameRepository(a: ImageRef, b: ImageRef): boolean {
  return repositoryOf(a) === repositoryOf(b);
}

/** The digest of a reference, if pinned by one. */
export function digestOf(text: string): string | undefined {
  const ref = parseImageRef(text);
  return typeof ref === 'string' ? undefined : ref.digest;
}
