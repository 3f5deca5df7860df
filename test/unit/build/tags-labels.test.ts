import { describe, expect, it } from 'vitest';
import { ociLabels, parseKeyValues } from '../../../src/build/labels.js';
import { defaultTags, normalizeTag, semverFromRef } from '../../../src/build/tags.js';

describe('tags', () => {
  it.each([
    ['refs/heads/main', 'abcdef0123', ['sha-abcdef0']],
    ['refs/tags/v1.2.3', 'abcdef0123', ['sha-abcdef0', '1.2.3']],
    ['refs/tags/1.2.3-rc.1', 'ABCDEF0123', ['sha-abcdef0', '1.2.3-rc.1']],
    ['refs/tags/v1.2.3+build.5', 'abcdef0123', ['sha-abcdef0', '1.2.3-build.5']],
    ['refs/tags/release-2024', 'abcdef0123', ['sha-abcdef0']],
    ['refs/tags/v1.2', 'abcdef0123', ['sha-abcdef0']],
    ['refs/pull/7/merge', undefined, []],
  ])('default tags for %s', (ref, sha, expected) => {
    expect(defaultTags(sha, ref)).toEqual(expected);
  });

  it('only SemVer tag refs give a version', () => {
    expect(semverFromRef('refs/tags/v01.2.3')).toBeUndefined();
    expect(semverFromRef('refs/heads/v1.2.3')).toBeUndefined();
  });

  it.each([
    ['latest', { tag: 'latest' }],
    ['ghcr.io/acme/api:v2', { tag: 'v2' }],
    ['ghcr.io/other/api:v2', { error: "'ghcr.io/other/api:v2' is in another repository than image 'ghcr.io/acme/api'" }],
    ['ghcr.io/acme/api', { error: "'ghcr.io/acme/api' has no tag" }],
    ['ghcr.io/acme/api@sha256:' + 'a'.repeat(64), { error: `'ghcr.io/acme/api@sha256:${'a'.repeat(64)}': give tags, not digests (the digest is an output)` }],
    ['.hidden', { error: "'.hidden' is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')" }],
    ['x'.repeat(129), { error: `'${'x'.repeat(129)}' is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')` }],
  ])('normalizeTag(%s)', (line, expected) => {
    expect(normalizeTag(line, 'ghcr.io/acme/api')).toEqual(expected);
  });
});

describe('labels', () => {
  it('derives the OCI labels from the GitHub context', () => {
    expect(ociLabels({ serverUrl: 'https://github.com/', repository: 'acme/api', sha: 'abc', image: 'ghcr.io/acme/api', version: '1.2.3', createdMs: Date.parse('2026-01-02T03:04:05Z') })).toEqual({
      'org.opencontainers.image.source': 'https://github.com/acme/api',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.title': 'api',
    });
  });

  it('falls back to the image name outside GitHub', () => {
    expect(ociLabels({ image: 'localhost:5000/team/svc', createdMs: 0 })).toEqual({ 'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z', 'org.opencontainers.image.title': 'svc' });
  });

  it.each([
    [['A=1', 'B=x=y', 'C='], { values: [['A', '1'], ['B', 'x=y'], ['C', '']] }],
    [['=1'], { error: "'…' is not label=value" }],
    [['NOVALUE'], { error: "'NOVALUE…' is not label=value" }],
  ])('parseKeyValues(%j)', (lines, expected) => {
    expect(parseKeyValues(lines, 'label')).toEqual(expected);
  });

  it('checks names with a rule, without echoing values', () => {
    expect(parseKeyValues(['bad name=secret-value'], 'build-arg', /^[A-Za-z_][A-Za-z0-9_.-]*$/)).toEqual({ error: "'bad name' is not a valid build-arg name" });
  });
});
