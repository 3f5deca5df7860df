/**
 * Reads a signature back from the registry and verifies it the way cosign will: found where cosign
 * looks (referrers / `sha256-<hex>` index for bundles, `sha256-<hex>.sig` for legacy), bound to the
 * image digest, and cryptographically valid against the signing key or the Fulcio/Rekor material.
 */
import { verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import type { TrustMaterial, VerifierOptions } from '@sigstore/verify';
import { bundleFromJSON } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import type { RegistryClient } from '../oci/client.js';
import type { Descriptor, ImageManifest } from '../oci/manifest.js';
import { COSIGN_BUNDLE_ANNOTATION, COSIGN_CERTIFICATE_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION, SIGSTORE_BUNDLE_V03 } from '../oci/media-types.js';
import { parsePem } from './key.js';
import { verifyChain } from './trust.js';
import { signatureTag } from './legacy-format.js';
import { COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE, parseSimpleSigning, parseStatement, statementCovers } from './payload.js';

export class SignatureVerificationError extends Error {
  override readonly name = 'SignatureVerificationError';
}

export interface VerificationContext {
  trust: TrustMaterial;
  options: VerifierOptions;
  /** Key mode: the public key, for the legacy signature check without a bundle. */
  publicKey?: KeyObject;
  /** Keyless: the Fulcio CA certificates the signing certificate must chain to. */
  caCertificates?: X509Certificate[];
}

export interface VerifiedSignature {
  format: 'bundle' | 'legacy';
  /** The referrer manifest (bundle) or the `.sig` manifest (legacy). */
  manifestDigest: string;
  /** Where cosign finds it: `referrers API`, `tag sha256-…` or `tag sha256-….sig`. */
  foundVia: string;
  /** The certificate's subject alternative name (keyless). */
  identity?: string;
}

function fail(message: string): never {
  throw new SignatureVerificationError(message);
}

const LEAF_HINT = 'fulcio-leaf';

/** The certificate of a bundle's verification material, if it has one. */
function bundleCertificate(bundle: Bundle): Buffer | undefined {
  const content = bundle.verificationMaterial.content;
  if (content.$case === 'certificate') return content.certificate.rawBytes;
  if (content.$case === 'x509CertificateChain') return content.x509CertificateChain.certificates[0]?.rawBytes;
  return undefined;
}

/** `URI:https://…` / `email:…` → the value. */
function sanValue(san: string | undefined): string | undefined {
  const first = san?.split(',')[0]?.trim();
  return first?.replace(/^(URI|email|DNS):/, '');
}

async function runVerifier(bundle: Bundle, context: VerificationContext, artifact?: Buffer): Promise<{ identity?: string }> {
  try {
    const entity = toSignedEntity(bundle, artifact);
    const der = bundleCertificate(bundle);
    let trust = context.trust;
    let identity: string | undefined;
    if (der) {
      // Keyless: chain the leaf to Fulcio's CA here (Node's X509), then let @sigstore/verify check
      // the signature, the Rekor entry and that its integrated time falls in the leaf's validity.
      if (!context.caCertificates?.length) fail('the signature carries a certificate but no CA was given to check it');
      const leaf = new X509Certificate(der);
      try {
        verifyChain(leaf, context.caCertificates);
      } catch (error) {
        fail((error as Error).message);
      }
      identity = sanValue(leaf.subjectAltName);
      const from = Date.parse(leaf.validFrom);
      const to = Date.parse(leaf.validTo);
      entity.key = { $case: 'public-key', hint: LEAF_HINT };
      trust = { ...trust, publicKey: () => ({ publicKey: leaf.publicKey, validFor: (date: Date) => date.getTime() >= from - 1000 && date.getTime() <= to + 1000 }) };
    }
    new Verifier(trust, context.options).verify(entity);
    return identity ? { identity } : {};
  } catch (error) {
    if (error instanceof SignatureVerificationError) throw error;
    fail(`the signature does not verify: ${(error as Error).message}`);
  }
}

export async function verifyBundleInRegistry(client: RegistryClient, repo: string, image: Descriptor, referrerDigest: string, context: VerificationContext): Promise<VerifiedSignature> {
  const listed = await client.referrers(repo, image.digest, SIGSTORE_BUNDLE_V03);
  if (!listed.manifests.some((m) => m.digest === referrerDigest)) {
    fail(`the bundle ${referrerDigest} is not listed among the referrers of ${image.digest} (${listed.via === 'none' ? 'no referrers found' : `looked via ${listed.via}`})`);
  }
  const fetched = await client.getManifest(repo, referrerDigest, { retryNotFound: true });
  if (!fetched || !('layers' in fetched.manifest)) fail(`the bundle manifest ${referrerDigest} is missing or not an image manifest`);
  const manifest = fetched.manifest as ImageManifest;
  if (manifest.subject?.digest !== image.digest) fail(`the bundle manifest's subject is ${manifest.subject?.digest ?? 'missing'}, not ${image.digest}`);
  const layer = manifest.layers[0];
  if (manifest.layers.length !== 1 || !layer?.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) fail('the bundle manifest must have exactly one sigstore bundle layer');
  const blob = await client.getBlob(repo, layer.digest);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(blob.toString('utf8')));
  } catch (error) {
    fail(`the bundle does not parse: ${(error as Error).message}`);
  }
  if (bundle.mediaType !== SIGSTORE_BUNDLE_V03) fail(`the bundle is ${bundle.mediaType}, expected ${SIGSTORE_BUNDLE_V03}`);
  if (bundle.content.$case !== 'dsseEnvelope') fail('the bundle does not hold a DSSE envelope');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) fail(`the DSSE payload type is ${envelope.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  const statement = parseStatement(envelope.payload);
  if (!statement) fail('the DSSE payload is not an in-toto statement');
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) fail(`the statement's predicate type is ${statement.predicateType}`);
  if (!statementCovers(statement, image.digest)) fail(`the statement's subject is not ${image.digest}`);
  const { identity } = await runVerifier(bundle, context);
  return { format: 'bundle', manifestDigest: referrerDigest, foundVia: listed.via === 'api' ? 'referrers API' : `tag ${image.digest.replace(':', '-')}`, ...(identity ? { identity } : {}) };
}

/** Rebuilds the Rekor entry cosign's `dev.sigstore.cosign/bundle` annotation describes. */
export function tlogEntryFromAnnotation(text: string): TransparencyLogEntry {
  const parsed = JSON.parse(text) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
  const body = Buffer.from(parsed.Payload.body, 'base64');
  const kind = JSON.parse(body.toString('utf8')) as { kind?: string; apiVersion?: string };
  return {
    logIndex: String(parsed.Payload.logIndex),
    logId: { keyId: Buffer.from(parsed.Payload.logID, 'hex') },
    kindVersion: { kind: kind.kind ?? 'hashedrekord', version: kind.apiVersion ?? '0.0.1' },
    integratedTime: String(parsed.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(parsed.SignedEntryTimestamp, 'base64') },
    inclusionProof: undefined,
    canonicalizedBody: body,
  };
}

export async function verifyLegacyInRegistry(
  client: RegistryClient,
  repo: string,
  imageDigest: string,
  layerDigest: string,
  signatureB64: string,
  context: VerificationContext,
): Promise<VerifiedSignature> {
  const tag = signatureTag(imageDigest);
  const fetched = await client.getManifest(repo, tag, { retryNotFound: true });
  if (!fetched || !('layers' in fetched.manifest)) fail(`${repo}:${tag} is missing or not an image manifest`);
  const layer = (fetched.manifest as ImageManifest).layers.find((l) => l.digest === layerDigest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === signatureB64);
  if (!layer) fail(`${repo}:${tag} does not hold the signature just written`);
  const payload = await client.getBlob(repo, layer.digest);
  const simple = parseSimpleSigning(payload);
  if (!simple) fail('the signature payload is not a cosign simple-signing document');
  if (simple.critical.image['docker-manifest-digest'] !== imageDigest) fail(`the payload signs ${simple.critical.image['docker-manifest-digest']}, not ${imageDigest}`);
  const signature = Buffer.from(signatureB64, 'base64');
  const certificatePem = layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION];
  let identity: string | undefined;
  if (certificatePem) {
    const certificate = parsePem(certificatePem).find((b) => b.type === 'CERTIFICATE');
    const rekor = layer.annotations?.[COSIGN_BUNDLE_ANNOTATION];
    if (!certificate) fail('the signature layer has a certificate annotation without a certificate');
    if (!rekor) fail('the keyless signature layer has no Rekor bundle annotation');
    const { createHash } = await import('node:crypto');
    const bundle: Bundle = {
      mediaType: SIGSTORE_BUNDLE_V03,
      verificationMaterial: {
        content: { $case: 'certificate', certificate: { rawBytes: certificate.der } },
        tlogEntries: [tlogEntryFromAnnotation(rekor)],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      content: {
        $case: 'messageSignature',
        messageSignature: { messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(payload).digest() }, signature },
      },
    };
    identity = (await runVerifier(bundle, context, payload)).identity;
  } else {
    if (!context.publicKey) fail('the signature has no certificate and no key was given to check it');
    if (!cryptoVerify('sha256', payload, context.publicKey, signature)) fail('the signature does not verify with the signing key');
  }
  return { format: 'legacy', manifestDigest: fetched.descriptor.digest, foundVia: `tag ${tag}`, ...(identity ? { identity } : {}) };
}
