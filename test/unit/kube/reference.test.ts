import { describe, expect, it } from 'vitest';
import { parseImageRef, repositoryOf, sameRepository, type ImageRef } from '../../../src/kube/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseImageRef: the distribution/reference grammar, with Docker normalisation', () => {
  it.each([
    ['nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['nginx:1.27', { domain: 'docker.io', path: 'library/nginx', tag: '1.27' }],
    ['acme/api:v2', { domain: 'docker.io', path: 'acme/api', tag: 'v2' }],
    ['registry:5000/app', { domain: 'registry:5000', path: 'app' }],
    ['registry:5000/app:tag', { domain: 'registry:5000', path: 'app', tag: 'tag' }],
    ['registry:5000/team/app:1.2.3-rc.1', { domain: 'registry:5000', path: 'team/app', tag: '1.2.3-rc.1' }],
    ['localhost/app:dev', { domain: 'localhost', path: 'app', tag: 'dev' }],
    ['localhost:5000/app', { domain: 'localhost:5000', path: 'app' }],
    ['127.0.0.1:5000/app:v1', { domain: '127.0.0.1:5000', path: 'app', tag: 'v1' }],
    ['[::1]:5000/app:v1', { domain: '[::1]:5000', path: 'app', tag: 'v1' }],
    ['ghcr.io/acme/api@' + D, { domain: 'ghcr.io', path: 'acme/api', digest: D }],
    ['ghcr.io/acme/api:v2@' + D, { domain: 'ghcr.io', path: 'acme/api', tag: 'v2', digest: D }],
    ['registry:5000/app@' + D, { domain: 'registry:5000', path: 'app', digest: D }],
    ['index.docker.io/library/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['Registry/app', { domain: 'Registry', path: 'app' }],
    ['a.b-c.io/x__y/z.w-1:t_1', { domain: 'a.b-c.io', path: 'x__y/z.w-1', tag: 't_1' }],
  ] as const)('%s', (text, expected) => {
    const ref = parseImageRef(text) as ImageRef;
    expect(typeof ref).toBe('object');
    expect({ domain: ref.domain, path: ref.path, ...(ref.tag ? { tag: ref.tag } : {}), ...(ref.digest ? { digest: ref.digest } : {}) }).toEqual(expected);
    expect(ref.original).toBe(text);
  });

  it.each([
    ['', 'empty image reference'],
    ['app:tag with space', 'contains white space'],
    ['Acme/App', "repository names must be lower-case ('App')"],
    ['registry:5000/App:v1', "repository names must be lower-case ('App')"],
    ['app@sha256:abc', 'is not a digest'],
    ['app@sha256:' + 'A'.repeat(64), 'a sha256 digest has 64 lower-case hex digits'],
    ['app:', "'' is not a valid tag"],
    ['app:-x', "'-x' is not a valid tag"],
    [':v1', 'has no repository name'],
    ['registry:5000/', "'' is not a valid repository path component"],
    ['app//x', "'' is not a valid repository path component"],
    ['reg_istry.io:5000/app', 'is not a valid registry host'],
  ])('rejects %j', (text, problem) => {
    const result = parseImageRef(text);
    expect(typeof result).toBe('string');
    expect(result).toContain(problem);
  });

  it.each([
    ['nginx', 'docker.io/library/nginx:1.2', true],
    ['nginx:1.1', 'index.docker.io/library/nginx@' + D, true],
    ['registry:5000/app:v1', 'registry:5000/app:v2', true],
    ['registry:5000/app:v1', 'registry:5001/app:v1', false],
    ['registry:5000/app', 'registry:5000/app-sidecar', false],
    ['registry:5000/app', 'app', false],
    ['acme/app', 'ghcr.io/acme/app', false],
  ])('same repository: %s vs %s → %s', (a, b, same) => {
    expect(sameRepository(parseImageRef(a) as ImageRef, parseImageRef(b) as ImageRef)).toBe(same);
  });

  it('names the repository with its registry', () => {
    expect(repositoryOf(parseImageRef('registry:5000/team/app:v1') as ImageRef)).toBe('registry:5000/team/app');
    expect(repositoryOf(parseImageRef('busybox') as ImageRef)).toBe('docker.io/library/busybox');
  });
});
