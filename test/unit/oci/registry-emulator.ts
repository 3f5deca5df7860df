/**
 * An in-memory OCI registry on loopback, following the OCI distribution spec v1.1 and Docker's
 * token authentication spec — for what Debian's docker-registry 2.8 cannot show here: bearer-token
 * auth with scopes, the referrers API (`GET /v2/<name>/referrers/<digest>`, `OCI-Subject` on push),
 * and injected faults (5xx, 429 + Retry-After, MANIFEST_UNKNOWN right after a push, tampered bodies).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Which requests: `METHOD path-regex`. */
  match: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface RegistryEmulator {
  url: string;
  host: string;
  /** Every request as `METHOD /path?query`. */
  log: string[];
  /** Token requests: the scope asked and the Basic user. */
  tokenRequests: { scope: string | null; user: string | undefined }[];
  fault(fault: Fault): void;
  /** The next `times` GET/HEADs of a manifest just pushed answer 404 MANIFEST_UNKNOWN. */
  lagManifests(times: number): void;
  /** Serves this body for GET of `reference` instead of the stored one (digest mismatch). */
  tamper(reference: string, body: string): void;
  close(): Promise<void>;
}

export interface EmulatorOptions {
  /** Require bearer tokens obtained with these Basic credentials. */
  credentials?: { username: string; password: string };
  /** Offer the referrers API and answer pushes with OCI-Subject (default true). */
  referrersApi?: boolean;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

export async function startRegistryEmulator(options: EmulatorOptions = {}): Promise<RegistryEmulator> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { body: Buffer; mediaType: string }>(); // name@digest
  const tags = new Map<string, string>(); // name:tag → digest
  const faults: (Fault & { left: number })[] = [];
  const tampered = new Map<string, string>();
  const log: string[] = [];
  const tokenRequests: { scope: string | null; user: string | undefined }[] = [];
  const grants = new Map<string, string>(); // token → scope
  let lag = 0;
  const referrersApi = options.referrersApi ?? true;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `http://${host}`;

  const authorized = (req: IncomingMessage, name: string | undefined, action: 'pull' | 'push'): boolean => {
    if (!options.credentials) return true;
    const header = req.headers.authorization ?? '';
    const scope = header.startsWith('Bearer ') ? grants.get(header.slice(7)) : undefined;
    if (scope === undefined) return false;
    if (!name) return true;
    const [, repo, actions] = scope.split(':');
    return repo === name && (actions ?? '').split(',').includes(action);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const target = new URL(req.url ?? '/', url);
      const line = `${req.method} ${target.pathname}${target.search}`;
      log.push(line);
      const send = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      const fault = faults.find((f) => f.left > 0 && f.match.test(line));
      if (fault) {
        fault.left--;
        await readBody(req);
        return send(fault.status, fault.body ?? errorBody('UNAVAILABLE', 'injected'), fault.headers ?? {});
      }
      if (target.pathname === '/token') {
        const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : undefined;
        tokenRequests.push({ scope: target.searchParams.get('scope'), user: basic?.split(':')[0] });
        if (!options.credentials || basic !== `${options.credentials.username}:${options.credentials.password}`) return send(401, errorBody('UNAUTHORIZED', 'bad credentials'));
        const token = randomUUID();
        grants.set(token, target.searchParams.get('scope') ?? '');
        return send(200, JSON.stringify({ token, expires_in: 300 }), { 'Content-Type': 'application/json' });
      }
      const challenge = (scope?: string): void =>
        send(401, errorBody('UNAUTHORIZED', 'authentication required'), {
          'WWW-Authenticate': `Bearer realm="${url}/token",service="emulator"${scope ? `,scope="${scope}"` : ''}`,
        });
      if (target.pathname === '/v2/') return authorized(req, undefined, 'pull') ? send(200, '{}') : challenge();

      const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/(.+)$/.exec(target.pathname);
      const upload = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(target.pathname);
      const name = upload?.[1] ?? m?.[1];
      const write = req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH' || req.method === 'DELETE';
      if (name && !authorized(req, name, write ? 'push' : 'pull')) return challenge(`repository:${name}:${write ? 'pull,push' : 'pull'}`);

      if (upload) {
        if (req.method === 'POST') {
          await readBody(req);
          return send(202, '', { Location: `/v2/${name}/blobs/uploads/${randomUUID()}?state=abc` });
        }
        if (req.method === 'PUT') {
          const data = await readBody(req);
          const digest = target.searchParams.get('digest') ?? '';
          if (sha256(data) !== digest) return send(400, errorBody('DIGEST_INVALID', 'digest mismatch'));
          blobs.set(digest, data);
          return send(201, '', { 'Docker-Content-Digest': digest, Location: `/v2/${name}/blobs/${digest}` });
        }
      }
      if (!m) return send(404, errorBody('NAME_UNKNOWN', 'no route'));
      const [, , kind, reference] = m as unknown as [string, string, string, string];
      if (kind === 'blobs') {
        const blob = blobs.get(reference);
        if (!blob) return send(404, errorBody('BLOB_UNKNOWN', 'blob unknown'));
        return send(200, blob, { 'Content-Length': String(blob.length), 'Docker-Content-Digest': reference });
      }
      if (kind === 'referrers') {
        if (!referrersApi) return send(404, '404 page not found\n', { 'Content-Type': 'text/plain' });
        const artifactType = target.searchParams.get('artifactType');
        const found = [...manifests.entries()]
          .filter(([key]) => key.startsWith(`${name}@`))
          .map(([key, value]) => ({ digest: key.slice((name as string).length + 1), ...value, parsed: JSON.parse(value.body.toString()) as { subject?: { digest: string }; artifactType?: string; annotations?: Record<string, string> } }))
          .filter((e) => e.parsed.subject?.digest === reference && (!artifactType || e.parsed.artifactType === artifactType))
          .map((e) => ({ mediaType: e.mediaType, digest: e.digest, size: e.body.length, artifactType: e.parsed.artifactType, annotations: e.parsed.annotations }));
        return send(200, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: found }), { 'Content-Type': 'application/vnd.oci.image.index.v1+json' });
      }
      // manifests
      if (req.method === 'PUT') {
        const body = await readBody(req);
        const digest = sha256(body);
        const mediaType = (req.headers['content-type'] ?? '').split(';')[0] ?? '';
        manifests.set(`${name}@${digest}`, { body, mediaType });
        if (!reference.startsWith('sha256:')) tags.set(`${name}:${reference}`, digest);
        else if (reference !== digest) return send(400, errorBody('DIGEST_INVALID', 'digest mismatch'));
        const subject = (JSON.parse(body.toString()) as { subject?: { digest: string } }).subject;
        return send(201, '', { 'Docker-Content-Digest': digest, Location: `/v2/${name}/manifests/${digest}`, ...(subject && referrersApi ? { 'OCI-Subject': subject.digest } : {}) });
      }
      if (lag > 0) {
        lag--;
        return send(404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'), { 'Content-Type': 'application/json' });
      }
      const digest = reference.startsWith('sha256:') ? reference : tags.get(`${name}:${reference}`);
      const stored = digest ? manifests.get(`${name}@${digest}`) : undefined;
      if (!digest || !stored) return send(404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'), { 'Content-Type': 'application/json' });
      const body = tampered.has(reference) ? Buffer.from(tampered.get(reference) as string) : stored.body;
      return send(200, body, { 'Content-Type': stored.mediaType, 'Content-Length': String(body.length), 'Docker-Content-Digest': digest });
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });

  return {
    url,
    host,
    log,
    tokenRequests,
    fault: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    lagManifests: (times) => {
      lag = times;
    },
    tamper: (reference, body) => tampered.set(reference, body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
