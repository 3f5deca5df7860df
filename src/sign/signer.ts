/**
 * Signers in the shape `@sigstore/sign` expects: a key signer (ECDSA P-256 / SHA-256, ASN.1 DER
 * signatures, the public key as the bundle's key hint) and, for keyless, Fulcio's signer fed by
 * the GitHub Actions OIDC token.
 */
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import type { Signature, Signer } from '@sigstore/sign';
import type { SigningKey } from './key.js';

export class KeySigner implements Signer {
  constructor(private readonly key: SigningKey) {}

  async sign(data: Buffer): Promise<Signature> {
    return {
      signature: cryptoSign('sha256', data, this.key.privateKey),
      key: { $case: 'publicKey', publicKey: this.key.publicKeyPem, hint: this.key.hint },
    };
  }
}

/**
 * The ephemeral key a keyless run holds: one P-256 key for every signature of the run (Fulcio binds
 * it to the OIDC identity), never written anywhere.
 */
export class EphemeralSigner implements Signer {
  private readonly pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly publicKeyPem = this.pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();

  async sign(data: Buffer): Promise<Signature> {
    return {
      signature: cryptoSign('sha256', data, this.pair.privateKey),
      key: { $case: 'publicKey', publicKey: this.publicKeyPem },
    };
  }
}
