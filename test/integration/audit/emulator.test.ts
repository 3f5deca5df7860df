/**
 * The GitHub API emulator checks itself and its callers against GitHub's description: these tests
 * send requests the description forbids and expect each to be recorded as a mismatch (a test using
 * the emulator then fails), and check the CAS semantics the ledger relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubApiValidator, startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';

let gh: GitHubEmulator;
beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(async () => {
  await gh.stop();
});

async function call(method: string, path: string, body?: unknown, token: string | null = gh.state.token): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${gh.apiUrl}${path}`, {
    method,
    headers: { accept: 'application/vnd.github+json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

function mismatchesSince<T>(fn: () => Promise<T>): Promise<{ result: T; found: string[] }> {
  const before = gh.mismatches.length;
  return fn().then((result) => ({ result, found: gh.mismatches.slice(before).map((m) => `${m.kind}: ${m.detail}`) }));
}

describe('GitHub API emulator (validated against @octokit/openapi api.github.com)', () => {
  it('records a request body property the description does not declare (a typo)', async () => {
    const { result, found } = await mismatchesSince(() => call('POST', '/repos/acme/api/deployments', { ref: 'main', enviroment: 'production' }));
    expect(result.status).toBe(422);
    expect(found).toEqual(["request: request body: (root) must NOT have additional properties 'enviroment'"]);
  });

  it('records a wrongly typed field, a bad enum value, a missing required field', async () => {
    const { found } = await mismatchesSince(async () => {
      await call('POST', '/repos/acme/api/deployments', { ref: 'main', auto_merge: 'false' });
      await call('POST', '/repos/acme/api/deployments/1/statuses', { state: 'done' });
      await call('POST', '/repos/acme/api/git/refs', { ref: 'refs/heads/x' });
    });
    expect(found).toEqual([
      'request: request body: /auto_merge must be boolean',
      'request: request body: /state must be equal to one of the allowed values ["error","failure","inactive","in_progress","queued","pending","success"]',
      "request: request body: (root) must have required property 'sha'",
    ]);
  });

  it('records an undeclared query parameter, a path parameter of the wrong type, and an unknown route', async () => {
    const { found } = await mismatchesSince(async () => {
      await call('GET', '/repos/acme/api/actions/runs/1/approvals?per_page=5');
      await call('GET', '/repos/acme/api/deployments/latest/statuses');
      await call('GET', '/repos/acme/api/deployment');
    });
    expect(found).toEqual([
      "request: query parameter 'per_page' is not in the description",
      "request: path parameter deployment_id='latest': (root) must be integer",
      'route: no operation of api.github.com matches GET /repos/acme/api/deployment',
    ]);
  });

  it('rejects a wrong token with 401, in GitHub’s error shape', async () => {
    const { result, found } = await mismatchesSince(() => call('GET', '/repos/acme/api/git/ref/heads%2Fmain', undefined, 'ghs_wrong'));
    expect(result).toEqual({ status: 401, json: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } });
    expect(found).toEqual([]);
  });

  it('validates responses too: a body that breaks the described schema is a mismatch', () => {
    const validator = githubApiValidator();
    const op = validator.match('POST', '/repos/acme/api/deployments');
    expect(op?.operationId).toBe('repos/create-deployment');
    if (!op) return;
    expect(validator.validateResponse(op, 201, 'application/json', { id: 1 })[0]).toMatch(/^201 response body: \(root\) must have required property/);
    expect(validator.validateResponse(op, 204, 'application/json', undefined)).toEqual(['status 204 is not a declared response of repos/create-deployment (declared: 201, 202, 409, 422)']);
    expect(validator.validateResponse(op, 500, 'application/json', { message: 'x' })).toEqual([]);
  });

  it('implements compare-and-swap on the blob sha: 201 create, 422 without sha, 409 on a stale one, 200 update', async () => {
    const before = gh.mismatches.length;
    const path = '/repos/acme/api/contents/cas.txt';
    const created = await call('PUT', path, { message: 'a', content: Buffer.from('one\n').toString('base64') });
    expect(created.status).toBe(201);
    const sha1 = (created.json as { content: { sha: string } }).content.sha;
    expect(sha1).toBe('5626abf0f72e58d7a153368ba57db4c673c0e171'); // git hash-object of "one\n"
    expect((await call('PUT', path, { message: 'b', content: Buffer.from('two\n').toString('base64') })).status).toBe(422);
    const updated = await call('PUT', path, { message: 'b', content: Buffer.from('two\n').toString('base64'), sha: sha1 });
    expect(updated.status).toBe(200);
    const stale = await call('PUT', path, { message: 'c', content: Buffer.from('three\n').toString('base64'), sha: sha1 });
    expect(stale).toEqual({ status: 409, json: { message: `cas.txt does not match ${sha1}`, documentation_url: 'https://docs.github.com/rest', status: '409' } });
    expect(gh.state.readFile('main', 'cas.txt')).toBe('two\n');
    expect(gh.mismatches.slice(before)).toEqual([]);
  });

  it('injects faults, before or after the operation takes effect', async () => {
    gh.fail({ method: 'GET', path: 'git/get-ref', status: 503, times: 2 });
    expect((await call('GET', '/repos/acme/api/git/ref/heads%2Fmain')).status).toBe(503);
    expect((await call('GET', '/repos/acme/api/git/ref/heads%2Fmain')).status).toBe(503);
    expect((await call('GET', '/repos/acme/api/git/ref/heads%2Fmain')).status).toBe(200);
    gh.fail({ path: /\/contents\/after\.txt$/, status: 502, afterHandling: true });
    expect((await call('PUT', '/repos/acme/api/contents/after.txt', { message: 'x', content: '' })).status).toBe(502);
    expect(gh.state.readFile('main', 'after.txt')).toBe('');
    expect(gh.requests.at(-1)).toMatchObject({ status: 502, injected: true, operationId: 'repos/create-or-update-file-contents' });
  });
});
