/**
 * The github-deployment store against the loopback GitHub API emulator (checked against GitHub's
 * OpenAPI description): the deployment and its statuses, the record as payload, and which earlier
 * deployments become inactive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordSha256 } from '../../../src/audit/canonical.js';
import { isProductionEnvironment, isTransientEnvironment, recordDeployment } from '../../../src/audit/deployment-store.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { makeRecord } from '../../unit/audit/fixtures.js';
import { clientFor, fastClock, quietLog, REPO } from './helpers.js';

let gh: GitHubEmulator;
beforeEach(async () => {
  gh = await startGitHubEmulator();
});
afterEach(async () => {
  await gh.stop();
});

async function deploy(record: AuditRecord, environmentUrl?: string): ReturnType<typeof recordDeployment> {
  const clock = fastClock();
  return recordDeployment(await clientFor(gh, clock), REPO, record, recordSha256(record), { log: quietLog(), ...(environmentUrl ? { environmentUrl } : {}) });
}

const states = (id: number): string[] => gh.state.deployments.find((d) => d.id === id)?.statuses.map((s) => s.state) ?? [];

describe('github-deployment store (GitHub API emulator checked against @octokit/openapi)', () => {
  it('creates a deployment of the commit with the record as payload, then in_progress → success', async () => {
    const record = makeRecord({ environment: 'staging' });
    const { id } = await deploy(record, 'https://staging.example.com');
    const stored = gh.state.deployments.find((d) => d.id === id);
    expect(stored).toMatchObject({ sha: record.commit, environment: 'staging', task: 'deploy', production: false, transient: false, payload: record });
    // The payload is the record: its canonical hash is the record's.
    expect(recordSha256(stored?.payload)).toBe(recordSha256(record));
    expect(stored?.statuses.map((s) => [s.state, s.autoInactive])).toEqual([
      ['in_progress', false],
      ['success', true],
    ]);
    const final = stored?.statuses[1];
    expect(final?.logUrl).toBe(record.run.url);
    expect(final?.environmentUrl).toBe('https://staging.example.com');
    expect(final?.description).toMatch(/^success api@sha256:aaaaaaaaaaaa, verified, record [0-9a-f]{12}$/);
    const create = gh.requests.find((r) => r.operationId === 'repos/create-deployment')?.body as Record<string, unknown>;
    expect(create).toMatchObject({ auto_merge: false, required_contexts: [] });
    expect(gh.mismatches).toEqual([]);
  });

  it('is not blocked by failing commit statuses (the deployment already happened)', async () => {
    gh.state.failingStatusContexts = ['ci/slow-e2e'];
    const { id } = await deploy(makeRecord());
    expect(states(id)).toEqual(['in_progress', 'success']);
  });

  it.each([
    ['failure', { status: 'failure' as const, rollout: { result: 'failed' } }, 'failure'],
    ['rolled-back', { status: 'rolled-back' as const, rollout: { result: 'rolled-back' } }, 'failure'],
    ['cancelled', { status: 'cancelled' as const }, 'error'],
    ['error', { status: 'error' as const }, 'error'],
  ])('a %s deployment ends in %s and retires nothing', async (_what, overrides, state) => {
    const good = await deploy(makeRecord({ environment: 'staging' }));
    const bad = await deploy(makeRecord({ environment: 'staging', ...overrides }));
    expect(states(bad.id)).toEqual(['in_progress', state]);
    expect(gh.state.deployments.find((d) => d.id === bad.id)?.statuses[1]?.autoInactive).toBe(false);
    expect(states(good.id)).toEqual(['in_progress', 'success']);
    expect(bad.retired).toEqual([]);
  });

  it('for an ordinary environment, GitHub’s auto_inactive retires the previous deployment', async () => {
    const first = await deploy(makeRecord({ environment: 'staging' }));
    const second = await deploy(makeRecord({ environment: 'staging' }));
    expect(states(first.id)).toEqual(['in_progress', 'success', 'inactive']);
    expect(second.retired).toEqual([]);
    expect(gh.requests.some((r) => r.operationId === 'repos/list-deployments')).toBe(false);
  });

  it.each(['production', 'pr-42'])('for %s, which auto_inactive skips, retires the previous successful deployment explicitly', async (environment) => {
    const failed = await deploy(makeRecord({ environment, status: 'failure', rollout: { result: 'failed' } }));
    const first = await deploy(makeRecord({ environment }));
    const other = await deploy(makeRecord({ environment: 'staging' }));
    const second = await deploy(makeRecord({ environment }));
    expect(second.retired).toEqual([first.id]);
    expect(states(first.id)).toEqual(['in_progress', 'success', 'inactive']);
    expect(states(failed.id)).toEqual(['in_progress', 'failure']);
    expect(states(other.id)).toEqual(['in_progress', 'success']);
    expect(gh.state.deployments.find((d) => d.id === first.id)?.statuses[2]?.logUrl).toBe(gh.state.deployments.find((d) => d.id === second.id)?.statuses[1]?.logUrl);
    expect(gh.mismatches).toEqual([]);
  });

  it('keeps the status description within GitHub’s 140 characters', async () => {
    const long = makeRecord({ digest: `sha256:${'f'.repeat(64)}`, environment: 'staging', image: { reference: `${'r'.repeat(200)}/api@sha256:${'f'.repeat(64)}`, name: `${'r'.repeat(200)}/${'x'.repeat(150)}`, tag: null, digest: `sha256:${'f'.repeat(64)}` } });
    const { id } = await deploy(long);
    expect([...(gh.state.deployments.find((d) => d.id === id)?.statuses[1]?.description ?? '')].length).toBeLessThanOrEqual(140);
    expect(gh.mismatches).toEqual([]);
  });

  it('names the permission when the token may not create deployments', async () => {
    gh.state.forbidden.add('repos/create-deployment');
    await expect(deploy(makeRecord())).rejects.toThrow('GitHub API POST /repos/acme/api/deployments → 403: Resource not accessible by integration — the token needs `permissions: deployments: write`');
  });

  it.each([
    ['production', true, false],
    ['Production', true, false],
    ['prod-eu', true, false],
    ['production/us-east', true, false],
    ['products', false, false],
    ['staging', false, false],
    ['pr-42', false, true],
    ['preview/feature-x', false, true],
    ['review-app-7', false, true],
    ['pr', false, false],
  ])('%s: production %s, transient %s', (environment, production, transient) => {
    expect(isProductionEnvironment(environment)).toBe(production);
    expect(isTransientEnvironment(environment)).toBe(transient);
  });
});
