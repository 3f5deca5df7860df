/**
 * The workflow run an action is part of, read from the runner's default environment variables
 * (docs.github.com "Variables reference"). Pure: no network, no @actions/github (which would pull
 * Octokit into start-up).
 */
export interface RunContext {
  /** `owner/name`, from GITHUB_REPOSITORY. */
  repository?: string;
  owner?: string;
  repo?: string;
  sha?: string;
  ref?: string;
  /** The user who started the run (GITHUB_ACTOR). */
  actor?: string;
  /** The user who started this attempt (GITHUB_TRIGGERING_ACTOR; differs from actor on re-runs). */
  triggeringActor?: string;
  runId?: number;
  runAttempt: number;
  runNumber?: number;
  workflow?: string;
  job?: string;
  eventName?: string;
  serverUrl: string;
  /** REST API base URL without a trailing slash (GITHUB_API_URL; GitHub Enterprise: https://HOST/api/v3). */
  apiUrl: string;
  /** The run attempt's page, the deployment's log URL. */
  runUrl?: string;
}

export const DEFAULT_API_URL = 'https://api.github.com';

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);

function positiveInt(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (!text || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** `owner/name` split, or undefined when the text is not one. */
export function parseRepository(text: string | undefined): { owner: string; repo: string } | undefined {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(text?.trim() ?? '');
  if (!match || match[2] === '.' || match[2] === '..') return undefined;
  return { owner: match[1] as string, repo: match[2] as string };
}

export function apiUrlFrom(env: Env): string {
  return (nonEmpty(env['GITHUB_API_URL']) ?? DEFAULT_API_URL).replace(/\/+$/, '');
}

export function readRunContext(env: Env): RunContext {
  const repository = nonEmpty(env['GITHUB_REPOSITORY']);
  const parts = parseRepository(repository);
  const serverUrl = (nonEmpty(env['GITHUB_SERVER_URL']) ?? 'https://github.com').replace(/\/+$/, '');
  const runId = positiveInt(env['GITHUB_RUN_ID']);
  const runAttempt = positiveInt(env['GITHUB_RUN_ATTEMPT']) ?? 1;
  const context: RunContext = { runAttempt, serverUrl, apiUrl: apiUrlFrom(env) };
  const set = <K extends keyof RunContext>(key: K, value: RunContext[K] | undefined): void => {
    if (value !== undefined) context[key] = value;
  };
  set('repository', parts ? repository : undefined);
  set('owner', parts?.owner);
  set('repo', parts?.repo);
  set('sha', nonEmpty(env['GITHUB_SHA']));
  set('ref', nonEmpty(env['GITHUB_REF']));
  set('actor', nonEmpty(env['GITHUB_ACTOR']));
  set('triggeringActor', nonEmpty(env['GITHUB_TRIGGERING_ACTOR']));
  set('runId', runId);
  set('runNumber', positiveInt(env['GITHUB_RUN_NUMBER']));
  set('workflow', nonEmpty(env['GITHUB_WORKFLOW']));
  set('job', nonEmpty(env['GITHUB_JOB']));
  set('eventName', nonEmpty(env['GITHUB_EVENT_NAME']));
  if (parts && runId !== undefined) set('runUrl', `${serverUrl}/${repository}/actions/runs/${runId}/attempts/${runAttempt}`);
  return context;
}
