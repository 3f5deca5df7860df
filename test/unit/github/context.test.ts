import { describe, expect, it } from 'vitest';
import { apiUrlFrom, parseRepository, readRunContext } from '../../../src/github/context.js';

describe('readRunContext', () => {
  it('reads the runner’s variables, and builds the run attempt’s URL', () => {
    const context = readRunContext({
      GITHUB_REPOSITORY: 'acme/api',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REF: 'refs/tags/v1.2.3',
      GITHUB_ACTOR: 'octocat',
      GITHUB_TRIGGERING_ACTOR: 'hubot',
      GITHUB_RUN_ID: '16000000001',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_RUN_NUMBER: '17',
      GITHUB_WORKFLOW: 'deploy',
      GITHUB_JOB: 'production',
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_SERVER_URL: 'https://github.example.com/',
      GITHUB_API_URL: 'https://github.example.com/api/v3/',
    });
    expect(context).toEqual({
      repository: 'acme/api',
      owner: 'acme',
      repo: 'api',
      sha: '0123456789abcdef0123456789abcdef01234567',
      ref: 'refs/tags/v1.2.3',
      actor: 'octocat',
      triggeringActor: 'hubot',
      runId: 16000000001,
      runAttempt: 2,
      runNumber: 17,
      workflow: 'deploy',
      job: 'production',
      eventName: 'workflow_dispatch',
      serverUrl: 'https://github.example.com',
      apiUrl: 'https://github.example.com/api/v3',
      runUrl: 'https://github.example.com/acme/api/actions/runs/16000000001/attempts/2',
    });
  });

  it('falls back to github.com and attempt 1, and leaves out what is not set or not valid', () => {
    expect(readRunContext({ GITHUB_REPOSITORY: 'not a repo', GITHUB_RUN_ID: 'x', GITHUB_ACTOR: ' ' })).toEqual({ runAttempt: 1, serverUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
  });

  it.each([
    ['acme/api', { owner: 'acme', repo: 'api' }],
    ['my-org/my.repo_2', { owner: 'my-org', repo: 'my.repo_2' }],
    ['acme/..', undefined],
    ['acme', undefined],
    ['a/b/c', undefined],
    ['-acme/api', undefined],
  ])('parseRepository(%j)', (text, expected) => {
    expect(parseRepository(text)).toEqual(expected);
  });

  it('takes the API URL from GITHUB_API_URL (GitHub Enterprise Server)', () => {
    expect(apiUrlFrom({ GITHUB_API_URL: 'https://ghe.example.com/api/v3' })).toBe('https://ghe.example.com/api/v3');
    expect(apiUrlFrom({})).toBe('https://api.github.com');
  });
});
