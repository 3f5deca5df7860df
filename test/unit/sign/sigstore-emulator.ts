/**
 * A Sigstore + GitHub OIDC emulator on a loopback HTTP server, for keyless signing without the
 * public instances. Fulcio's `POST /api/v2/signingCert` and Rekor's `POST /api/v1/log/entries`
 * are `@sigstore/mock`'s handlers (the sigstore-js project's own emulators of those APIs). The mock
 * logs a proposed entry verbatim; real Rekor canonicalizes a `dsse` v0.0.1 proposal
 * (`proposedContent: {envelope, verifiers}`) into `{envelopeHash, payloadHash, signatures:
 * [{signature, verifier}]}` (rekor pkg/types/dsse/v0.0.1), so the emulator does that first. Served
 * around them, from the official API descriptions: Fulcio `GET /api/v2/trustBundle`
 * (`{chains:[{certificates:[PEM…]}]}`), Rekor `GET /api/v1/log/publicKey` (PEM), and the Actions
 * runner's OIDC endpoint (`GET …?audience=` with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`
 * → `{"value": JWT}`).
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const WORKFLOW_IDENTITY = 'https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main';
export const REQUEST_TOKEN = 'runner-request-token-7f3a';

export interface SigstoreEmulator {
  url: string;
  fulcioUrl: string;
  rekorUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL (already has a query, as the runner's does). */
  oidcUrl: string;
  /** What the OIDC endpoint was asked (audiences), what Fulcio and Rekor received. */
  requests: { oidcAudiences: string[]; fulcio: number; rekor: number };
  rootPem: string;
  rekorPublicKey: KeyObject;
  ctlog: { publicKey: Buffer; logId: Buffer };
  /** Makes `GET /api/v1/log/publicKey` serve another key (post-sign verification must then fail). */
  serveWrongRekorKey(): void;
  /** A Sigstore trusted root JSON for this emulator (for cosign --trusted-root). */
  trustedRoot(): Record<string, unknown>;
  close(): Promise<void>;
}

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'emulator' })}.${part(claims)}.${Buffer.from('not-verified-by-the-mock').toString('base64url')}`;
}

function pem(der: Buffer, type: string): string {
  return `-----BEGIN ${type}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${type}-----\n`;
}

/** What Rekor stores for a proposed `dsse` v0.0.1 entry (other kinds are stored as proposed). */
export function canonicalizeProposedEntry(text: string): string {
  const entry = JSON.parse(text) as { kind?: string; apiVersion?: string; spec?: { proposedContent?: { envelope: string; verifiers: string[] } } };
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== 'dsse' || !proposed) return text;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: { sig: string }[] };
  const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
  return JSON.stringify({
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(proposed.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({ signature: s.sig, verifier: proposed.verifiers[i] ?? proposed.verifiers[0] })),
    },
  });
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSigstoreEmulator(claims: Record<string, unknown> = {}): Promise<SigstoreEmulator> {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rekorKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(url, rekorKeys);
  const fulcio = fulcioHandler(ca, { subjectClaim: 'job_workflow_ref_uri' });
  const rekor = rekorHandler(tlog);
  const rootPem = pem(Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength), 'CERTIFICATE');
  const requests = { oidcAudiences: [] as string[], fulcio: 0, rekor: 0 };
  let rekorPublicKeyPem = rekorKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const token = jwt({
    iss: GITHUB_ISSUER,
    sub: 'repo:acme/api:ref:refs/heads/main',
    aud: 'sigstore',
    exp: Math.floor(Date.now() / 1000) + 600,
    repository: 'acme/api',
    ref: 'refs/heads/main',
    sha: 'abcdef0123456789abcdef0123456789abcdef01',
    event_name: 'push',
    workflow: 'release',
    job_workflow_ref: 'acme/api/.github/workflows/release.yml@refs/heads/main',
    job_workflow_ref_uri: WORKFLOW_IDENTITY,
    ...claims,
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = new URL(req.url ?? '/', url);
      const send = (status: number, text: string | ArrayBufferView, type = 'application/json'): void => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength));
      };
      if (req.method === 'GET' && path.pathname === '/oidc/token') {
        if (req.headers.authorization !== `Bearer ${REQUEST_TOKEN}`) return send(401, '{"message":"bad request token"}');
        requests.oidcAudiences.push(path.searchParams.get('audience') ?? '');
        return send(200, JSON.stringify({ count: 1, value: token }));
      }
      if (req.method === 'POST' && path.pathname === fulcio.path) {
        requests.fulcio++;
        const result = await fulcio.fn(await body(req));
        return send(result.statusCode, result.response, result.contentType);
      }
      if (req.method === 'GET' && path.pathname === '/api/v2/trustBundle') return send(200, JSON.stringify({ chains: [{ certificates: [rootPem] }] }));
      if (req.method === 'POST' && path.pathname === rekor.path) {
        requests.rekor++;
        const result = await rekor.fn(canonicalizeProposedEntry(await body(req)));
        return send(result.statusCode, result.response, result.contentType);
      }
      if (req.method === 'GET' && path.pathname === '/api/v1/log/publicKey') return send(200, rekorPublicKeyPem, 'application/x-pem-file');
      send(404, '{"message":"not found"}');
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });

  const ctPublic = Buffer.from(ctlog.publicKey);
  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    oidcUrl: `${url}/oidc/token?api-version=2.0`,
    requests,
    rootPem,
    rekorPublicKey: rekorKeys.publicKey,
    ctlog: { publicKey: ctPublic, logId: Buffer.from(ctlog.logID.buffer, ctlog.logID.byteOffset, ctlog.logID.byteLength) },
    serveWrongRekorKey() {
      rekorPublicKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    },
    trustedRoot() {
      const rekorSpki = rekorKeys.publicKey.export({ format: 'der', type: 'spki' });
      const start = { start: '2020-01-01T00:00:00Z' };
      const rootDer = Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength);
      return {
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [{ baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: rekorSpki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start }, logId: { keyId: createHash('sha256').update(rekorSpki).digest('base64') } }],
        certificateAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: url, certChain: { certificates: [{ rawBytes: rootDer.toString('base64') }] }, validFor: start }],
        ctlogs: [{ baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: ctPublic.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start }, logId: { keyId: createHash('sha256').update(ctPublic).digest('base64') } }],
        timestampAuthorities: [],
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
