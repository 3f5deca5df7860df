/**
 * Package URLs, parsed and matched the way Trivy matches the `purls` of a `.trivyignore.yaml` entry
 * (Trivy `pkg/purl`: `PackageURL.Match`, on top of package-url/packageurl-go `FromString`).
 *
 * Parsing: `pkg:` scheme (any case), leading slashes dropped, `#subpath`, `?qualifiers` (keys
 * lower-cased, values percent-decoded, empty values dropped, duplicates rejected), type lower-cased,
 * version after the last `@`, name after the last `/`, namespace segments percent-decoded; the name
 * and namespace are lower-cased for the types the purl spec declares case-insensitive, and PyPI
 * names also turn `_` into `-`.
 *
 * Matching (constraint from the ignore file → package of the finding): type, namespace and name must
 * be equal; version and subpath only when the constraint has one; every qualifier of the constraint
 * must be present with the same value.
 */

export interface PackageUrl {
  type: string;
  namespace: string;
  name: string;
  version: string;
  qualifiers: Map<string, string>;
  subpath: string;
}

export class PurlError extends Error {
  override readonly name = 'PurlError';
}

const LOWER_NAMESPACE = new Set(['alpm', 'apk', 'bitbucket', 'composer', 'deb', 'github', 'golang', 'rpm', 'qpkg']);
const LOWER_NAME = new Set(['alpm', 'apk', 'bitbucket', 'bitnami', 'chrome-extension', 'composer', 'deb', 'github', 'golang']);

function decode(text: string, what: string, purl: string): string {
  try {
    // Percent-decoding without turning '+' into a space (packageurl-go uses PathUnescape).
    return decodeURIComponent(text);
  } catch {
    throw new PurlError(`invalid percent-encoding in the ${what} of '${purl}'`);
  }
}

export function parsePurl(purl: string): PackageUrl {
  if (purl.length < 4 || purl.slice(0, 4).toLowerCase() !== 'pkg:') throw new PurlError(`'${purl}' is not a package URL (it must start with pkg:)`);
  let rest = purl.slice(4).replace(/^\/+/, '');
  let subpath = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    subpath = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = '';
  const question = rest.indexOf('?');
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw new PurlError(`'${purl}' has no type or no name`);
  const type = rest.slice(0, slash).toLowerCase();
  rest = rest.slice(slash + 1);
  if (!/^[a-z.+-][a-z0-9.+-]*$/.test(type)) throw new PurlError(`'${purl}' has an invalid type '${type}'`);

  const qualifiers = new Map<string, string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) throw new PurlError(`'${purl}' uses ';' in its qualifiers`);
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = decode(eq < 0 ? '' : part.slice(eq + 1), 'qualifiers', purl);
    if (!/^[a-z.\-_][a-z0-9.\-_]*$/.test(key)) throw new PurlError(`'${purl}' has an invalid qualifier key '${key}'`);
    if (value === '') continue; // an empty value is the same as no qualifier
    if (qualifiers.has(key)) throw new PurlError(`'${purl}' repeats the qualifier '${key}'`);
    qualifiers.set(key, value);
  }

  if (type !== 'npm' && rest.startsWith('@')) throw new PurlError(`'${purl}' has no name`);
  let version = '';
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    version = decode(rest.slice(at + 1), 'version', purl);
    rest = rest.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  let name = decode(rest.slice(lastSlash + 1), 'name', purl);
  let namespace = lastSlash >= 0
    ? rest
        .slice(0, lastSlash)
        .split('/')
        .filter((segment) => segment !== '')
        .map((segment) => decode(segment, 'namespace', purl))
        .join('/')
    : '';
  if (name === '') throw new PurlError(`'${purl}' has no name`);
  if (LOWER_NAMESPACE.has(type)) namespace = namespace.toLowerCase();
  if (LOWER_NAME.has(type)) name = name.toLowerCase();
  if (type === 'pypi') name = name.replace(/_/g, '-').toLowerCase();
  if (type === 'huggingface') version = version.toLowerCase();
  return { type, namespace, name, version, qualifiers, subpath: subpath.replace(/^\/+|\/+$/g, '') };
}

/** Trivy's `PackageURL.Match`: does the constraint `pattern` cover the package `target`? */
export function purlMatches(pattern: PackageUrl, target: PackageUrl): boolean {
  if (pattern.type !== target.type || pattern.namespace !== target.namespace || pattern.name !== target.name) return false;
  if (pattern.version !== '' && pattern.version !== target.version) return false;
  if (pattern.subpath !== '' && pattern.subpath !== target.subpath) return false;
  for (const [key, value] of pattern.qualifiers) if (target.qualifiers.get(key) !== value) return false;
  return true;
}
