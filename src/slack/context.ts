/**
 * The GitHub context a notification describes, read from the runner's default environment variables
 * (docs.github.com "Store information in variables" → default environment variables) and the event
 * payload at GITHUB_EVENT_PATH (for the commit message and author). Reading never fails: a missing
 * or unreadable event file just leaves the commit details empty.
 */
import { readFileSync } from 'node:fs';

export interface GitHubContext {
  serverUrl: string;
  repository: string;
  repositoryUrl: string;
  /** The commit the notification is about: the PR head for pull_request events, else GITHUB_SHA. */
  sha: string;
  shortSha: string;
  ref: string;
  refName: string;
  actor: string;
  triggeringActor: string;
  workflow: string;
  job: string;
  eventName: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  /** Link to this run (and attempt, when re-run). */
  runUrl: string;
  commitUrl: string;
  /** First line of the commit message (or the PR title). */
  commitMessage: string;
  commitAuthor: string;
  /** The parsed event payload ({} when absent). */
  event: Record<string, unknown>;
}

type Env = Readonly<Record<string, string | undefined>>;

function readEvent(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function dig(object: unknown, ...path: string[]): unknown {
  let current = object;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

export function readGitHubContext(env: Env): GitHubContext {
  const get = (name: string): string => env[name]?.trim() ?? '';
  const event = readEvent(get('GITHUB_EVENT_PATH') || undefined);
  const serverUrl = (get('GITHUB_SERVER_URL') || 'https://github.com').replace(/\/+$/, '');
  const repository = get('GITHUB_REPOSITORY');
  const repositoryUrl = repository ? `${serverUrl}/${repository}` : '';
  const runId = get('GITHUB_RUN_ID');
  const runAttempt = get('GITHUB_RUN_ATTEMPT') || '1';

  const pullRequest = dig(event, 'pull_request');
  const headCommit = dig(event, 'head_commit');
  const sha = str(dig(pullRequest, 'head', 'sha')) || get('GITHUB_SHA');
  let commitMessage = '';
  let commitAuthor = '';
  if (pullRequest) {
    commitMessage = str(dig(pullRequest, 'title'));
    commitAuthor = str(dig(pullRequest, 'user', 'login'));
  } else if (headCommit) {
    commitMessage = str(dig(headCommit, 'message'));
    commitAuthor = str(dig(headCommit, 'author', 'name')) || str(dig(headCommit, 'author', 'username'));
  }

  const actor = get('GITHUB_ACTOR');
  return {
    serverUrl,
    repository,
    repositoryUrl,
    sha,
    shortSha: sha.slice(0, 7),
    ref: get('GITHUB_REF'),
    refName: get('GITHUB_REF_NAME') || get('GITHUB_REF').replace(/^refs\/(heads|tags)\//, ''),
    actor,
    triggeringActor: get('GITHUB_TRIGGERING_ACTOR') || actor,
    workflow: get('GITHUB_WORKFLOW'),
    job: get('GITHUB_JOB'),
    eventName: get('GITHUB_EVENT_NAME'),
    runId,
    runNumber: get('GITHUB_RUN_NUMBER'),
    runAttempt,
    runUrl: repositoryUrl && runId ? `${repositoryUrl}/actions/runs/${runId}${runAttempt !== '1' ? `/attempts/${runAttempt}` : ''}` : '',
    commitUrl: repositoryUrl && sha ? `${repositoryUrl}/commit/${sha}` : '',
    commitMessage: (commitMessage.split(/\r?\n/)[0] ?? '').trim(),
    commitAuthor,
    event,
  };
}
