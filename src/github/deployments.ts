/**
 * GitHub Deployments: create one (never auto-merging the default branch into the ref, never gated on
 * commit statuses — the deployment already happened), post its statuses, and retire the previous
 * active deployments of the environment.
 *
 * GitHub's own `auto_inactive` only retires prior deployments of non-production, non-transient
 * environments (REST docs, "Create a deployment status"): a production or preview environment keeps
 * every old deployment "active". `deactivatePrevious` closes that gap explicitly.
 */
import type { GitHubClient } from './client.js';
import type { RepoRef } from './files.js';

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

/** GitHub's limit on a deployment status description. */
export const DESCRIPTION_LIMIT = 140;

/** Cut to `limit` characters (code points, never half a surrogate pair), with an ellipsis. */
export function clip(text: string, limit = DESCRIPTION_LIMIT): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= limit ? chars.join('') : `${chars.slice(0, limit - 1).join('')}…`;
}

export interface NewDeployment extends RepoRef {
  ref: string;
  environment: string;
  payload: Record<string, unknown>;
  description: string;
  productionEnvironment: boolean;
  transientEnvironment: boolean;
  task?: string;
}

export async function createDeployment(client: GitHubClient, d: NewDeployment): Promise<{ id: number; url: string }> {
  const response = await client.octokit.rest.repos.createDeployment({
    owner: d.owner,
    repo: d.repo,
    ref: d.ref,
    task: d.task ?? 'deploy',
    environment: d.environment,
    payload: d.payload,
    description: clip(d.description),
    auto_merge: false,
    required_contexts: [],
    production_environment: d.productionEnvironment,
    transient_environment: d.transientEnvironment,
  });
  const data = response.data as { id?: number; url?: string; message?: string };
  if (response.status !== 201 || typeof data.id !== 'number') {
    throw new Error(`GitHub did not create a deployment (HTTP ${response.status}${data.message ? `: ${data.message}` : ''})`);
  }
  return { id: data.id, url: data.url ?? '' };
}

export interface NewDeploymentStatus extends RepoRef {
  deploymentId: number;
  state: DeploymentState;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
  autoInactive: boolean;
}

export async function createDeploymentStatus(client: GitHubClient, s: NewDeploymentStatus): Promise<{ id: number }> {
  const { data } = await client.octokit.rest.repos.createDeploymentStatus({
    owner: s.owner,
    repo: s.repo,
    deployment_id: s.deploymentId,
    state: s.state,
    description: clip(s.description),
    auto_inactive: s.autoInactive,
    ...(s.logUrl ? { log_url: s.logUrl } : {}),
    ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
  });
  return { id: data.id };
}

/**
 * Posts `inactive` on the environment's earlier deployments whose latest status is `success`
 * (looking at the `scan` most recent ones). Returns the ids it retired.
 */
export async function deactivatePrevious(
  client: GitHubClient,
  at: RepoRef & { environment: string; currentId: number; scan?: number; description?: string; logUrl?: string },
): Promise<number[]> {
  const { octokit } = client;
  const { data: deployments } = await octokit.rest.repos.listDeployments({ owner: at.owner, repo: at.repo, environment: at.environment, per_page: Math.min(at.scan ?? 30, 100) });
  const retired: number[] = [];
  for (const deployment of deployments) {
    if (deployment.id === at.currentId || deployment.id > at.currentId) continue;
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ owner: at.owner, repo: at.repo, deployment_id: deployment.id, per_page: 1 });
    if (statuses[0]?.state !== 'success') continue;
    await octokit.rest.repos.createDeploymentStatus({
      owner: at.owner,
      repo: at.repo,
      deployment_id: deployment.id,
      state: 'inactive',
      description: clip(at.description ?? `superseded by deployment ${at.currentId}`),
      auto_inactive: false,
      ...(at.logUrl ? { log_url: at.logUrl } : {}),
    });
    retired.push(deployment.id);
  }
  return retired;
}
