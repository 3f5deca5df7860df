import { describe, expect, it } from 'vitest';
import { GitHubApiError, toGitHubApiError, withPermissionHint } from '../../../src/github/client.js';
import { clip } from '../../../src/github/deployments.js';

const API = 'https://api.github.com';
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** The shape @octokit/request-error gives a failed call (the URL as sent, not the route template). */
function requestError(status: number, data: unknown, headers: Record<string, string> = {}, url = `${API}/repos/acme/api/contents/x.jsonl`): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status, request: { method: 'GET', url }, response: { status, headers, data, url } });
}

describe('toGitHubApiError', () => {
  it('names the call, the status and GitHub’s message, with validation details', () => {
    const error = toGitHubApiError(
      requestError(
        422,
        { message: 'Validation Failed', errors: [{ resource: 'DeploymentStatus', field: 'description', message: 'description is too long (maximum is 140 characters)' }], documentation_url: 'https://docs.github.com/rest' },
        {},
        `${API}/repos/acme/api/deployments/7/statuses`,
      ),
      'POST',
      `${API}/repos/{owner}/{repo}/deployments/{deployment_id}/statuses`,
      API,
      NOW,
    );
    expect(error.message).toBe('GitHub API POST /repos/acme/api/deployments/7/statuses → 422: Validation Failed (description is too long (maximum is 140 characters))');
    expect(error).toMatchObject({ status: 422, transient: false, documentationUrl: 'https://docs.github.com/rest' });
  });

  it.each([
    [500, {}, true, false, undefined],
    [502, {}, true, false, undefined],
    [503, { 'retry-after': '7' }, true, false, 7000],
    [429, { 'retry-after': '2' }, true, true, 2000],
    [403, { 'retry-after': '60' }, true, true, 60000],
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 30) }, true, true, 30000],
    [403, {}, false, false, undefined],
    [404, {}, false, false, undefined],
    [409, {}, false, false, undefined],
  ])('status %i with headers %j: transient %s, rate limited %s, wait %s', (status, headers, transient, rateLimited, wait) => {
    const error = toGitHubApiError(requestError(status, { message: 'x' }, headers), 'GET', `${API}/x`, API, NOW);
    expect(error.transient).toBe(transient);
    expect(error.rateLimited).toBe(rateLimited);
    expect(error.retryAfterMs).toBe(wait);
  });

  it('treats no response (a network error, a timeout) as transient, and keeps the cause', () => {
    const error = toGitHubApiError(Object.assign(new Error('fetch failed'), { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }), 'PUT', `${API}/repos/a/b/contents/p`, API, NOW);
    expect(error.message).toBe('GitHub API PUT /repos/a/b/contents/p → no response: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    expect(error.transient).toBe(true);
  });

  it('keeps a GitHub Enterprise prefix out of the path it names', () => {
    const ghes = 'https://ghe.example.com/api/v3';
    expect(toGitHubApiError(requestError(404, { message: 'Not Found' }, {}, `${ghes}/repos/a/b?ref=x`), 'GET', `${ghes}/repos/{owner}/{repo}`, ghes, NOW).path).toBe('/repos/a/b');
  });

  it('adds the permission to grant on 403 and 404, but not on a rate limit', () => {
    const forbidden = new GitHubApiError('PUT', '/repos/a/b/contents/p', 403, 'Resource not accessible by integration');
    expect((withPermissionHint(forbidden, 'contents: write') as Error).message).toBe('GitHub API PUT /repos/a/b/contents/p → 403: Resource not accessible by integration — the token needs `permissions: contents: write`');
    const limited = new GitHubApiError('PUT', '/p', 403, 'API rate limit exceeded', 1000);
    expect(withPermissionHint(limited, 'contents: write')).toBe(limited);
    expect((withPermissionHint(new GitHubApiError('GET', '/p', 404, 'Not Found'), 'actions: read') as Error).message).toMatch(/needs `permissions: actions: read`/);
  });
});

describe('clip (deployment status descriptions ≤ 140 characters)', () => {
  it.each([
    ['short', 'short'],
    ['a'.repeat(140), 'a'.repeat(140)],
    ['a'.repeat(141), `${'a'.repeat(139)}…`],
    ['🚀'.repeat(150), `${'🚀'.repeat(139)}…`],
    ['two\nlines  here', 'two lines here'],
  ])('%#', (text, expected) => {
    expect(clip(text)).toBe(expected);
    expect([...clip(text)].length).toBeLessThanOrEqual(140);
  });
});

describe('sleepWithProgress', () => {
  it('reports at least every 10 s during a long wait', async () => {
    const { sleepWithProgress } = await import('../../../src/github/client.js');
    const slept: number[] = [];
    const reports: number[] = [];
    await sleepWithProgress({ sleep: async (ms) => void slept.push(ms) }, 35_000, (left) => reports.push(left));
    expect(slept).toEqual([10_000, 10_000, 10_000, 5_000]);
    expect(reports).toEqual([25_000, 15_000, 5_000]);
  });
});
