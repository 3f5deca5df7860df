/**
 * Keyless signing against a Sigstore emulator (@sigstore/mock's Fulcio and Rekor on loopback, plus
 * the Actions OIDC endpoint) and a real docker-registry: Fulcio certifies the job's identity, Rekor
 * witnesses each signature, both formats are pushed, read back and verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../../../src/oci/media-types.js';
import { sha256Digest, type Descriptor } from '../../../src/oci/manifest.js';
import { keylessIdentity } from '../../../src/sign/identity.js';
import { MISSING_ID_TOKEN, OidcError, requestGitHubIdToken } from '../../../src/sign/oidc.js';
import { signImage } from '../../../src/sign/sign.js';
import { SignatureVerificationError } from '../../../src/sign/verify.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../../helpers/registry.js';
import { GITHUB_ISSUER, REQUEST_TOKEN, startSigstoreEmulator, WORKFLOW_IDENTITY, type SigstoreEmulator } from './sigstore-emulator.js';

const haveRegistry = registryAvailable();
if (!haveRegistry) console.log(`skipping keyless registry tests: ${REGISTRY_INSTALL}`);

describe('GitHub OIDC token (Actions runner protocol, emulated on loopback)', () => {
  let sigstore: SigstoreEmulator;
  beforeAll(async () => (sigstore = await startSigstoreEmulator()));
  afterAll(async () => sigstore?.close());

  it('fails early with the id-token: write sentence when the runner variables are absent', async () => {
    await expect(requestGitHubIdToken({})).rejects.toThrow(MISSING_ID_TOKEN);
    await expect(requestGitHubIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.oidcUrl })).rejects.toBeInstanceOf(OidcError);
  });

  it('asks for audience sigstore with the request token, and hands the token to be masked', async () => {
    const masked: string[] = [];
    const token = await requestGitHubIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }, { onToken: (t) => masked.push(t) });
    expect(token.split('.')).toHaveLength(3);
    expect(masked).toEqual([token]);
    expect(sigstore.requests.oidcAudiences.at(-1)).toBe('sigstore');
  });

  it('explains a refused token request', async () => {
    const error = await requestGitHubIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/answered 401 \(does the job have `permissions: id-token: write`\?\)/);
  });
});

describe.skipIf(!haveRegistry)('keyless signing: Fulcio + Rekor emulators, real docker-registry', () => {
  let sigstore: SigstoreEmulator;
  let registry: RunningRegistry;
  let client: RegistryClient;
  let image: Descriptor;
  let counter = 0;

  beforeAll(async () => {
    sigstore = await startSigstoreEmulator();
    registry = await startRegistry();
    client = new RegistryClient({ registry: registry.host, insecure: true, clock: systemClock });
  });
  afterAll(async () => {
    await sigstore?.close();
    await registry?.stop();
  });

  /** Pushes a small unique image and returns its descriptor. */
  async function pushImage(): Promise<Descriptor> {
    const layer = Buffer.from(`layer ${Date.now()} ${counter++}`);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] } }));
    await client.pushBlob('acme/keyless', layer);
    await client.pushBlob('acme/keyless', config);
    const pushed = await client.pushManifest('acme/keyless', 'latest', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256Digest(layer), size: layer.length }],
    });
    return { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size };
  }

  async function identity() {
    return keylessIdentity({
      getToken: () => requestGitHubIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }),
      issuer: GITHUB_ISSUER,
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
    });
  }

  it('signs both formats: a Fulcio certificate for the workflow identity, a Rekor entry each, verified after reading back', async () => {
    image = await pushImage();
    const before = { ...sigstore.requests };
    const records = await signImage({
      client,
      repo: 'acme/keyless',
      repository: `${registry.host}/acme/keyless`,
      image,
      formats: ['bundle', 'legacy'],
      identity: await identity(),
      clock: systemClock,
      log: { info: () => {} },
    });
    expect(records.map((r) => [r.format, r.mode, r.verified, r.identity])).toEqual([
      ['bundle', 'keyless', true, WORKFLOW_IDENTITY],
      ['legacy', 'keyless', true, WORKFLOW_IDENTITY],
    ]);
    expect(records.every((r) => /^\d+$/.test(r.logIndex ?? ''))).toBe(true);
    expect(sigstore.requests.rekor - before.rekor).toBe(2);
    expect(sigstore.requests.fulcio - before.fulcio).toBe(2);

    // the legacy layer carries what cosign v2 reads: signature, certificate, Rekor bundle
    const sig = await client.getManifest('acme/keyless', `${image.digest.replace(':', '-')}.sig`);
    const annotations = (sig?.manifest as { layers: { annotations: Record<string, string> }[] }).layers[0]?.annotations ?? {};
    expect(Object.keys(annotations).sort()).toEqual(['dev.cosignproject.cosign/signature', 'dev.sigstore.cosign/bundle', 'dev.sigstore.cosign/certificate']);
    const rekorBundle = JSON.parse(annotations['dev.sigstore.cosign/bundle'] as string) as { Payload: { body: string; logID: string } };
    expect(JSON.parse(Buffer.from(rekorBundle.Payload.body, 'base64').toString()).kind).toBe('hashedrekord');

    // the bundle: v0.3, certificate (not a chain), one dsse tlog entry
    const referrer = await client.getManifest('acme/keyless', records[0]?.digest as string);
    const layer = (referrer?.manifest as { layers: Descriptor[] }).layers[0] as Descriptor;
    const bundle = JSON.parse((await client.getBlob('acme/keyless', layer.digest)).toString()) as {
      mediaType: string;
      verificationMaterial: { certificate?: unknown; tlogEntries: { kindVersion: { kind: string } }[] };
    };
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.certificate).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries.map((e) => e.kindVersion.kind)).toEqual(['dsse']);
  });

  it('fails the post-sign verification when the log key does not match the entries (a signature that does not verify is an error)', async () => {
    const other = await startSigstoreEmulator();
    try {
      other.serveWrongRekorKey();
      const error = await signImage({
        client,
        repo: 'acme/keyless',
        repository: `${registry.host}/acme/keyless`,
        image: await pushImage(),
        formats: ['bundle'],
        identity: await keylessIdentity({
          getToken: () => requestGitHubIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: other.oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }),
          issuer: GITHUB_ISSUER,
          fulcioUrl: other.fulcioUrl,
          rekorUrl: other.rekorUrl,
        }),
        clock: systemClock,
        log: { info: () => {} },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignatureVerificationError);
      expect((error as Error).message).toMatch(/does not verify/);
    } finally {
      await other.close();
    }
  });
});
