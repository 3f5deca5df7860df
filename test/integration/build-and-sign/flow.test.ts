/**
 * build-and-sign end to end against real components on loopback: Debian's docker-registry
 * (distribution 2.8, no referrers API), Debian's buildah (vfs, chroot, private storage), and the real
 * cosign v2 and v3 built from the Go module proxy. The acceptance bar: our signatures verify with
 * `cosign verify --key … --insecure-ignore-tlog`, and cosign refuses once the tag is re-pushed with
 * different content.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndSign } from '../../../src/actions/build-and-sign/action.js';
import { runAction } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { actionDefaults } from '../../harness/contract.js';
import { buildahAvailable, buildahSandbox, busyboxContext, scratchContext, BUILDAH_INSTALL, type BuildahSandbox } from '../../helpers/buildah.js';
import { htpasswdAvailable, registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../../helpers/registry.js';
import { cosign, cosignBinary, COSIGN_INSTALL } from './cosign.js';

const ready = registryAvailable() && buildahAvailable();
if (!ready) console.log(`skipping build-and-sign integration: ${REGISTRY_INSTALL}; ${BUILDAH_INSTALL}`);
const cosignV2 = cosignBinary('v2');
const cosignV3 = cosignBinary('v3');
const haveCosign = Boolean(cosignV2 && cosignV3);
if (ready && !haveCosign) console.log(`skipping the cosign interop tests: ${COSIGN_INSTALL}`);

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Run {
  code: number;
  runner: MemoryRunner;
  outputs: Record<string, string>;
  errors: string[];
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Raw registry reads (plain fetch, independent of the code under test). */
async function registryGet(base: string, path: string, accept = `${OCI_MANIFEST}, ${OCI_INDEX}`, auth?: string): Promise<{ status: number; digest: string | null; body: string }> {
  const response = await fetch(`${base}${path}`, { headers: { Accept: accept, ...(auth ? { Authorization: auth } : {}) } });
  return { status: response.status, digest: response.headers.get('docker-content-digest'), body: await response.text() };
}

describe.skipIf(!ready)('build-and-sign: buildah + docker-registry + cosign, on loopback', () => {
  let registry: RunningRegistry;
  let sandbox: BuildahSandbox;
  const work = mkdtempSync(join(tmpdir(), 'shipline-bas-'));

  beforeAll(async () => {
    registry = await startRegistry();
    sandbox = buildahSandbox();
  });
  afterAll(async () => {
    await registry?.stop();
    sandbox?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  async function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<Run> {
    const runner = new MemoryRunner(
      { ...actionDefaults('build-and-sign'), 'insecure-registry': 'true', ...inputs },
      {
        ...process.env,
        ...sandbox.env,
        RUNNER_TEMP: work,
        GITHUB_SHA: SHA,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_SERVER_URL: 'https://github.com',
        ACTIONS_ID_TOKEN_REQUEST_URL: '',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: '',
        ...env,
      },
    );
    const code = await runAction(buildAndSign, runner, { setExitCode: false });
    const errors = runner.lines.filter((l) => l.startsWith('::error'));
    return { code, runner, outputs: Object.fromEntries(runner.outputs), errors };
  }

  function pemKeyPair(name: string): { privatePem: string; publicPath: string } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicPath = join(work, `${name}.pub`);
    writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }));
    return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicPath };
  }

  /** `cosign generate-key-pair` with the real binary: an encrypted cosign key and its public key. */
  function cosignKeyPair(binary: string, password: string): { key: string; publicPath: string } {
    const dir = mkdtempSync(join(work, 'cosign-keys-'));
    const result = spawnSync(binary, ['generate-key-pair'], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir, COSIGN_PASSWORD: password }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`cosign generate-key-pair failed: ${result.stderr}`);
    return { key: readFileSync(join(dir, 'cosign.key'), 'utf8'), publicPath: join(dir, 'cosign.pub') };
  }

  /**
   * `cosign verify --key … --insecure-ignore-tlog`. cosign v2.6 switches to the bundle path as soon as
   * it finds a bundle referrer, and that path insists on a trusted root, which it fetches from
   * Sigstore's TUF CDN — unreachable here. Key verification needs nothing from it, so v2 gets an
   * empty trusted root file (online, cosign v2 fetches the real one and behaves the same).
   */
  function verify(binary: string, publicPath: string, ref: string, extra: string[] = []): ReturnType<typeof cosign> {
    const offline = binary === cosignV2 ? ['--trusted-root', emptyTrustedRoot()] : [];
    return cosign(binary, ['verify', '--key', publicPath, '--insecure-ignore-tlog', '--allow-http-registry', ...offline, ...extra, ref]);
  }

  function emptyTrustedRoot(): string {
    const path = join(work, 'empty-trusted-root.json');
    writeFileSync(path, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }));
    return path;
  }

  it('builds, pushes by digest, labels, and signs a bundle with a PKCS#8 key: cosign v3 verifies it; the referrer is under the sha256-<hex> tag', async () => {
    const keys = pemKeyPair('pkcs8');
    const { code, outputs, runner, errors } = await run({
      image: `${registry.host}/acme/api`,
      context: scratchContext(`bundle ${Date.now()}`),
      labels: 'org.opencontainers.image.title=custom-title\nteam=platform',
      'signing-key': keys.privatePem,
    });
    expect(errors).toEqual([]);
    expect(code).toBe(0);

    // digest output = what the registry serves for the tag (read independently)
    const tagged = await registryGet(registry.url, '/v2/acme/api/manifests/sha-abcdef0');
    expect(tagged.status).toBe(200);
    expect(outputs['digest']).toBe(tagged.digest);
    expect(outputs['image']).toBe(`${registry.host}/acme/api@${tagged.digest}`);
    expect(JSON.parse(outputs['tags'] as string)).toEqual([`${registry.host}/acme/api:sha-abcdef0`]);

    // labels: automatic OCI labels, the user's winning on conflict
    const manifest = JSON.parse(tagged.body) as { config: { digest: string } };
    const config = JSON.parse((await registryGet(registry.url, `/v2/acme/api/blobs/${manifest.config.digest}`, '*/*')).body) as { config: { Labels: Record<string, string> } };
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/acme/api',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': 'sha-abcdef0',
      'org.opencontainers.image.title': 'custom-title',
      team: 'platform',
    });
    expect(config.config.Labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);

    // the referrers tag schema: index under sha256-<hex> lists the signature-digest as a bundle
    const fallback = await registryGet(registry.url, `/v2/acme/api/manifests/${(tagged.digest as string).replace(':', '-')}`);
    const index = JSON.parse(fallback.body) as { manifests: { digest: string; artifactType: string }[] };
    expect(index.manifests).toContainEqual(expect.objectContaining({ digest: outputs['signature-digest'], artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));

    const metadata = JSON.parse(outputs['metadata'] as string) as { signatures: { format: string; verified: boolean }[]; verify: string };
    expect(metadata.signatures).toEqual([expect.objectContaining({ format: 'bundle', mode: 'key', verified: true })]);
    expect(metadata.verify).toBe(`cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry ${outputs['image']}`);
    expect(runner.summary).toContain(metadata.verify);

    if (haveCosign) {
      const verified = verify(cosignV3 as string, keys.publicPath, outputs['image'] as string);
      expect(verified.stderr).not.toMatch(/Error/);
      expect(verified.status).toBe(0);
      expect(verified.stdout).toContain(outputs['digest']);
      // another key must not verify it
      const other = pemKeyPair('other');
      expect(verify(cosignV3 as string, other.publicPath, outputs['image'] as string).status).not.toBe(0);
    }
  });

  it.skipIf(!haveCosign)('signs legacy with a key made by `cosign generate-key-pair` (v2, encrypted, password): cosign v2 verifies it, and so does v3', async () => {
    const keys = cosignKeyPair(cosignV2 as string, 'correct horse');
    const { code, outputs, errors } = await run({
      image: `${registry.host}/acme/legacy`,
      context: scratchContext(`legacy ${Date.now()}`),
      'signing-key': keys.key,
      'signing-key-password': 'correct horse',
      'signature-format': 'legacy',
    });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const sig = await registryGet(registry.url, `/v2/acme/legacy/manifests/${(outputs['digest'] as string).replace(':', '-')}.sig`);
    expect(sig.status).toBe(200);
    expect(outputs['signature-digest']).toBe(sig.digest);
    for (const binary of [cosignV2, cosignV3] as string[]) {
      const verified = verify(binary, keys.publicPath, outputs['image'] as string);
      expect(verified.status, verified.stderr).toBe(0);
      expect(verified.stdout).toContain(`"docker-manifest-digest":"${outputs['digest']}"`);
    }
  });

  it.skipIf(!haveCosign)('signs both formats with a cosign v3 key; after the tag is re-pushed with different content, cosign v2 and v3 refuse the tag but still verify the signed digest', async () => {
    const keys = cosignKeyPair(cosignV3 as string, 'pw-v3');
    const image = `${registry.host}/acme/both`;
    const first = await run({ image, context: scratchContext(`first ${Date.now()}`), tags: 'stable', 'signing-key': keys.key, 'signing-key-password': 'pw-v3', 'signature-format': 'both' });
    expect(first.errors).toEqual([]);
    const metadata = JSON.parse(first.outputs['metadata'] as string) as { signatures: { format: string; verified: boolean }[] };
    expect(metadata.signatures.map((s) => [s.format, s.verified])).toEqual([
      ['bundle', true],
      ['legacy', true],
    ]);
    for (const binary of [cosignV2, cosignV3] as string[]) {
      const verified = verify(binary, keys.publicPath, `${image}:stable`);
      expect(verified.status, `${binary}: ${verified.stderr}`).toBe(0);
    }

    // Someone re-pushes :stable with other content (unsigned).
    const second = await run({ image, context: scratchContext(`second ${Date.now()}`), tags: 'stable', sign: 'none' });
    expect(second.errors).toEqual([]);
    expect(second.outputs['digest']).not.toBe(first.outputs['digest']);
    expect(second.outputs['signature-digest']).toBe('');
    for (const binary of [cosignV2, cosignV3] as string[]) {
      const refused = verify(binary, keys.publicPath, `${image}:stable`);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/no signatures found|no matching signatures|no matching attestations/i);
      // the digest that was signed still verifies: signing by digest, not by tag
      expect(verify(binary, keys.publicPath, first.outputs['image'] as string).status).toBe(0);
    }
  });

  it('pushes every tag to the one digest, adds the SemVer tag on tag refs, and signs the index of a two-platform image', async () => {
    const keys = pemKeyPair('multi');
    const { code, outputs, errors } = await run(
      { image: `${registry.host}/acme/multi`, context: scratchContext(`multi ${Date.now()}`), platforms: 'linux/amd64,linux/arm64', 'signing-key': keys.privatePem },
      { GITHUB_REF: 'refs/tags/v1.2.3' },
    );
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(outputs['tags'] as string)).toEqual([`${registry.host}/acme/multi:sha-abcdef0`, `${registry.host}/acme/multi:1.2.3`]);
    for (const tag of ['sha-abcdef0', '1.2.3']) {
      expect((await registryGet(registry.url, `/v2/acme/multi/manifests/${tag}`)).digest).toBe(outputs['digest']);
    }
    const metadata = JSON.parse(outputs['metadata'] as string) as { mediaType: string; platforms: { platform: string; digest: string }[] };
    expect(metadata.mediaType).toMatch(/index|manifest\.list/);
    expect(metadata.platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    if (haveCosign) expect(verify(cosignV3 as string, keys.publicPath, outputs['image'] as string).status).toBe(0);
  });

  it('passes build-arg values through the environment: the build sees them, the log never does', async () => {
    const context = busyboxContext('ARG DEPLOY_TOKEN\nRUN test "$DEPLOY_TOKEN" = "tok-9f8e7d6c" && echo ok > /checked');
    const { code, runner, errors } = await run({ image: `${registry.host}/acme/args`, context, 'build-args': 'DEPLOY_TOKEN=tok-9f8e7d6c', sign: 'none' });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(runner.log).toContain('--build-arg DEPLOY_TOKEN ');
    expect(runner.log).not.toContain('tok-9f8e7d6c');
  });

  describe('bad input fails with one line naming the input, before anything is built or pushed', () => {
    async function catalog(): Promise<string> {
      return (await registryGet(registry.url, '/v2/_catalog', 'application/json')).body;
    }
    function localImages(): string {
      return sandbox.run(['images', '--quiet', '--all']);
    }

    it.each([
      ['no image', {}, 'image', /is required/],
      ['an invalid reference', { image: 'Acme/API' }, 'image', /lower-case/],
      ['an image with a tag', { image: 'HOST/acme/bad:v1' }, 'image', /without a tag/],
      ['keyless without id-token: write', { image: 'HOST/acme/bad', sign: 'keyless' }, 'sign', /id-token: write/],
      ['a malformed build-arg', { image: 'HOST/acme/bad', 'build-args': 'no_equals_sign' }, 'build-args', /is not build-arg=value/],
      ['an unreachable registry', { image: 'CLOSED/acme/bad' }, 'image', /is unreachable: .*ECONNREFUSED/],
    ])('%s', async (_name, inputs, input, message) => {
      const before = [await catalog(), localImages()];
      const closed = await closedPort();
      const withHost = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v).replace('HOST', registry.host).replace('CLOSED', `127.0.0.1:${closed}`)]));
      const { code, errors, runner } = await run({ context: scratchContext('bad'), ...withHost });
      expect(code).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Input '${input}'`);
      expect(errors[0]).toMatch(message);
      expect(runner.log).not.toMatch(/\n\s+at /); // no stack trace
      expect([await catalog(), localImages()]).toEqual(before);
    });

    it.skipIf(!haveCosign)('a wrong password for a cosign key', async () => {
      const keys = cosignKeyPair(cosignV2 as string, 'right');
      const before = [await catalog(), localImages()];
      const { code, errors } = await run({ image: `${registry.host}/acme/badpw`, context: scratchContext('badpw'), 'signing-key': keys.key, 'signing-key-password': 'Tr0ub4dor' });
      expect(code).toBe(1);
      expect(errors).toEqual([`::error title=Invalid input 'signing-key-password'::Input 'signing-key-password': does not decrypt signing-key (not its password)`]);
      expect([await catalog(), localImages()]).toEqual(before);
    });
  });

  describe.skipIf(!htpasswdAvailable())('a registry with Basic auth (htpasswd)', () => {
    let secured: RunningRegistry;
    beforeAll(async () => {
      secured = await startRegistry({ basicAuth: { username: 'ci', password: 'ci-pass-123' } });
    });
    afterAll(async () => secured?.stop());

    it('pushes and signs with registry-username/registry-password, masking the password', async () => {
      const keys = pemKeyPair('auth');
      const { code, outputs, errors, runner } = await run({
        image: `${secured.host}/acme/private`,
        context: scratchContext(`auth ${Date.now()}`),
        'registry-username': 'ci',
        'registry-password': 'ci-pass-123',
        'signing-key': keys.privatePem,
      });
      expect(errors).toEqual([]);
      expect(code).toBe(0);
      expect(runner.secrets).toContain('ci-pass-123');
      expect(runner.log).not.toContain('ci-pass-123');
      if (haveCosign) {
        const verified = verify(cosignV3 as string, keys.publicPath, outputs['image'] as string, ['--registry-username', 'ci', '--registry-password', 'ci-pass-123']);
        expect(verified.status, verified.stderr).toBe(0);
      }
    });

    it('fails on wrong credentials naming registry-password, before building', async () => {
      const before = sandbox.run(['images', '--quiet', '--all']);
      const { code, errors } = await run({ image: `${secured.host}/acme/private`, context: scratchContext('x'), 'registry-username': 'ci', 'registry-password': 'nope', sign: 'none' });
      expect(code).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("Input 'registry-password'");
      expect(errors[0]).toContain("refused the credentials of 'ci'");
      expect(sandbox.run(['images', '--quiet', '--all'])).toBe(before);
    });

    it('fails without credentials naming registry-username', async () => {
      const { code, errors } = await run({ image: `${secured.host}/acme/private`, context: scratchContext('x'), sign: 'none' }, { HOME: work, DOCKER_CONFIG: join(work, 'no-docker-config') });
      expect(code).toBe(1);
      expect(errors[0]).toContain("Input 'registry-username'");
      expect(errors[0]).toContain('requires credentials');
    });
  });
});
