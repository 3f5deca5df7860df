/**
 * A small OCI distribution API client over fetch (undici, built into Node): resolve digests, read
 * and write manifests and blobs, and list referrers (the OCI 1.1 API, or the `sha256-<hex>` tag
 * schema on registries without it). Plain http only when asked (`insecure`), Basic and bearer-token
 * auth, and retries with backoff on transient failures (5xx, 429 with Retry-After, dropped
 * connections) and, when asked, on MANIFEST_UNKNOWN right after a push (eventual consistency).
 *
 * Why not `@sigstore/oci`: it picks http only for `localhost`/`127.0.0.1`, reads credentials only
 * from ~/.docker/config.json, fails with "Invalid challenge" when given credentials for a registry
 * that asks for none (seen against Debian's docker-registry 2.8), cannot write cosign's legacy
 * `.sig` manifests, and pulls make-fetch-happen into the bundle. Digests, manifests and the tag
 * fallback are needed here anyway.
 */
import { retry, parseRetryAfter, type Clock, type Logger } from '../core/index.js';
import { basicAuth, parseChallenges, type Credentials } from './auth.js';
import { describeFetchError, RegistryAuthError, RegistryError, RegistryUnreachableError } from './errors.js';
import { encodeManifest, isIndex, parseManifest, sha256Digest, type Descriptor, type ImageIndex, type Manifest } from './manifest.js';
import { MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from './media-types.js';
import { apiHost, digestTag, SHA256_DIGEST } from './reference.js';

export type FetchFn = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface RegistryClientOptions {
  /** The registry as written in the reference (`ghcr.io`, `127.0.0.1:5000`, `docker.io`). */
  registry: string;
  /** Plain http instead of https. */
  insecure?: boolean;
  credentials?: Credentials;
  fetch?: FetchFn;
  clock: Pick<Clock, 'sleep' | 'now'>;
  log?: Pick<Logger, 'info' | 'debug'>;
  /** Retries after the first attempt for transient failures (default 4). */
  retries?: number;
  minDelayMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface FetchedManifest {
  descriptor: Descriptor;
  manifest: Manifest;
  body: Buffer;
}

export interface PushedManifest {
  digest: string;
  size: number;
  /** The `OCI-Subject` header: the registry indexed the subject (it has the referrers API). */
  subjectIndexed?: string;
}

type Action = 'pull' | 'push';

interface RequestOptions {
  repo?: string;
  actions?: Action[];
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for "absent"). */
  accept?: number[];
  /** Retry MANIFEST_UNKNOWN / BLOB_UNKNOWN 404s too (right after a push). */
  retryNotFound?: boolean;
}

const NOT_FOUND_CODES = new Set(['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN']);

export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private readonly tokens = new Map<string, string>();
  /** Set once the registry answered 401 with a Basic challenge. */
  private basic = false;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = options.registry;
    this.baseUrl = `${options.insecure ? 'http' : 'https'}://${apiHost(options.registry)}`;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * `GET /v2/`: proves the registry is reachable and, when it wants auth, that the credentials get
   * a token for `repo` with `actions`. Throws RegistryUnreachableError / RegistryAuthError.
   */
  async ping(repo?: string, actions: Action[] = ['pull']): Promise<void> {
    await this.request('GET', '/v2/', { ...(repo ? { repo } : {}), actions });
  }

  /** The digest and size of a manifest by tag or digest, or undefined when it does not exist. */
  async headManifest(repo: string, reference: string): Promise<Descriptor | undefined> {
    const response = await this.request('HEAD', `/v2/${repo}/manifests/${reference}`, {
      repo,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') },
      accept: [404],
    });
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const size = Number(response.headers.get('content-length') ?? NaN);
    if (digest && SHA256_DIGEST.test(digest) && Number.isFinite(size) && mediaType) return { mediaType, digest, size };
    // Some registries omit the digest on HEAD: read the manifest instead.
    return (await this.getManifest(repo, reference))?.descriptor;
  }

  /** A manifest by tag or digest (the body is checked against the digest), or undefined on 404. */
  async getManifest(repo: string, reference: string, options: { retryNotFound?: boolean } = {}): Promise<FetchedManifest | undefined> {
    const response = await this.request('GET', `/v2/${repo}/manifests/${reference}`, {
      repo,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') },
      accept: [404],
      ...(options.retryNotFound ? { retryNotFound: true } : {}),
    });
    if (response.status === 404) return undefined;
    const body = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(`the registry returned a manifest whose digest ${digest} is not the requested ${reference}`, response.status, 'DIGEST_INVALID');
    }
    let manifest: Manifest;
    try {
      manifest = parseManifest(body);
    } catch (error) {
      throw new RegistryError(`${repo}:${reference}: ${(error as Error).message}`, response.status, 'MANIFEST_INVALID');
    }
    const headerType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
    const mediaType = manifest.mediaType ?? headerType ?? (isIndex(manifest) ? OCI_INDEX : OCI_MANIFEST);
    return { descriptor: { mediaType, digest, size: body.length }, manifest, body };
  }

  /** Pushes manifest bytes under a tag or their digest. */
  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<PushedManifest> {
    const response = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      repo,
      actions: ['pull', 'push'],
      headers: { 'Content-Type': mediaType },
      body,
    });
    const digest = sha256Digest(body);
    const returned = response.headers.get('docker-content-digest');
    if (returned && returned !== digest) {
      throw new RegistryError(`the registry stored ${repo}:${reference} as ${returned}, not ${digest}`, response.status, 'DIGEST_INVALID');
    }
    const subject = response.headers.get('oci-subject') ?? undefined;
    return { digest, size: body.length, ...(subject ? { subjectIndexed: subject } : {}) };
  }

  /** Serializes and pushes a manifest object. */
  async pushManifest(repo: string, reference: string | undefined, manifest: Manifest): Promise<PushedManifest & { mediaType: string }> {
    const body = encodeManifest(manifest);
    const mediaType = manifest.mediaType ?? (isIndex(manifest) ? OCI_INDEX : OCI_MANIFEST);
    const pushed = await this.putManifest(repo, reference ?? sha256Digest(body), body, mediaType);
    return { ...pushed, mediaType };
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { repo, accept: [404] });
    return response.status !== 404;
  }

  /** Reads a blob and checks it against its digest. */
  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const response = await this.request('GET', `/v2/${repo}/blobs/${digest}`, { repo, retryNotFound: true });
    const body = Buffer.from(await response.arrayBuffer());
    if (sha256Digest(body) !== digest) throw new RegistryError(`blob ${digest} in ${repo} does not match its digest`, response.status, 'DIGEST_INVALID');
    return body;
  }

  /** Uploads a blob (monolithic POST + PUT) unless the registry already has it. */
  async pushBlob(repo: string, data: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(data);
    if (await this.blobExists(repo, digest)) return { digest, size: data.length };
    const started = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { repo, actions: ['pull', 'push'] });
    const location = started.headers.get('location');
    if (!location) throw new RegistryError(`the registry started an upload to ${repo} without a Location`, started.status, 'BLOB_UPLOAD_INVALID');
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', digest);
    await this.request('PUT', url.pathname + url.search, {
      repo,
      actions: ['pull', 'push'],
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    return { digest, size: data.length };
  }

  /**
   * The referrers of a digest: the OCI 1.1 API when the registry has it, else the index stored under
   * the `sha256-<hex>` tag (the referrers tag schema), else none.
   */
  async referrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const response = await this.request('GET', `/v2/${repo}/referrers/${digest}${query}`, {
      repo,
      headers: { Accept: OCI_INDEX },
      accept: [404, 400, 405],
    });
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
    if (response.status === 200 && type === OCI_INDEX) {
      const index = parseManifest(Buffer.from(await response.arrayBuffer())) as ImageIndex;
      return { manifests: filter(index.manifests ?? [], artifactType), via: 'api' };
    }
    await response.arrayBuffer().catch(() => undefined);
    const fallback = await this.getManifest(repo, digestTag(digest));
    if (!fallback) return { manifests: [], via: 'none' };
    if (!isIndex(fallback.manifest, fallback.descriptor.mediaType)) return { manifests: [], via: 'tag' };
    return { manifests: filter(fallback.manifest.manifests, artifactType), via: 'tag' };
  }

  // --- transport ---------------------------------------------------------------------------------

  private scopeKey(repo: string | undefined, actions: Action[]): string {
    return repo ? `repository:${repo}:${[...new Set(actions)].sort().join(',')}` : '';
  }

  private authorization(repo: string | undefined, actions: Action[]): string | undefined {
    const token = this.tokens.get(this.scopeKey(repo, actions)) ?? (actions.length === 1 ? this.tokens.get(this.scopeKey(repo, ['pull', 'push'])) : undefined);
    if (token) return `Bearer ${token}`;
    if (this.basic && this.options.credentials) return basicAuth(this.options.credentials);
    return undefined;
  }

  private async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const actions = options.actions ?? ['pull'];
    return retry(
      async () => {
        let response = await this.send(method, path, options, this.authorization(options.repo, actions));
        if (response.status === 401) {
          await response.arrayBuffer().catch(() => undefined);
          await this.authenticate(response.headers.get('www-authenticate'), options.repo, actions);
          response = await this.send(method, path, options, this.authorization(options.repo, actions));
          if (response.status === 401) {
            await response.arrayBuffer().catch(() => undefined);
            throw new RegistryAuthError(
              `${this.registry} refused ${this.options.credentials ? `the credentials of '${this.options.credentials.username}'` : 'anonymous access'} for ${method} ${path}`,
              401,
            );
          }
        }
        if (response.ok || options.accept?.includes(response.status)) {
          if (response.status === 404 && options.retryNotFound) {
            const error = await this.toError(method, path, response);
            if (error.code && NOT_FOUND_CODES.has(error.code)) throw Object.assign(error, { retryableNotFound: true });
            return response;
          }
          return response;
        }
        throw await this.toError(method, path, response);
      },
      {
        retries: this.options.retries ?? 4,
        minDelayMs: this.options.minDelayMs ?? 500,
        maxDelayMs: 8000,
        clock: this.options.clock,
        retryable: (error) =>
          !(error instanceof RegistryAuthError) &&
          error instanceof RegistryError &&
          (error.transient || (error as { retryableNotFound?: boolean }).retryableNotFound === true),
        retryAfterMs: (error) => (error instanceof RegistryError ? error.retryAfterMs : undefined),
        onRetry: (error, attempt, delay) =>
          this.options.log?.info(`  registry: ${method} ${path} failed (${(error as Error).message}); retry ${attempt} in ${Math.round(delay)} ms`),
      },
    ).catch((error: unknown) => {
      if ((error as { retryableNotFound?: boolean }).retryableNotFound) {
        throw new RegistryError((error as Error).message, 404, (error as RegistryError).code);
      }
      throw error;
    });
  }

  private async send(method: string, path: string, options: RequestOptions, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'shipline', ...(options.headers ?? {}) };
    if (authorization) headers['Authorization'] = authorization;
    const url = new URL(path, this.baseUrl);
    try {
      return await this.fetchFn(url, {
        method,
        headers,
        ...(options.body ? { body: options.body } : {}),
        redirect: 'follow',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      const reason = describeFetchError(error);
      // A refused connection or an unknown host is not going to change in a few seconds.
      const permanent = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|CERT|SSL|TLS|wrong version number|EPROTO|bad port|Invalid URL/i.test(reason);
      if (permanent) throw new RegistryUnreachableError(this.registry, hintInsecure(reason, this.options.insecure));
      throw new RegistryError(`${method} ${url.pathname} on ${this.registry}: ${reason}`, undefined, undefined);
    }
  }

  private async authenticate(header: string | null, repo: string | undefined, actions: Action[]): Promise<void> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params['realm']) {
      const scope = this.scopeKey(repo, actions);
      const realm = new URL(bearer.params['realm']);
      if (bearer.params['service']) realm.searchParams.set('service', bearer.params['service']);
      if (scope) realm.searchParams.set('scope', scope);
      const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'shipline' };
      if (this.options.credentials) headers['Authorization'] = basicAuth(this.options.credentials);
      let response: Response;
      try {
        response = await this.fetchFn(realm, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
      } catch (error) {
        throw new RegistryError(`token service ${realm.host} for ${this.registry}: ${describeFetchError(error)}`, undefined, undefined);
      }
      if (response.status === 401 || response.status === 403) {
        await response.arrayBuffer().catch(() => undefined);
        throw new RegistryAuthError(
          this.options.credentials
            ? `${this.registry} rejected the credentials of '${this.options.credentials.username}' (token service answered ${response.status})`
            : `${this.registry} requires credentials (token service answered ${response.status}); set registry-username and registry-password`,
          response.status,
        );
      }
      if (!response.ok) throw await this.toError('GET', `token ${realm.host}`, response);
      const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new RegistryError(`the token service of ${this.registry} returned no token`, response.status, 'UNAUTHORIZED');
      this.tokens.set(scope, token);
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.options.credentials) {
        throw new RegistryAuthError(`${this.registry} requires credentials (Basic auth); set registry-username and registry-password`, 401);
      }
      this.basic = true;
      return;
    }
    throw new RegistryAuthError(`${this.registry} answered 401 with no usable challenge ('${header ?? ''}')`, 401);
  }

  private async toError(method: string, path: string, response: Response): Promise<RegistryError> {
    let code: string | undefined;
    let detail: string;
    const text = await response.text().catch(() => '');
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      code = parsed.errors?.[0]?.code;
      detail = parsed.errors?.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ') ?? '';
    } catch {
      detail = text.trim().slice(0, 200);
    }
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now());
    const message = `${method} ${path} on ${this.registry} answered ${response.status}${detail ? ` (${detail})` : ''}`;
    if (response.status === 403) return new RegistryAuthError(message, 403);
    return new RegistryError(message, response.status, code, retryAfter);
  }
}

function filter(manifests: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? manifests.filter((m) => m.artifactType === artifactType) : manifests;
}

function hintInsecure(reason: string, insecure: boolean | undefined): string {
  if (!insecure && /wrong version number|EPROTO|SSL|TLS/i.test(reason)) return `${reason} (a plain-http registry? set insecure-registry: true for loopback registries)`;
  return reason;
}
