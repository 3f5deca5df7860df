/**
 * Tags, computed as SPEC says: the `tags` input (bare tags, or full references into the same
 * repository), else `sha-<7>` of the commit plus, on a tag ref whose name is a SemVer version
 * (`v1.2.3` or `1.2.3`), that version (`1.2.3`), as docker/metadata-action's `type=semver` does.
 */
import { TAG } from '../oci/reference.js';

/** SemVer 2.0.0's own regular expression (semver.org), with an optional leading `v`. */
const SEMVER =
  /^v?((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?)$/;

/** `1.2.3` for `refs/tags/v1.2.3`, undefined for other refs. Build metadata (`+…`) becomes `-…`, as tags cannot hold `+`. */
export function semverFromRef(ref: string | undefined): string | undefined {
  if (!ref?.startsWith('refs/tags/')) return undefined;
  const match = SEMVER.exec(ref.slice('refs/tags/'.length));
  return match?.[1]?.replace(/\+/g, '-');
}

export function defaultTags(sha: string | undefined, ref: string | undefined): string[] {
  const tags: string[] = [];
  if (sha && /^[0-9a-f]{7,}$/i.test(sha)) tags.push(`sha-${sha.slice(0, 7).toLowerCase()}`);
  const version = semverFromRef(ref);
  if (version) tags.push(version);
  return tags;
}

/**
 * Normalizes one line of the `tags` input to a bare tag. A full reference is accepted when it
 * points into `repository`; anything else returns an error sentence.
 */
export function normalizeTag(line: string, repository: string): { tag: string } | { error: string } {
  let tag = line.trim();
  if (tag.includes('/') || tag.includes('@')) {
    const colon = tag.lastIndexOf(':');
    const repo = colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
    if (tag.includes('@')) return { error: `'${line}': give tags, not digests (the digest is an output)` };
    if (repo !== repository) return { error: `'${line}' is in another repository than image '${repository}'` };
    if (colon <= tag.lastIndexOf('/')) return { error: `'${line}' has no tag` };
    tag = tag.slice(colon + 1);
  }
  if (!TAG.test(tag)) return { error: `'${tag}' is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')` };
  return { tag };
}
