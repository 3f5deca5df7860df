/**
 * The GitHub Actions OIDC token (the runner's documented protocol: GET
 * `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore` with `Authorization: Bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN` → `{"value": "<JWT>"}`), the identity Fulcio certifies.
 * Both variables exist only when the job has `permissions: id-token: write`.
 */
import type { FetchFn } from '../oci/client.js';

export const OIDC_AUDIENCE = 'sigstore';

export class OidcError extends Error {
  override readonly name = 'OidcError';
}

export interface OidcEnv {
  ACTIONS_ID_TOKEN_REQUEST_URL?: string | undefined;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN?: string | undefined;
}

/** True when the job can ask for an OIDC token. */
export function hasOidc(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env['ACTIONS_ID_TOKEN_REQUEST_URL'] && env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
}

/** The sentence users need when the token is missing. */
export const MISSING_ID_TOKEN =
  'keyless signing needs the job\'s OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: add `permissions: id-token: write` to the job (pull requests from forks never get one), or sign with signing-key';

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  job_workflow_ref?: string;
  repository?: string;
  ref?: string;
  [claim: string]: unknown;
}

/** Decodes a JWT's claims without verifying it (Fulcio verifies it). */
export function decodeJwtClaims(token: string): JwtClaims {
  const part = token.split('.')[1];
  if (!part) throw new OidcError('the OIDC token is not a JWT');
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    throw new OidcError('the OIDC token has unreadable claims');
  }
}

export async function requestGitHubIdToken(
  env: Readonly<Record<string, string | undefined>>,
  options: { fetch?: FetchFn; audience?: string; onToken?: (token: string) => void; timeoutMs?: number } = {},
): Promise<string> {
  const base = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const bearer = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (!base || !bearer) throw new OidcError(MISSING_ID_TOKEN);
  const url = new URL(base);
  url.searchParams.set('audience', options.audience ?? OIDC_AUDIENCE);
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${bearer}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new OidcError(`could not reach the Actions OIDC endpoint ${url.host}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new OidcError(`the Actions OIDC endpoint answered ${response.status}${response.status === 403 || response.status === 401 ? ' (does the job have `permissions: id-token: write`?)' : ''}`);
  }
  const body = (await response.json().catch(() => ({}))) as { value?: string };
  if (!body.value) throw new OidcError('the Actions OIDC endpoint returned no token');
  options.onToken?.(body.value);
  return body.value;
}
