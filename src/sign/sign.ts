/**
 * Signs an image by digest in the requested formats, pushes the signatures next to it, then reads
 * each one back from the registry and verifies it; a signature that does not verify fails the step.
 */
import type { Clock, Logger } from '../core/index.js';
import type { RegistryClient } from '../oci/client.js';
import type { Descriptor } from '../oci/manifest.js';
import { COSIGN_SIGNATURE_ANNOTATION } from '../oci/media-types.js';
import { attachBundle, createSignBundle } from './bundle-format.js';
import type { SigningIdentity } from './identity.js';
import { createLegacySignature, pushLegacySignature } from './legacy-format.js';
import { keylessTrustMaterial, keyTrustMaterial } from './trust.js';
import { verifyBundleInRegistry, verifyLegacyInRegistry, type VerificationContext } from './verify.js';

export type Format = 'bundle' | 'legacy';

export interface SignatureRecord {
  format: Format;
  mode: 'key' | 'keyless';
  /** Digest of the signature manifest (the bundle referrer, or the `.sig` manifest). */
  digest: string;
  /** Where it lives: `repo@sha256:…` for a bundle, `repo:sha256-….sig` for legacy. */
  reference: string;
  foundVia: string;
  verified: boolean;
  /** Keyless: the certificate identity. */
  identity?: string;
  /** Keyless: the Rekor log index. */
  logIndex?: string;
}

export interface SignRequest {
  client: RegistryClient;
  /** Path inside the registry (`acme/api`). */
  repo: string;
  /** `registry/path`, as written into the signed payloads. */
  repository: string;
  image: Descriptor;
  formats: Format[];
  identity: SigningIdentity;
  clock: Pick<Clock, 'now'>;
  log: Pick<Logger, 'info'>;
}

async function verificationContext(identity: SigningIdentity): Promise<VerificationContext> {
  if (identity.mode === 'key') {
    return {
      trust: await keyTrustMaterial(identity.key.publicKey, identity.key.hint),
      options: { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
      publicKey: identity.key.publicKey,
    };
  }
  const { trust, caCertificates } = await keylessTrustMaterial(identity.fulcioUrl, identity.rekorUrl, identity.fetch);
  return { trust, caCertificates, options: { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 } };
}

export async function signImage(request: SignRequest): Promise<SignatureRecord[]> {
  const { client, repo, repository, image, identity, log } = request;
  const records: SignatureRecord[] = [];
  const pending: (() => Promise<void>)[] = [];
  for (const format of request.formats) {
    if (format === 'bundle') {
      const signed = await createSignBundle(identity, repository, image.digest);
      const attached = await attachBundle(client, repo, image, signed, request.clock.now());
      const entry = signed.bundle.verificationMaterial.tlogEntries[0];
      log.info(`✓ bundle signature ${attached.descriptor.digest} attached to ${image.digest} (${attached.indexedBy === 'api' ? 'referrers API' : `referrers tag ${attached.fallbackTag}`})`);
      const record: SignatureRecord = {
        format,
        mode: identity.mode,
        digest: attached.descriptor.digest,
        reference: `${repository}@${attached.descriptor.digest}`,
        foundVia: attached.indexedBy === 'api' ? 'referrers API' : `tag ${attached.fallbackTag}`,
        verified: false,
        ...(entry ? { logIndex: entry.logIndex } : {}),
      };
      records.push(record);
      pending.push(async () => {
        const verified = await verifyBundleInRegistry(client, repo, image, attached.descriptor.digest, await context());
        Object.assign(record, { verified: true, foundVia: verified.foundVia, ...(verified.identity ? { identity: verified.identity } : {}) });
      });
    } else {
      const signature = await createLegacySignature(identity, repository, image.digest);
      const pushed = await pushLegacySignature(client, repo, image.digest, signature);
      const entry = signature.bundle.verificationMaterial.tlogEntries[0];
      log.info(`✓ legacy signature pushed as ${repository}:${pushed.tag} (${pushed.count} signature${pushed.count > 1 ? 's' : ''} there)`);
      const record: SignatureRecord = {
        format,
        mode: identity.mode,
        digest: pushed.descriptor.digest,
        reference: `${repository}:${pushed.tag}`,
        foundVia: `tag ${pushed.tag}`,
        verified: false,
        ...(entry ? { logIndex: entry.logIndex } : {}),
      };
      records.push(record);
      pending.push(async () => {
        const verified = await verifyLegacyInRegistry(client, repo, image.digest, pushed.layer.digest, signature.annotations[COSIGN_SIGNATURE_ANNOTATION] as string, await context());
        Object.assign(record, { verified: true, digest: verified.manifestDigest, ...(verified.identity ? { identity: verified.identity } : {}) });
      });
    }
  }
  let cached: Promise<VerificationContext> | undefined;
  const context = (): Promise<VerificationContext> => (cached ??= verificationContext(identity));
  for (const check of pending) await check();
  log.info(`✓ ${records.length} signature${records.length > 1 ? 's' : ''} read back from the registry and verified`);
  return records;
}
