/**
 * OCI manifests and indexes: the few fields shipline reads and writes, and a tolerant parser that
 * names what is wrong (a registry's answer is outside input, checked before use).
 */
import { createHash } from 'node:crypto';
import { INDEX_MEDIA_TYPES } from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function isIndex(manifest: Manifest, mediaType?: string): manifest is ImageIndex {
  return Array.isArray((manifest as ImageIndex).manifests) || (mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType));
}

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Descriptor;
  return typeof d === 'object' && d !== null && typeof d.mediaType === 'string' && typeof d.digest === 'string' && typeof d.size === 'number';
}

/** Parses manifest bytes; throws with a short reason when they are not a manifest or an index. */
export function parseManifest(body: Buffer | string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch {
    throw new Error('the manifest is not JSON');
  }
  const m = value as Partial<ImageManifest & ImageIndex>;
  if (typeof m !== 'object' || m === null || m.schemaVersion !== 2) throw new Error('the manifest is not schemaVersion 2');
  if (Array.isArray(m.manifests)) {
    if (!m.manifests.every(isDescriptor)) throw new Error('the index has a malformed descriptor');
    return m as ImageIndex;
  }
  if (!isDescriptor(m.config) || !Array.isArray(m.layers) || !m.layers.every(isDescriptor)) throw new Error('the manifest has no valid config and layers');
  return m as ImageManifest;
}

/** Serializes a manifest the way it is pushed; its digest is the digest of exactly these bytes. */
export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
