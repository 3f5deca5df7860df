/**
 * Trust material for checking the signature just written (`@sigstore/verify`):
 * - key mode: only the signing key's public half, looked up by its hint;
 * - keyless: the Fulcio CA certificates from the instance's trust bundle (`GET /api/v2/trustBundle`)
 *   and the Rekor log key (`GET /api/v1/log/publicKey`) — the same instances the signature came
 *   from. This proves the signature, certificate chain and log entry are mutually consistent and
 *   intact in the registry. The certificate's embedded SCTs are not checked: the CT log's key is not
 *   served by any Fulcio/Rekor API (cosign gets it, with everything else, from Sigstore's TUF root,
 *   which is how users verify).
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { TrustMaterial } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
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

export interface KeylessTrust {
  /** Rekor's key (tlogs); no CAs: certificates are checked with `caCertificates`. */
  trust: TrustMaterial;
  caCertificates: X509Certificate[];
}

export async function keylessTrustMaterial(fulcioUrl: string, rekorUrl: string, fetchFn: FetchFn): Promise<KeylessTrust> {
  const bundleText = await getText(fetchFn, new URL('/api/v2/trustBundle', fulcioUrl).toString(), 'application/json');
  let chains: { certificates?: string[] }[];
  try {
    chains = (JSON.parse(bundleText) as { chains?: { certificates?: string[] }[] }).chains ?? [];
  } catch {
    throw new TrustError(`Fulcio's trust bundle at ${fulcioUrl} is not JSON`);
  }
  const caCertificates = chains
    .flatMap((chain) => (chain.certificates ?? []).flatMap((pem) => parsePem(pem).filter((b) => b.type === 'CERTIFICATE')))
    .map((block) => new X509Certificate(block.der));
  if (caCertificates.length === 0) throw new TrustError(`Fulcio's trust bundle at ${fulcioUrl} has no certificate chain`);
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
  };
  return { trust: toTrustMaterial(TrustedRoot.fromJSON(root)), caCertificates };
}

/**
 * Checks that `leaf` chains up to one of `authorities` (signatures and issuer names), ending at a
 * self-signed certificate of that set. Returns the chain, leaf first.
 */
export function verifyChain(leaf: X509Certificate, authorities: readonly X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const issuer = authorities.find((candidate) => current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (!issuer) throw new TrustError(`the certificate issued to '${current.subject.replace(/\n/g, ', ') || current.subjectAltName || 'unknown'}' does not chain to the Fulcio CA`);
    if (issuer.fingerprint256 === current.fingerprint256) return chain;
    chain.push(issuer);
    if (issuer.checkIssued(issuer) && issuer.verify(issuer.publicKey)) return chain;
    current = issuer;
  }
  throw new TrustError('the certificate chain is too long');
}
