import { describe, expect, it } from 'vitest';
import { apiHost, isLoopbackRegistry, parseReference, ReferenceError, repositoryName } from '../../../src/oci/reference.js';
import { parseChallenges } from '../../../src/oci/auth.js';

describe('parseReference (distribution/reference grammar)', () => {
  it.each([
    ['ghcr.io/acme/api', { registry: 'ghcr.io', path: 'acme/api' }],
    ['ghcr.io/acme/api:v1.2.3', { registry: 'ghcr.io', path: 'acme/api', tag: 'v1.2.3' }],
    ['127.0.0.1:5000/acme/api@sha256:' + 'a'.repeat(64), { registry: '127.0.0.1:5000', path: 'acme/api', digest: 'sha256:' + 'a'.repeat(64) }],
    ['localhost/api', { registry: 'localhost', path: 'api' }],
    ['localhost:5000/a/b/c:t', { registry: 'localhost:5000', path: 'a/b/c', tag: 't' }],
    ['nginx', { registry: 'docker.io', path: 'library/nginx' }],
    ['acme/api:1', { registry: 'docker.io', path: 'acme/api', tag: '1' }],
    ['index.docker.io/nginx', { registry: 'docker.io', path: 'library/nginx' }],
    ['[::1]:5000/acme/api', { registry: '[::1]:5000', path: 'acme/api' }],
    ['registry.example.com/a__b/c-d/e.f', { registry: 'registry.example.com', path: 'a__b/c-d/e.f' }],
  ])('%s', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['ghcr.io/Acme/api', /must be lower-case/],
    ['https://ghcr.io/acme/api', /is a URL/],
    ['ghcr.io/acme/api:-bad', /not a valid tag/],
    ['ghcr.io/acme/api@sha256:abc', /not a valid digest/],
    ['ghcr.io/acme//api', /not a valid repository path component/],
    ['ghcr.io/acme api', /white space/],
    ['bad_host:99999999/acme', /not a valid registry host/],
  ])('rejects %j', (text, message) => {
    expect(() => parseReference(text)).toThrow(ReferenceError);
    expect(() => parseReference(text)).toThrow(message);
  });

  it('names repositories and API hosts like docker and cosign do', () => {
    expect(repositoryName(parseReference('nginx'))).toBe('docker.io/library/nginx');
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
  });

  it.each([
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['registry.localhost', true],
    ['ghcr.io', false],
    ['10.0.0.1:5000', false],
    ['localhost.evil.com', false],
  ])('isLoopbackRegistry(%s) = %s', (registry, expected) => {
    expect(isLoopbackRegistry(registry)).toBe(expected);
  });
});

describe('parseChallenges (WWW-Authenticate, RFC 7235)', () => {
  it.each([
    ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"', [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } }]],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['Basic realm="a", Bearer realm="https://t",service=x', [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'https://t', service: 'x' } },
    ]],
    ['Bearer realm="with \\"quotes\\" and, commas"', [{ scheme: 'bearer', params: { realm: 'with "quotes" and, commas' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});
