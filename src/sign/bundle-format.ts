/**
 * The `bundle` format, as cosign v3 writes it: a Sigstore bundle v0.3 whose content is a DSSE
 * envelope around an in-toto statement (subject = the image digest, predicate type
 * `https://sigstore.dev/cosign/sign/v1`), pushed as an OCI 1.1 referrer of the image (artifactType
 * and layer `application/vnd.dev.sigstore.bundle.v0.3+json`, annotations
 * `dev.sigstore.bundle.content: dsse-envelope` and `dev.sigstore.bundle.predicateType`).
 */
import type { Bundle } from '@sigstore/bundle';
import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder } from '@sigstore/sign';
import type { RegistryClient } from '../oci/client.js';
import type { Descriptor } from '../oci/manifest.js';
import { BUNDLE_CONTENT_ANNOTATION, BUNDLE_PREDICATE_TYPE_ANNOTATION, CREATED_ANNOTATION, SIGSTORE_BUNDLE_V03 } from '../oci/media-types.js';
import { attachReferrer, type AttachedReferrer } from '../oci/referrers.js';
import type { SigningIdentity } from './identity.js';
import { COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE, signStatement } from './payload.js';

export interface SignedBundle {
  bundle: Bundle;
  /** The bundle's JSON bytes, exactly as pushed. */
  json: Buffer;
}

/** RFC 3339 in UTC without fractions, as Go's time.RFC3339 prints it. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export async function createSignBundle(identity: SigningIdentity, repository: string, digest: string): Promise<SignedBundle> {
  const builder = new DSSEBundleBuilder({ signer: identity.signer, witnesses: identity.witnesses });
  const bundle = await builder.create({ data: signStatement(repository, digest), type: IN_TOTO_PAYLOAD_TYPE });
  // @sigstore/sign copies the key hint into the DSSE signature's keyid. cosign/sigstore-go leave it
  // empty, and go-securesystemslib's DSSE verifier skips a signature whose keyid differs from the
  // hex SHA-256 key ID it computes — cosign v3 then finds 0 valid signatures. The hint stays in
  // verificationMaterial.publicKey, where it belongs.
  if (bundle.content.$case === 'dsseEnvelope') for (const signature of bundle.content.dsseEnvelope.signatures) signature.keyid = '';
  return { bundle, json: Buffer.from(JSON.stringify(bundleToJSON(bundle))) };
}

export function bundleAnnotations(nowMs: number): Record<string, string> {
  return {
    [CREATED_ANNOTATION]: rfc3339(nowMs),
    [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
    [BUNDLE_PREDICATE_TYPE_ANNOTATION]: COSIGN_SIGN_PREDICATE_TYPE,
  };
}

export async function attachBundle(client: RegistryClient, repo: string, image: Descriptor, signed: SignedBundle, nowMs: number): Promise<AttachedReferrer> {
  return attachReferrer(client, repo, image, {
    artifactType: SIGSTORE_BUNDLE_V03,
    layerMediaType: SIGSTORE_BUNDLE_V03,
    data: signed.json,
    annotations: bundleAnnotations(nowMs),
  });
}
