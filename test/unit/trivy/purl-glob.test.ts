import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../../src/trivy/glob.js';
import { parsePurl, purlMatches } from '../../../src/trivy/purl.js';

describe('package URLs (packageurl-go parsing, Trivy PackageURL.Match)', () => {
  it.each([
    ['pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2', { type: 'apk', namespace: 'alpine', name: 'libcrypto1.1', version: '1.1.1c-r0' }],
    ['pkg:maven/org.springframework/spring-beans@5.3.15', { type: 'maven', namespace: 'org.springframework', name: 'spring-beans', version: '5.3.15' }],
    ['pkg:npm/%40babel/core@7.0.0', { type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0' }],
    ['pkg:npm/@babel/core@7.0.0', { type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0' }],
    ['pkg:golang/github.com/AquaSecurity/Trivy@v0.50.0', { type: 'golang', namespace: 'github.com/aquasecurity', name: 'trivy', version: 'v0.50.0' }],
    ['pkg:pypi/Django_REST@3.1', { type: 'pypi', namespace: '', name: 'django-rest', version: '3.1' }],
    ['PKG:Deb/Debian/OpenSSL@3.0.11-1?distro=debian-12', { type: 'deb', namespace: 'debian', name: 'openssl', version: '3.0.11-1' }],
    ['pkg://rpm/centos/bash@4.2', { type: 'rpm', namespace: 'centos', name: 'bash', version: '4.2' }],
    ['pkg:maven/g/a@1.0#sub/path/', { type: 'maven', subpath: 'sub/path' }],
  ])('parses %s', (text, expected) => {
    expect(parsePurl(text)).toMatchObject(expected);
  });

  it('decodes and lower-cases qualifier keys and drops empty values', () => {
    const p = parsePurl('pkg:rpm/centos/openssl-libs@1.0.2k?Arch=x86_64&distro=centos-7.6.1810&epoch=1&empty=');
    expect([...p.qualifiers]).toEqual([
      ['arch', 'x86_64'],
      ['distro', 'centos-7.6.1810'],
      ['epoch', '1'],
    ]);
  });

  it.each(['npm/foo@1', 'pkg:', 'pkg:npm', 'pkg:maven/@1.0', 'pkg:1bad/x', 'pkg:npm/a?x=1&x=2', 'pkg:npm/a?a;b=1', 'pkg:npm/%zz'])('rejects %s', (text) => {
    expect(() => parsePurl(text)).toThrow();
  });

  const target = parsePurl('pkg:golang/github.com/aquasecurity/bar@1.2.3?goos=linux');
  it.each([
    ['pkg:golang/github.com/aquasecurity/bar', true],
    ['pkg:golang/github.com/aquasecurity/bar@1.2.3', true],
    ['pkg:golang/github.com/aquasecurity/bar@9.9.9', false],
    ['pkg:golang/github.com/aquasecurity/aaa', false],
    ['pkg:golang/github.com/other/bar', false],
    ['pkg:npm/bar', false],
    ['pkg:golang/github.com/aquasecurity/bar?goos=linux', true],
    ['pkg:golang/github.com/aquasecurity/bar?goos=darwin', false],
    ['pkg:golang/github.com/aquasecurity/bar?goarch=amd64', false],
    ['pkg:golang/github.com/AquaSecurity/Bar', true],
  ])('constraint %s matches the finding: %s', (constraint, expected) => {
    expect(purlMatches(parsePurl(constraint), target)).toBe(expected);
  });
});

describe('path patterns (doublestar v4 Match semantics)', () => {
  it.each([
    ['**/*-lock.json', 'package-lock.json', true],
    ['**/*-lock.json', 'app/web/package-lock.json', true],
    ['**/*-lock.json', 'app/web/package.json', false],
    ['bar/package.json', 'bar/package.json', true],
    ['bar/package.json', 'foo/bar/package.json', false],
    ['*.json', 'a/b.json', false],
    ['*.json', 'b.json', true],
    ['a/*/c', 'a/b/c', true],
    ['a/*/c', 'a/b/x/c', false],
    ['a/**/c', 'a/c', true],
    ['a/**/c', 'a/b/x/c', true],
    ['a/**', 'a', true],
    ['a/**', 'a/b/c', true],
    ['a/**', 'ab', false],
    ['**', 'anything/at/all', true],
    ['a**b', 'axxb', true],
    ['a**b', 'ax/xb', false],
    ['?.txt', 'a.txt', true],
    ['?.txt', '/.txt', false],
    ['[abc].go', 'b.go', true],
    ['[!abc].go', 'b.go', false],
    ['[^abc].go', 'd.go', true],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['{foo,bar}/x', 'bar/x', true],
    ['{foo,bar}/x', 'baz/x', false],
    ['{a,b{c,d}}', 'bd', true],
    ['\\*.go', '*.go', true],
    ['\\*.go', 'a.go', false],
    ['usr/local/tomcat/webapps/**', 'usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar', true],
    ['Java', 'Java', true],
  ])('%s vs %s → %s', (pattern, path, expected) => {
    expect(compileGlob(pattern)(path)).toBe(expected);
  });

  it.each(['[abc', '{a,b', 'a\\', '[]'])('rejects the malformed pattern %s', (pattern) => {
    expect(() => compileGlob(pattern)).toThrow();
  });
});
