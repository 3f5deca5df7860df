/**
 * Contract tests: dist/build-and-sign/index.js run with Node 24 exactly as the runner runs it
 * (INPUT_* variables, GITHUB_OUTPUT/STEP_SUMMARY files), against Debian's docker-registry and buildah
 * on loopback — and the Sigstore bundle it pushes, checked field by field against the bundle v0.3
 * format cosign v3 writes.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runBundle, type BundleRun } from '../harness/contract.js';
import { buildahAvailable, buildahSandbox, scratchContext, BUILDAH_INSTALL, type BuildahSandbox } from '../helpers/buildah.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../helpers/registry.js';

const runs: BundleRun[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) cleanup(run);
});

async function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<BundleRun> {
  const result = await runBundle('build-and-sign', inputs, { env, timeoutMs: 120_000 });
  runs.push(result);
  return result;
}

/** DSSE pre-authentication encoding (DSSE spec v1). */
function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}

describe('build-and-sign bundle: user mistakes', () => {
  it('fails fast on a missing image: one ::error:: line naming it, no stack, nothing else done', async () => {
    const result = await run({});
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual(["Input 'image': is required and was not given"]);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.outputs).toEqual({});
  });

  it('names signing-key-password for a cosign key without its password, and masks the key first', async () => {
    const key = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify({ kdf: { name: 'scrypt', params: { N: 32768, r: 8, p: 1 }, salt: 'c2FsdA==' }, cipher: { name: 'nacl/secretbox', nonce: Buffer.alloc(24).toString('base64') }, ciphertext: Buffer.alloc(40).toString('base64') })).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----`;
    const result = await run({ image: 'ghcr.io/acme/api', context: scratchContext('x'), 'signing-key': key });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual(["Input 'signing-key-password': is required: signing-key is an encrypted cosign key"]);
    const firstMask = result.stdout.split('\n').findIndex((l) => l.startsWith('::add-mask::'));
    expect(firstMask).toBeGreaterThanOrEqual(0);
    expect(result.stdout.split('\n').findIndex((l) => l.startsWith('::error'))).toBeGreaterThan(firstMask);
  });
});

const ready = registryAvailable() && buildahAvailable();
if (!ready) console.log(`skipping the build-and-sign bundle run: ${REGISTRY_INSTALL}; ${BUILDAH_INSTALL}`);

describe.skipIf(!ready)('build-and-sign bundle: a real build, push and signature (docker-registry + buildah)', () => {
  let registry: RunningRegistry;
  let sandbox: BuildahSandbox;
  beforeAll(async () => {
    registry = await startRegistry();
    sandbox = buildahSandbox();
  });
  afterAll(async () => {
    await registry?.stop();
    sandbox?.cleanup();
  });

  it('sets every output, writes the summary, never prints the key, and pushes a Sigstore bundle v0.3 that matches cosign v3', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const result = await run(
      { image: `${registry.host}/acme/contract`, context: scratchContext(`contract ${Date.now()}`), 'signing-key': pem, 'insecure-registry': 'true', tags: 'main\nlatest' },
      sandbox.env,
    );
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    // outputs
    const { digest, image, tags, metadata } = result.outputs as Record<string, string>;
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(image).toBe(`${registry.host}/acme/contract@${digest}`);
    expect(JSON.parse(tags as string)).toEqual([`${registry.host}/acme/contract:main`, `${registry.host}/acme/contract:latest`]);
    expect(result.outputs['signature-digest']).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(JSON.parse(metadata as string)).toMatchObject({ image, digest, builder: 'buildah', pushed: true, signatures: [{ format: 'bundle', mode: 'key', verified: true }] });

    // summary and log
    expect(result.summary).toContain(`cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry ${image}`);
    for (const line of pem.trim().split('\n').filter((l) => l.length > 40)) {
      for (const printed of result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'))) expect(printed).not.toContain(line);
    }

    // the bundle in the registry, field by field
    const referrer = (await (await fetch(`${registry.url}/v2/acme/contract/manifests/${result.outputs['signature-digest']}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
      artifactType: string;
      layers: { mediaType: string; digest: string }[];
      subject: { digest: string };
    };
    expect(referrer.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(referrer.subject.digest).toBe(digest);
    const bundle = (await (await fetch(`${registry.url}/v2/acme/contract/blobs/${referrer.layers[0]?.digest}`)).json()) as {
      mediaType: string;
      verificationMaterial: { publicKey: { hint: string }; tlogEntries?: unknown[]; timestampVerificationData?: unknown };
      dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
    };
    expect(Object.keys(bundle).sort()).toEqual(['dsseEnvelope', 'mediaType', 'verificationMaterial']);
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey.hint).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // key mode: no transparency log (protobuf JSON omits the empty list)
    expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(Object.keys(bundle.verificationMaterial).filter((k) => k !== 'tlogEntries' && k !== 'timestampVerificationData')).toEqual(['publicKey']);
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
    expect(bundle.dsseEnvelope.signatures[0]?.keyid ?? '').toBe('');
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const statement = JSON.parse(payload.toString()) as { _type: string; predicateType: string; subject: { digest: { sha256: string } }[] };
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://sigstore.dev/cosign/sign/v1');
    expect(statement.subject[0]?.digest.sha256).toBe((digest as string).slice('sha256:'.length));
    const signature = Buffer.from(bundle.dsseEnvelope.signatures[0]?.sig as string, 'base64');
    expect(verify('sha256', pae('application/vnd.in-toto+json', payload), createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })), signature)).toBe(true);
  });
});
