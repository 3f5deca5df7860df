/**
 * The signing step of build-and-sign: the identity (key, or keyless via the job's OIDC token),
 * signatures in the requested formats, read back and verified, and the cosign command to check them.
 * Loaded only when signing.
 */
import { ActionFailedError, errorMessage, type Services } from '../core/index.js';
import type { BuildAndSignInputs } from '../actions/build-and-sign/inputs.js';
import type { FetchFn, RegistryClient } from '../oci/client.js';
import { RegistryError } from '../oci/errors.js';
import type { Descriptor } from '../oci/manifest.js';
import { cosignVerifyCommand } from '../sign/cosign-command.js';
import { GITHUB_OIDC_ISSUER, keyIdentity, keylessIdentity, type SigningIdentity } from '../sign/identity.js';
import { decodeJwtClaims, OidcError, requestGitHubIdToken } from '../sign/oidc.js';
import { signImage, type Format, type SignatureRecord } from '../sign/sign.js';
import { SignatureVerificationError } from '../sign/verify.js';

export interface SignStepRequest {
  inputs: BuildAndSignInputs;
  services: Services;
  client: RegistryClient;
  repo: string;
  image: Descriptor;
  imageRef: string;
  fetch?: FetchFn;
}

export interface SignStepResult {
  signatures: SignatureRecord[];
  verifyCommand: string;
  publicKey?: string;
}

export async function signAndVerify(request: SignStepRequest): Promise<SignStepResult> {
  const { inputs, services, client, repo, image, imageRef } = request;
  const { env, log, clock } = services;
  let token: string | undefined;
  let identity: SigningIdentity;
  if (inputs.sign === 'key') {
    if (!inputs.signingKey) throw new ActionFailedError('sign is key but no signing key was loaded');
    identity = await keyIdentity(inputs.signingKey);
  } else {
    identity = await keylessIdentity({
      getToken: async () => {
        token = await requestGitHubIdToken(env, { ...(request.fetch ? { fetch: request.fetch } : {}), onToken: (t) => services.addSecret(t) });
        return token;
      },
      issuer: GITHUB_OIDC_ISSUER,
      ...(env['SHIPLINE_FULCIO_URL'] ? { fulcioUrl: env['SHIPLINE_FULCIO_URL'] } : {}),
      ...(env['SHIPLINE_REKOR_URL'] ? { rekorUrl: env['SHIPLINE_REKOR_URL'] } : {}),
      ...(request.fetch ? { fetch: request.fetch } : {}),
    });
    log.info(`keyless: Fulcio ${identity.fulcioUrl}, Rekor ${identity.rekorUrl}`);
  }
  const formats: Format[] = inputs.signatureFormat === 'both' ? ['bundle', 'legacy'] : [inputs.signatureFormat];
  let signatures: SignatureRecord[];
  try {
    signatures = await signImage({ client, repo, repository: inputs.image, image, formats, identity, clock, log });
  } catch (error) {
    if (error instanceof SignatureVerificationError) throw new ActionFailedError(`the signature just written for ${imageRef} does not verify: ${error.message}`);
    if (error instanceof OidcError) throw new ActionFailedError(error.message);
    if (error instanceof RegistryError) throw new ActionFailedError(`pushing the signature of ${imageRef}: ${error.message}`);
    // @sigstore/sign errors (Fulcio, Rekor) carry a code and a cause worth one line.
    const e = error as { code?: string; cause?: unknown };
    if (e.code && /^(CA|TLOG|IDENTITY_TOKEN|INTERNAL)/.test(e.code)) {
      throw new ActionFailedError(`signing ${imageRef}: ${errorMessage(error)}${e.cause ? ` (${errorMessage(e.cause)})` : ''}`);
    }
    throw error;
  }
  const issuer = token ? (decodeJwtClaims(token).iss ?? GITHUB_OIDC_ISSUER) : GITHUB_OIDC_ISSUER;
  const verifyCommand = cosignVerifyCommand({
    mode: identity.mode,
    imageRef,
    insecure: inputs.insecureRegistry,
    ...(signatures[0]?.identity ? { identity: signatures[0].identity } : {}),
    issuer,
  });
  return { signatures, verifyCommand, ...(identity.mode === 'key' ? { publicKey: identity.key.publicKeyPem } : {}) };
}
