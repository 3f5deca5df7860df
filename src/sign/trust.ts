/**
 * Trust material for checking the signature just written (`@sigstore/verify`):
 * - key mode: only the signing key's public half, looked up by its hint;
 * - keyless: the Fulcio CA chain from the instance's trust bundle (`GET /api/v2/trustBundle`) and
 *   the Rekor log key (`GET /api/v1/log/publicKey`) — the same instances the signature came from.
 *   This proves the signature, certificate and log entry are mutually consistent and intact in the
 *   registry; users establish trust with cosign and Sigstore's TUF root.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { TrustMaterial } from '@sigstore/verify';
import type { FetchFn } from '../oci/client.js';
import { parsePem } from './key.js';

const EPOCH = '1970-01-01T00:00:00Z';

export class TrustError extends Error {
  override readonly name = 'TrustError';
}

function emptyRoot(): Record<string, unknown> {
  return { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
}

export async function keyTrustMaterial(publicKey: KeyObject, hint: string): Promise<TrustMaterial> {
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  const { toTrustMaterial } = await import('@sigstore/verify');
  return toTrustMaterial(TrustedRoot.fromJSON(emptyRoot()), (candidate: string) => {
    if (candidate !== hint) throw new TrustError(`the signature names key ${candidate || '(none)'}, not the signing key ${hint}`);
    return { publicKey, validFor: () => true };
  });
}

async function getText(fetchFn: FetchFn, url: string, accept: string): Promise<string> {
  let response: Response;
  try {
    response = await fetchFn(url, { headers: { Accept: accept }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new TrustError(`GET ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new TrustError(`GET ${url} answered ${response.status}`);
  return response.text();
}

export async function keylessTrustMaterial(fulcioUrl: string, rekorUrl: string, fetchFn: FetchFn): Promise<TrustMaterial> {
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  const { toTrustMaterial } = await import('@sigstore/verify');
  const bundleText = await getText(fetchFn, new URL('/api/v2/trustBundle', fulcioUrl).toString(), 'application/json');
  let chains: { certificates?: string[] }[];
  try {
    chains = (JSON.parse(bundleText) as { chains?: { certificates?: string[] }[] }).chains ?? [];
  } catch {
    throw new TrustError(`Fulcio's trust bundle at ${fulcioUrl} is not JSON`);
  }
  const certificateAuthorities = chains
    .map((chain) => (chain.certificates ?? []).flatMap((pem) => parsePem(pem).filter((b) => b.type === 'CERTIFICATE')))
    .filter((certs) => certs.length > 0)
    .map((certs) => ({
      subject: { organization: '', commonName: '' },
      uri: fulcioUrl,
      certChain: { certificates: certs.map((c) => ({ rawBytes: c.der.toString('base64') })) },
      validFor: { start: EPOCH },
    }));
  if (certificateAuthorities.length === 0) throw new TrustError(`Fulcio's trust bundle at ${fulcioUrl} has no certificate chain`);
  const rekorPem = await getText(fetchFn, new URL('/api/v1/log/publicKey', rekorUrl).toString(), 'application/x-pem-file');
  let rekorKey: KeyObject;
  try {
    rekorKey = createPublicKey(rekorPem);
  } catch {
    throw new TrustError(`Rekor's public key at ${rekorUrl} does not parse`);
  }
  const spki = rekorKey.export({ format: 'der', type: 'spki' });
  const details = rekorKey.asymmetricKeyType === 'ed25519' ? 'PKIX_ED25519' : rekorKey.asymmetricKeyType === 'rsa' ? 'PKIX_RSA_PKCS1V15_2048_SHA256' : 'PKIX_ECDSA_P256_SHA_256';
  const root = {
    ...emptyRoot(),
    tlogs: [
      {
        baseUrl: rekorUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki.toString('base64'), keyDetails: details, validFor: { start: EPOCH } },
        logId: { keyId: createHash('sha256').update(spki).digest('base64') },
      },
    ],
    certificateAuthorities,
  };
  return toTrustMaterial(TrustedRoot.fromJSON(root));
}
