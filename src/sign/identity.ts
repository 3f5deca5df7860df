/**
 * Who signs: a key (no transparency log; verify with `--insecure-ignore-tlog`), or keyless — an
 * ephemeral key certified by Fulcio for the job's OIDC identity, each signature witnessed by Rekor.
 */
import type { Signer, Witness } from '@sigstore/sign';
import { FulcioSigner, RekorWitness } from '@sigstore/sign';
import type { FetchFn } from '../oci/client.js';
import type { SigningKey } from './key.js';

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

export interface KeyIdentity {
  mode: 'key';
  key: SigningKey;
  signer: Signer;
  witnesses: Witness[];
}

export interface KeylessIdentity {
  mode: 'keyless';
  signer: Signer;
  witnesses: Witness[];
  fulcioUrl: string;
  rekorUrl: string;
  /** The token's issuer, for the cosign verify command. */
  issuer: string;
  /** Fetch used for Fulcio's trust bundle and Rekor's public key (post-sign verification). */
  fetch: FetchFn;
}

export type SigningIdentity = KeyIdentity | KeylessIdentity;

export async function keyIdentity(key: SigningKey): Promise<KeyIdentity> {
  const { KeySigner } = await import('./signer.js');
  return { mode: 'key', key, signer: new KeySigner(key), witnesses: [] };
}

export interface KeylessOptions {
  getToken: () => Promise<string>;
  issuer: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  fetch?: FetchFn;
  timeoutMs?: number;
}

export async function keylessIdentity(options: KeylessOptions): Promise<KeylessIdentity> {
  const { EphemeralSigner } = await import('./signer.js');
  const fulcioUrl = options.fulcioUrl ?? DEFAULT_FULCIO_URL;
  const rekorUrl = options.rekorUrl ?? DEFAULT_REKOR_URL;
  // One token for the run (each signature gets its own certificate, all for the same key).
  let token: Promise<string> | undefined;
  const signer = new FulcioSigner({
    identityProvider: { getToken: () => (token ??= options.getToken()) },
    keyHolder: new EphemeralSigner(),
    fulcioBaseURL: fulcioUrl,
    retry: 2,
    timeout: options.timeoutMs ?? 30_000,
  });
  const witness = new RekorWitness({ rekorBaseURL: rekorUrl, entryType: 'dsse', fetchOnConflict: true, retry: 2, timeout: options.timeoutMs ?? 30_000 });
  return {
    mode: 'keyless',
    signer,
    witnesses: [witness],
    fulcioUrl,
    rekorUrl,
    issuer: options.issuer,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  };
}
