/**
 * The `legacy` format, as cosign v2 writes it: an OCI image manifest under the tag
 * `sha256-<hex>.sig` in the image's repository, one layer per signature. Each layer is the
 * simple-signing payload (`application/vnd.dev.cosign.simplesigning.v1+json`), annotated with the
 * base64 signature (`dev.cosignproject.cosign/signature`) and, for keyless signatures, the Fulcio
 * certificate (`dev.sigstore.cosign/certificate`) and the Rekor bundle (`dev.sigstore.cosign/bundle`).
 * A new signature is appended to the signatures already there, as cosign does.
 */
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { MessageSignatureBundleBuilder } from '@sigstore/sign';
import type { RegistryClient } from '../oci/client.js';
import type { Descriptor, ImageManifest } from '../oci/manifest.js';
import { sha256Digest } from '../oci/manifest.js';
import {
  COSIGN_BUNDLE_ANNOTATION,
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIMPLE_SIGNING,
  OCI_CONFIG,
  OCI_MANIFEST,
} from '../oci/media-types.js';
import { digestTag } from '../oci/reference.js';
import type { SigningIdentity } from './identity.js';
import { simpleSigningPayload } from './payload.js';

export interface LegacySignature {
  payload: Buffer;
  /** Layer annotations: the signature, and for keyless the certificate and Rekor bundle. */
  annotations: Record<string, string>;
  /** The message-signature bundle @sigstore/sign produced (certificate + tlog entry for keyless). */
  bundle: Bundle;
}

export interface PushedLegacySignature {
  tag: string;
  descriptor: Descriptor;
  /** The layer holding this signature. */
  layer: Descriptor;
  /** Signatures in the manifest after the push (earlier ones kept). */
  count: number;
}

export function signatureTag(digest: string): string {
  return `${digestTag(digest)}.sig`;
}

function toPem(der: Buffer, type = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** cosign's `dev.sigstore.cosign/bundle`: the Rekor SET and the entry it promises. */
export function rekorBundleAnnotation(entry: TransparencyLogEntry): string {
  if (!entry.inclusionPromise) throw new Error('the Rekor entry has no inclusion promise (signed entry timestamp)');
  return JSON.stringify({
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp.toString('base64'),
    Payload: {
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: entry.logId.keyId.toString('hex'),
    },
  });
}

export async function createLegacySignature(identity: SigningIdentity, repository: string, digest: string): Promise<LegacySignature> {
  const payload = simpleSigningPayload(repository, digest);
  const builder = new MessageSignatureBundleBuilder({ signer: identity.signer, witnesses: identity.witnesses });
  const bundle = await builder.create({ data: payload });
  if (bundle.content.$case !== 'messageSignature') throw new Error('expected a message signature');
  const annotations: Record<string, string> = {
    [COSIGN_SIGNATURE_ANNOTATION]: bundle.content.messageSignature.signature.toString('base64'),
  };
  const material = bundle.verificationMaterial.content;
  const certificate =
    material.$case === 'x509CertificateChain' ? material.x509CertificateChain.certificates[0]?.rawBytes : material.$case === 'certificate' ? material.certificate.rawBytes : undefined;
  if (certificate) annotations[COSIGN_CERTIFICATE_ANNOTATION] = toPem(certificate);
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (entry) annotations[COSIGN_BUNDLE_ANNOTATION] = rekorBundleAnnotation(entry);
  return { payload, annotations, bundle };
}

/** The config blob of a signature image, as go-containerregistry writes it for cosign. */
export function signatureConfig(layers: readonly Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

export async function pushLegacySignature(client: RegistryClient, repo: string, imageDigest: string, signature: LegacySignature): Promise<PushedLegacySignature> {
  const tag = signatureTag(imageDigest);
  const layer: Descriptor = {
    mediaType: COSIGN_SIMPLE_SIGNING,
    digest: sha256Digest(signature.payload),
    size: signature.payload.length,
    annotations: signature.annotations,
  };
  const [existing] = await Promise.all([client.getManifest(repo, tag), client.pushBlob(repo, signature.payload)]);
  let layers: Descriptor[] = [];
  if (existing && 'layers' in existing.manifest) layers = existing.manifest.layers;
  const same = (l: Descriptor): boolean => l.digest === layer.digest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
  if (!layers.some(same)) layers = [...layers, layer];
  const config = signatureConfig(layers);
  await client.pushBlob(repo, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256Digest(config) },
    layers,
  };
  const pushed = await client.pushManifest(repo, tag, manifest);
  return { tag, descriptor: { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size }, layer, count: layers.length };
}
