/**
 * Workflow-run facts an audit needs: the environment reviews (who approved or rejected a protected
 * environment, with their comment) and when the run attempt started. Both need `actions: read`.
 */
import type { GitHubClient } from './client.js';
import type { RepoRef } from './files.js';

export interface EnvironmentReview {
  /** Who reviewed. */
  user: string;
  state: 'approved' | 'rejected' | 'pending';
  comment: string;
  /** The environments the review covered. */
  environments: string[];
}

/** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`. */
export async function listRunReviews(client: GitHubClient, at: RepoRef & { runId: number }): Promise<EnvironmentReview[]> {
  const { data } = await client.octokit.rest.actions.getReviewsForRun({ owner: at.owner, repo: at.repo, run_id: at.runId });
  return data.map((review) => ({
    user: review.user.login,
    state: review.state,
    comment: review.comment,
    environments: review.environments.map((e) => e.name ?? '').filter((name) => name !== ''),
  }));
}

export interface RunInfo {
  /** When this attempt started (ISO 8601), when GitHub says. */
  runStartedAt?: string;
  htmlUrl: string;
  runAttempt?: number;
  name?: string;
}

/** `GET /repos/{owner}/{repo}/actions/runs/{run_id}`. */
export async function getRun(client: GitHubClient, at: RepoRef & { runId: number }): Promise<RunInfo> {
  const { data } = await client.octokit.rest.actions.getWorkflowRun({ owner: at.owner, repo: at.repo, run_id: at.runId, exclude_pull_requests: true });
  return {
    htmlUrl: data.html_url,
    ...(data.run_started_at ? { runStartedAt: data.run_started_at } : {}),
    ...(data.run_attempt !== undefined ? { runAttempt: data.run_attempt } : {}),
    ...(data.name ? { name: data.name } : {}),
  };
}
