import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBuildAndSignInputs, type BuildAndSignInputs } from '../../../src/actions/build-and-sign/inputs.js';
import { ConfigurationError, InputReader } from '../../../src/core/index.js';

const workspace = mkdtempSync(join(tmpdir(), 'ws-'));
writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\n');
const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
writeFileSync(join(workspace, 'cosign.key'), pkcs8);
const cosignKey = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'build', 'cosign-keys', 'v2-s3cret.key'), 'utf8');

const ENV = { GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', GITHUB_REF: 'refs/heads/main' };
const OIDC = { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' };

async function read(inputs: Record<string, string>, env: Record<string, string> = ENV): Promise<{ inputs: BuildAndSignInputs; secrets: string[] }> {
  const secrets: string[] = [];
  const reader = new InputReader((n) => inputs[n] ?? '', workspace, (s) => secrets.push(s));
  return { inputs: await readBuildAndSignInputs(reader, { env, workspace, addSecret: (s) => secrets.push(s) }), secrets };
}

async function failure(inputs: Record<string, string>, env: Record<string, string> = ENV): Promise<string> {
  const error = await read(inputs, env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as Error).message;
}

describe('build-and-sign inputs', () => {
  it('defaults: sha-<7> tag, auto builder, push, bundle format, and sign auto → none without key or OIDC', async () => {
    const { inputs } = await read({ image: 'ghcr.io/acme/api' });
    expect(inputs).toMatchObject({
      image: 'ghcr.io/acme/api',
      repository: { registry: 'ghcr.io', path: 'acme/api' },
      context: workspace,
      tags: ['sha-0123456'],
      builder: 'auto',
      push: true,
      sign: 'none',
      signatureFormat: 'bundle',
      insecureRegistry: false,
    });
    expect(inputs.signReason).toMatch(/id-token: write/);
  });

  it.each<[string, Record<string, string>, Record<string, string>, BuildAndSignInputs['sign']]>([
    ['OIDC token present', {}, OIDC, 'keyless'],
    ['signing-key set (wins over OIDC)', { 'signing-key': pkcs8 }, OIDC, 'key'],
    ['push: false', { push: 'false', 'signing-key': pkcs8 }, OIDC, 'none'],
  ])('sign: auto with %s', async (_name, extra, env, expected) => {
    expect((await read({ image: 'ghcr.io/acme/api', ...extra }, { ...ENV, ...env })).inputs.sign).toBe(expected);
  });

  it('reads tags (newlines or commas, full references into the image), de-duplicated', async () => {
    const { inputs } = await read({ image: 'ghcr.io/acme/api', tags: 'latest, v1\nghcr.io/acme/api:v1\n# comment\nedge' });
    expect(inputs.tags).toEqual(['latest', 'v1', 'edge']);
  });

  it('adds the SemVer tag and version on tag refs', async () => {
    const { inputs } = await read({ image: 'ghcr.io/acme/api' }, { ...ENV, GITHUB_REF: 'refs/tags/v2.0.0' });
    expect(inputs.tags).toEqual(['sha-0123456', '2.0.0']);
    expect(inputs.version).toBe('2.0.0');
  });

  it('masks the registry password and the signing key as they are read, and loads a key from a file path', async () => {
    const { inputs, secrets } = await read({ image: 'ghcr.io/acme/api', 'registry-username': 'bot', 'registry-password': 'ghp_secret', 'signing-key': 'cosign.key' });
    expect(secrets).toContain('ghp_secret');
    expect(secrets.map((s) => s.trim())).toContain(pkcs8.trim());
    expect(inputs.signingKey?.format).toBe('pkcs8');
    expect(inputs.credentials).toEqual({ username: 'bot', password: 'ghp_secret' });
  });

  it('decrypts a cosign key with its password', async () => {
    const { inputs } = await read({ image: 'ghcr.io/acme/api', 'signing-key': cosignKey, 'signing-key-password': 's3cret' });
    expect(inputs.signingKey?.format).toBe('cosign-encrypted');
  });

  it('reads build args as name/value pairs, values untouched', async () => {
    const { inputs } = await read({ image: 'ghcr.io/acme/api', 'build-args': 'A=1\nURL=https://x/?a=b=c\nEMPTY=' });
    expect(inputs.buildArgs).toEqual([
      ['A', '1'],
      ['URL', 'https://x/?a=b=c'],
      ['EMPTY', ''],
    ]);
  });

  it.each<[string, Record<string, string>, Record<string, string>, RegExp]>([
    ['no image', {}, ENV, /^Input 'image': is required/],
    ['a tag in image', { image: 'ghcr.io/acme/api:v1' }, ENV, /^Input 'image': give the repository without a tag/],
    ['a digest in image', { image: `ghcr.io/acme/api@sha256:${'a'.repeat(64)}` }, ENV, /^Input 'image': give the repository without a digest/],
    ['upper case', { image: 'ghcr.io/Acme/api' }, ENV, /^Input 'image': .*lower-case/],
    ['a missing context', { image: 'ghcr.io/acme/api', context: 'nope' }, ENV, /^Input 'context': nope is not a directory/],
    ['a missing file', { image: 'ghcr.io/acme/api', file: 'Nope.Dockerfile' }, ENV, /^Input 'file': Nope.Dockerfile does not exist/],
    ['no tags and no sha', { image: 'ghcr.io/acme/api' }, {}, /^Input 'tags': no tags given, and GITHUB_SHA is not set/],
    ['a bad tag', { image: 'ghcr.io/acme/api', tags: 'ok\n-bad' }, ENV, /^Input 'tags': '-bad' is not a valid tag/],
    ['a tag for another repository', { image: 'ghcr.io/acme/api', tags: 'ghcr.io/acme/web:v1' }, ENV, /^Input 'tags': .* is in another repository/],
    ['a bad platform', { image: 'ghcr.io/acme/api', platforms: 'linux/amd64,amd64' }, ENV, /^Input 'platforms': 'amd64' is not os\/arch/],
    ['a bad builder', { image: 'ghcr.io/acme/api', builder: 'kaniko' }, ENV, /^Input 'builder': expected one of auto, docker, buildah/],
    ['a bad label', { image: 'ghcr.io/acme/api', labels: 'novalue' }, ENV, /^Input 'labels': 'novalue…' is not label=value/],
    ['a bad build-arg name', { image: 'ghcr.io/acme/api', 'build-args': '1X=secret' }, ENV, /^Input 'build-args': '1X' is not a valid build-arg name$/],
    ['a password without user', { image: 'ghcr.io/acme/api', 'registry-password': 'p' }, ENV, /^Input 'registry-username': is required with registry-password/],
    ['a user without password', { image: 'ghcr.io/acme/api', 'registry-username': 'u' }, ENV, /^Input 'registry-password': is required with registry-username/],
    ['credentials over plain http to a remote host', { image: 'registry.example.com/acme/api', 'registry-username': 'u', 'registry-password': 'pw', 'insecure-registry': 'true' }, ENV, /^Input 'insecure-registry': would send registry-password in clear text to registry.example.com/],
    ['sign: key without a key', { image: 'ghcr.io/acme/api', sign: 'key' }, ENV, /^Input 'signing-key': is required when sign is key/],
    ['sign: keyless without OIDC', { image: 'ghcr.io/acme/api', sign: 'keyless' }, ENV, /^Input 'sign': keyless signing needs the job's OIDC token.*id-token: write/],
    ['signing with push: false', { image: 'ghcr.io/acme/api', sign: 'key', 'signing-key': pkcs8, push: 'false' }, ENV, /^Input 'sign': is key but push is false/],
    ['a public key as signing-key', { image: 'ghcr.io/acme/api', sign: 'key', 'signing-key': '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----' }, ENV, /^Input 'signing-key': .*that is the public key/],
    ['a wrong cosign key password', { image: 'ghcr.io/acme/api', 'signing-key': cosignKey, 'signing-key-password': 'nope' }, ENV, /^Input 'signing-key-password': does not decrypt signing-key/],
    ['a cosign key without its password', { image: 'ghcr.io/acme/api', 'signing-key': cosignKey }, ENV, /^Input 'signing-key-password': is required: signing-key is an encrypted cosign key/],
    ['a bad format', { image: 'ghcr.io/acme/api', 'signature-format': 'v3' }, ENV, /^Input 'signature-format': expected one of bundle, legacy, both/],
  ])('rejects %s with one line naming the input', async (_name, inputs, env, message) => {
    const text = await failure(inputs, env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
    expect(text).not.toContain('secret');
  });
});
