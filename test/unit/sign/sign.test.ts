import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/oci/client.js';
import { sha256Digest, type Descriptor } from '../../../src/oci/manifest.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../../../src/oci/media-types.js';
import { cosignVerifyCommand } from '../../../src/sign/cosign-command.js';
import { keyIdentity } from '../../../src/sign/identity.js';
import { loadSigningKey } from '../../../src/sign/key.js';
import { signatureConfig } from '../../../src/sign/legacy-format.js';
import { signStatement, simpleSigningPayload } from '../../../src/sign/payload.js';
import { signImage } from '../../../src/sign/sign.js';
import { SignatureVerificationError } from '../../../src/sign/verify.js';
import { startRegistryEmulator, type RegistryEmulator } from '../oci/registry-emulator.js';

const clock = { now: () => Date.parse('2026-03-04T05:06:07.890Z'), sleep: async () => {} };
const log = { info: () => {} };

async function pemKey(): Promise<Awaited<ReturnType<typeof loadSigningKey>>> {
  return loadSigningKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), undefined);
}

describe('signed payloads (what cosign v2 and v3 write)', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it('simple signing: the docker-manifest-digest, never a tag', () => {
    expect(simpleSigningPayload('ghcr.io/acme/api', digest).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"ghcr.io/acme/api"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });
  it("in-toto statement v1 with cosign's sign predicate", () => {
    expect(JSON.parse(signStatement('ghcr.io/acme/api', digest).toString())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ghcr.io/acme/api', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });
  });
  it('the .sig config blob is byte-identical to what cosign v2.6.5 pushed for one signature', () => {
    // Captured from `cosign sign --key … --tlog-upload=false` against docker-registry 2.8.
    const layer = { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: 'sha256:46e02b8d34d7ac074026c0422d1352f14251b71e01c50c1b3ba5955baaac8548', size: 240 };
    const config = signatureConfig([layer]);
    expect(config.toString()).toBe(
      '{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:46e02b8d34d7ac074026c0422d1352f14251b71e01c50c1b3ba5955baaac8548"]},"config":{}}',
    );
    expect(sha256Digest(config)).toBe('sha256:5fe5336695c77d5bc344aa8dd8130d61ddd62fdcb3bcc38d722f911a8f9a0490');
  });
});

describe('cosign verify command', () => {
  it.each([
    [{ mode: 'key' as const, imageRef: 'ghcr.io/a/b@sha256:1', insecure: false }, 'cosign verify --key cosign.pub --insecure-ignore-tlog ghcr.io/a/b@sha256:1'],
    [{ mode: 'key' as const, imageRef: 'localhost:5000/a@sha256:1', insecure: true }, 'cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry localhost:5000/a@sha256:1'],
    [
      { mode: 'keyless' as const, imageRef: 'ghcr.io/a/b@sha256:1', insecure: false, identity: 'https://github.com/a/b/.github/workflows/r.yml@refs/tags/v1', issuer: 'https://token.actions.githubusercontent.com' },
      'cosign verify --certificate-identity https://github.com/a/b/.github/workflows/r.yml@refs/tags/v1 --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/a/b@sha256:1',
    ],
  ])('%j', (options, expected) => {
    expect(cosignVerifyCommand(options)).toBe(expected);
  });
});

describe('signImage with a key, against an OCI 1.1 registry emulator (referrers API)', () => {
  let emulator: RegistryEmulator;
  let client: RegistryClient;
  beforeAll(async () => {
    emulator = await startRegistryEmulator();
    client = new RegistryClient({ registry: emulator.host, insecure: true, clock });
  });
  afterAll(async () => emulator?.close());

  async function pushImage(): Promise<Descriptor> {
    const config = Buffer.from(`{"n":${Math.random()}}`);
    await client.pushBlob('acme/api', config);
    const pushed = await client.pushManifest('acme/api', 'v1', { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length }, layers: [] });
    return { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size };
  }

  it('finds the bundle through the referrers API and records cosign-style annotations', async () => {
    const image = await pushImage();
    const [record] = await signImage({ client, repo: 'acme/api', repository: `${emulator.host}/acme/api`, image, formats: ['bundle'], identity: await keyIdentity(await pemKey()), clock, log });
    expect(record).toMatchObject({ format: 'bundle', mode: 'key', verified: true, foundVia: 'referrers API' });
    const referrer = await client.getManifest('acme/api', record?.digest as string);
    expect(referrer?.manifest).toMatchObject({
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest('{}'), size: 2 },
      subject: image,
      annotations: {
        'org.opencontainers.image.created': '2026-03-04T05:06:07Z',
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      },
    });
  });

  it('appends legacy signatures to the ones already under .sig, as cosign does', async () => {
    const image = await pushImage();
    for (let i = 0; i < 2; i++) await signImage({ client, repo: 'acme/api', repository: `${emulator.host}/acme/api`, image, formats: ['legacy'], identity: await keyIdentity(await pemKey()), clock, log });
    const sig = await client.getManifest('acme/api', `${image.digest.replace(':', '-')}.sig`);
    expect((sig?.manifest as { layers: unknown[] }).layers).toHaveLength(2);
  });

  it('fails when the signature just written does not verify (a signer whose key is not the one it claims)', async () => {
    const image = await pushImage();
    const honest = await pemKey();
    const other = await pemKey();
    const identity = await keyIdentity(honest);
    // Signs with another private key while presenting the honest key's hint and public key.
    identity.signer = { sign: async (data) => ({ ...(await (await keyIdentity(other)).signer.sign(data)), key: { $case: 'publicKey', publicKey: honest.publicKeyPem, hint: honest.hint } }) };
    for (const format of ['bundle', 'legacy'] as const) {
      const error = await signImage({ client, repo: 'acme/api', repository: `${emulator.host}/acme/api`, image, formats: [format], identity, clock, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignatureVerificationError);
      expect((error as Error).message).toMatch(/does not verify/);
    }
  });
});
