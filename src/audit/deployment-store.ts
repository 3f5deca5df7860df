/**
 * The `github-deployment` store: a Deployment of the recorded commit to the environment, the record
 * as its payload, then `in_progress` → the outcome (`success` / `failure` / `error`) with the run as
 * log URL. Only a successful deployment retires the previous ones: GitHub's `auto_inactive` for
 * ordinary environments, an explicit `inactive` status for production and transient ones, which
 * `auto_inactive` skips.
 */
import type { Logger } from '../core/index.js';
import { withPermissionHint, type GitHubClient } from '../github/client.js';
import { createDeployment, createDeploymentStatus, deactivatePrevious, type DeploymentState } from '../github/deployments.js';
import type { RepoRef } from '../github/files.js';
import type { AuditRecord, RecordStatus } from './record.js';

/** production, prod, production-eu, prod/us: what end users use (GitHub's own default: `production`). */
export function isProductionEnvironment(environment: string): boolean {
  return /^prod(uction)?([-_./ ].*)?$/i.test(environment.trim());
}

/** pr-123, preview/feature-x, review-app-7: an environment that lives as long as its change. */
export function isTransientEnvironment(environment: string): boolean {
  return /^(pr|preview|review)([-_./ ].+|\d+)$/i.test(environment.trim());
}

export function deploymentState(status: RecordStatus): Exclude<DeploymentState, 'inactive' | 'in_progress' | 'queued' | 'pending'> {
  switch (status) {
    case 'success':
      return 'success';
    case 'failure':
    case 'rolled-back':
      return 'failure';
    case 'cancelled':
    case 'error':
      return 'error';
  }
}

/** One line for the status: outcome, image, verification, record hash (clipped to 140 by the client). */
export function statusDescription(record: AuditRecord, sha256: string): string {
  const image = record.image ? `${record.image.name.split('/').pop()}@${record.image.digest.slice(0, 19)}` : 'no image';
  const verified = record.verified ? 'verified' : 'not verified';
  return `${record.status} ${image}, ${verified}, record ${sha256.slice(0, 12)}`;
}

export interface DeploymentStoreResult {
  id: number;
  url: string;
  retired: number[];
}

export async function recordDeployment(
  client: GitHubClient,
  at: RepoRef,
  record: AuditRecord,
  sha256: string,
  options: { environmentUrl?: string; log: Pick<Logger, 'info' | 'warning'> },
): Promise<DeploymentStoreResult> {
  const ref = record.commit ?? record.ref;
  if (!ref) throw new Error('a GitHub deployment needs the commit deployed (input commit, default GITHUB_SHA)');
  const production = isProductionEnvironment(record.environment);
  const transient = !production && isTransientEnvironment(record.environment);
  const logUrl = record.run.url ?? undefined;
  const state = deploymentState(record.status);
  let id: number;
  let url: string;
  try {
    ({ id, url } = await createDeployment(client, {
      ...at,
      ref,
      environment: record.environment,
      payload: record as unknown as Record<string, unknown>,
      description: `shipline audit record ${sha256.slice(0, 12)}`,
      productionEnvironment: production,
      transientEnvironment: transient,
    }));
    const common = { ...at, deploymentId: id, ...(logUrl ? { logUrl } : {}), ...(options.environmentUrl ? { environmentUrl: options.environmentUrl } : {}) };
    await createDeploymentStatus(client, { ...common, state: 'in_progress', description: `recording ${record.status}`, autoInactive: false });
    await createDeploymentStatus(client, { ...common, state, description: statusDescription(record, sha256), autoInactive: state === 'success' });
  } catch (error) {
    throw withPermissionHint(error, 'deployments: write');
  }
  options.log.info(`Deployment ${id} of ${record.commit?.slice(0, 12) ?? ref} to ${record.environment}: ${state}${production ? ' (production environment)' : transient ? ' (transient environment)' : ''}`);
  let retired: number[] = [];
  if (state === 'success' && (production || transient)) {
    try {
      retired = await deactivatePrevious(client, { ...at, environment: record.environment, currentId: id, ...(logUrl ? { logUrl } : {}) });
      if (retired.length) options.log.info(`Marked ${retired.length} earlier deployment(s) of ${record.environment} inactive: ${retired.join(', ')}`);
    } catch (error) {
      options.log.warning(`Could not mark earlier deployments of ${record.environment} inactive: ${(withPermissionHint(error, 'deployments: write') as Error).message}`);
    }
  }
  return { id, url, retired };
}
