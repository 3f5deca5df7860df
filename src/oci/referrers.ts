/**
 * Attaching an artifact to an image as an OCI 1.1 referrer: the artifact blob, the empty config,
 * and a manifest whose `subject` is the image. A registry with the referrers API indexes it itself
 * (it answers with an `OCI-Subject` header); for the others the referrers tag schema is maintained
 * by hand: the image index under the tag `sha256-<hex>` of the subject gets a descriptor for it.
 */
import type { RegistryClient } from './client.js';
import { sha256Digest, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.js';
import { EMPTY_JSON, INDEX_MEDIA_TYPES, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from './media-types.js';
import { digestTag } from './reference.js';
import { RegistryError } from './errors.js';

export interface ReferrerArtifact {
  /** The manifest's artifactType and the layer's media type (cosign uses the same for both). */
  artifactType: string;
  layerMediaType?: string;
  data: Buffer;
  annotations: Record<string, string>;
}

export interface AttachedReferrer {
  descriptor: Descriptor;
  /** How the referrer is discoverable: the registry's referrers API, or the fallback tag. */
  indexedBy: 'api' | 'tag';
  fallbackTag?: string;
}

export function referrerManifest(subject: Descriptor, artifact: ReferrerArtifact): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: artifact.artifactType,
    config: { mediaType: OCI_EMPTY, digest: sha256Digest(EMPTY_JSON), size: EMPTY_JSON.length },
    layers: [{ mediaType: artifact.layerMediaType ?? artifact.artifactType, digest: sha256Digest(artifact.data), size: artifact.data.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: artifact.annotations,
  };
}

export async function attachReferrer(client: RegistryClient, repo: string, subject: Descriptor, artifact: ReferrerArtifact): Promise<AttachedReferrer> {
  await Promise.all([client.pushBlob(repo, artifact.data), client.pushBlob(repo, EMPTY_JSON)]);
  const manifest = referrerManifest(subject, artifact);
  const pushed = await client.pushManifest(repo, undefined, manifest);
  const descriptor: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest: pushed.digest,
    size: pushed.size,
    artifactType: artifact.artifactType,
    annotations: artifact.annotations,
  };
  if (pushed.subjectIndexed) return { descriptor, indexedBy: 'api' };
  const tag = await addToFallbackIndex(client, repo, subject.digest, descriptor);
  return { descriptor, indexedBy: 'tag', fallbackTag: tag };
}

/**
 * Adds a descriptor to the referrers index under `sha256-<hex>` (read, add, write; re-read to make
 * sure a concurrent writer did not drop it, and try again if it did).
 */
export async function addToFallbackIndex(client: RegistryClient, repo: string, subjectDigest: string, descriptor: Descriptor, attempts = 4): Promise<string> {
  const tag = digestTag(subjectDigest);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const existing = await client.getManifest(repo, tag);
    let index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
    if (existing) {
      if (!INDEX_MEDIA_TYPES.includes(existing.descriptor.mediaType) || !('manifests' in existing.manifest)) {
        throw new RegistryError(`${repo}:${tag} exists and is not an image index; cannot record the referrer there`, 200, 'MANIFEST_INVALID');
      }
      index = existing.manifest;
    }
    if (!index.manifests.some((m) => m.digest === descriptor.digest)) {
      index = { ...index, mediaType: OCI_INDEX, manifests: [...index.manifests, descriptor] };
      await client.pushManifest(repo, tag, index);
    }
    const check = await client.getManifest(repo, tag);
    if (check && 'manifests' in check.manifest && check.manifest.manifests.some((m) => m.digest === descriptor.digest)) return tag;
  }
  throw new RegistryError(`could not record the referrer ${descriptor.digest} under ${repo}:${tag} (concurrent writers?)`, undefined, 'CONFLICT');
}
