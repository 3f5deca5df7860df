/**
 * A small GitHub REST client over @actions/github (Octokit + undici, proxy-aware): the base URL comes
 * from GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3), every request has a timeout,
 * transient failures are retried with backoff (429, secondary rate limits with Retry-After, 500, 502,
 * 503, 504, network errors), and failures become one GitHubApiError line naming the call, the
 * status, GitHub's message and, when a permission is missing, the one to grant.
 *
 * Import this module lazily (after inputs are read): Octokit is ~500 KB of start-up.
 */
import { getOctokit } from '@actions/github';
import { backoffDelay, errorMessage, parseRetryAfter, PROGRESS_INTERVAL_MS, systemClock, type Clock, type Logger } from '../core/index.js';
import { DEFAULT_API_URL } from './context.js';

export type Octokit = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** REST base URL (GITHUB_API_URL); default https://api.github.com. */
  apiUrl?: string;
  /** Retries of a transient failure (so `retries: 4` makes at most 5 attempts). */
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  clock?: Pick<Clock, 'sleep' | 'now'>;
  log?: Pick<Logger, 'info' | 'debug' | 'warning'>;
  userAgent?: string;
  /** A fetch implementation (default: @actions/github's proxy-aware undici fetch). */
  fetch?: typeof fetch;
}

export interface GitHubClient {
  readonly octokit: Octokit;
  readonly apiUrl: string;
}

/** A failed GitHub API call, as one readable line. */
export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when no response arrived (network error, timeout). */
    readonly status: number,
    readonly apiMessage: string,
    readonly retryAfterMs?: number,
    readonly documentationUrl?: string,
  ) {
    super(`GitHub API ${method} ${path} → ${status || 'no response'}: ${apiMessage}`);
  }

  /** Rate limited: 429, or 403 with Retry-After / an exhausted x-ratelimit-remaining. */
  get rateLimited(): boolean {
    return this.status === 429 || (this.status === 403 && (this.retryAfterMs !== undefined || /rate limit/i.test(this.apiMessage)));
  }

  get transient(): boolean {
    return this.status === 0 || this.rateLimited || [500, 502, 503, 504].includes(this.status);
  }
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  request?: { url?: string };
  response?: { status?: number; url?: string; headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** The route as sent (path without query), for messages; never the token. */
function pathOf(url: string, apiUrl: string): string {
  const noQuery = url.split('?')[0] ?? url;
  return noQuery.startsWith(apiUrl) ? noQuery.slice(apiUrl.length) || '/' : noQuery.replace(/^https?:\/\/[^/]+/, '');
}

/** Turns whatever Octokit threw into a GitHubApiError. */
export function toGitHubApiError(error: unknown, method: string, url: string, apiUrl: string, nowMs: number): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const e = (error ?? {}) as RequestErrorLike;
  const response = e.response;
  // The hook sees the route template; Octokit's error carries the URL as sent.
  const path = pathOf(e.request?.url ?? response?.url ?? url, apiUrl);
  if (!response) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new GitHubApiError(method, path, 0, `${errorMessage(error)}${cause}`);
  }
  const status = response.status ?? e.status ?? 0;
  const data = response.data as { message?: unknown; documentation_url?: unknown; errors?: unknown } | string | undefined;
  let message = typeof data === 'object' && data && typeof data.message === 'string' ? data.message : typeof data === 'string' && data ? data.slice(0, 300) : (e.message ?? `HTTP ${status}`);
  if (typeof data === 'object' && data && Array.isArray(data.errors) && data.errors.length) {
    const details = data.errors.map((x: unknown) => (typeof x === 'string' ? x : typeof x === 'object' && x && 'message' in x ? String((x as { message: unknown }).message) : JSON.stringify(x))).join('; ');
    message = `${message} (${details})`;
  }
  const headers = response.headers ?? {};
  let retryAfterMs = parseRetryAfter(headers['retry-after'] === undefined ? undefined : String(headers['retry-after']), nowMs);
  if (retryAfterMs === undefined && String(headers['x-ratelimit-remaining']) === '0' && headers['x-ratelimit-reset'] !== undefined) {
    retryAfterMs = Math.max(0, Number(headers['x-ratelimit-reset']) * 1000 - nowMs);
  }
  const doc = typeof data === 'object' && data && typeof data.documentation_url === 'string' ? data.documentation_url : undefined;
  return new GitHubApiError(method, path, status, message, retryAfterMs, doc);
}

/** Waits `ms`, reporting at least every 10 s (SPEC: long waits log progress every 15 s at most). */
export async function sleepWithProgress(clock: Pick<Clock, 'sleep'>, ms: number, report: (leftMs: number) => void, everyMs = PROGRESS_INTERVAL_MS): Promise<void> {
  let left = ms;
  while (left > everyMs) {
    await clock.sleep(everyMs);
    left -= everyMs;
    report(left);
  }
  await clock.sleep(left);
}

/** Longest wait honoured from a Retry-After before giving up on the call. */
export const MAX_RETRY_AFTER_MS = 60_000;

export async function createGitHubClient(options: GitHubClientOptions): Promise<GitHubClient> {
  const apiUrl = (options.apiUrl?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const retries = options.retries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log;
  const octokit = getOctokit(options.token, {
    baseUrl: apiUrl,
    userAgent: options.userAgent ?? 'shipline',
    log: {
      debug: (m: string) => log?.debug(m),
      info: (m: string) => log?.debug(m),
      warn: (m: string) => log?.warning(m),
      error: (m: string) => log?.warning(m),
    },
    // Passing `request` replaces @actions/github's proxy-aware fetch, so only when asked to.
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
  });

  octokit.hook.wrap('request', async (request, requestOptions) => {
    const method = String(requestOptions.method ?? 'GET');
    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        return await request({ ...requestOptions, request: { ...requestOptions.request, signal } });
      } catch (error) {
        let apiError = toGitHubApiError(error, method, String(requestOptions.url), apiUrl, clock.now());
        if (signal.aborted && apiError.status === 0) apiError = new GitHubApiError(method, apiError.path, 0, `no response within ${Math.round(timeoutMs / 1000)} s`);
        const tooLong = apiError.retryAfterMs !== undefined && apiError.retryAfterMs > MAX_RETRY_AFTER_MS;
        if (attempt > retries || !apiError.transient || tooLong) throw apiError;
        const delay = apiError.retryAfterMs ?? backoffDelay(attempt, { minDelayMs: options.minDelayMs ?? 1000, maxDelayMs: options.maxDelayMs ?? 15_000 });
        log?.info(`${apiError.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${retries + 1})`);
        await sleepWithProgress(clock, delay, (left) => log?.info(`… still waiting to retry ${method} ${apiError.path}: ${Math.ceil(left / 1000)} s left`));
      }
    }
  });
  return { octokit, apiUrl };
}

/** Appends the permission a 403/404 most likely lacks to the error's message. */
export function withPermissionHint(error: unknown, permission: string): unknown {
  if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404) && !error.rateLimited) {
    const hint = error.status === 403 ? `the token needs \`permissions: ${permission}\`` : `the repository or resource was not found, or the token cannot see it (needs \`permissions: ${permission}\`)`;
    return new GitHubApiError(error.method, error.path, error.status, `${error.apiMessage} — ${hint}`, error.retryAfterMs, error.documentationUrl);
  }
  return error;
}
