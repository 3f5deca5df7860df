/**
 * Contract tests: dist/audit-record/index.js run with Node 24 exactly as the runner runs it, against
 * the loopback GitHub API emulator (checked against GitHub's OpenAPI description, @octokit/openapi),
 * served under /api/v3 as GitHub Enterprise Server does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/audit/ledger.js';
import { cleanup, runBundle, type BundleRun } from '../harness/contract.js';
import { startGitHubEmulator, type GitHubEmulator } from '../helpers/github-emulator.js';

const DIGEST = `sha256:${'7'.repeat(64)}`;
let gh: GitHubEmulator;
const runs: BundleRun[] = [];

beforeAll(async () => {
  gh = await startGitHubEmulator({ pathPrefix: '/api/v3' });
  gh.state.runs.set(4242, { runStartedAt: '2026-02-02T08:00:00Z', approvals: [{ user: 'release-lead', comment: 'LGTM', environments: ['production'] }] });
});
afterAll(async () => {
  await gh.stop();
});
afterEach(() => {
  for (const run of runs.splice(0)) cleanup(run);
});

async function runAudit(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<BundleRun> {
  const run = await runBundle('audit-record', { 'github-token': gh.state.token, ...inputs }, {
    env: { GITHUB_API_URL: gh.apiUrl, GITHUB_SERVER_URL: gh.serverUrl, GITHUB_TRIGGERING_ACTOR: 'hubot', ...env },
  });
  runs.push(run);
  return run;
}

describe('audit-record bundle (GitHub API emulator checked against @octokit/openapi, GHES-style /api/v3)', () => {
  it('writes the record to the ledger, a deployment and a file, with one hash for all', async () => {
    const run = await runAudit({
      environment: 'production',
      image: `ghcr.io/acme/api@${DIGEST}`,
      rollout: '{"result":"succeeded","revision":"3"}',
      smoke: '{"result":"pass","passed":"2","failed":"0"}',
      scan: '{"result":"pass","blocking":"0"}',
      store: 'ledger-branch,github-deployment,file',
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const path = run.outputs['record'] as string;
    expect(path.startsWith(`${run.tempDir}/runner-temp/shipline-audit/production-4242-1-`)).toBe(true);
    const bytes = readFileSync(path);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(run.outputs).toMatchObject({ 'record-sha256': sha, 'previous-sha256': '', 'deployment-id': expect.stringMatching(/^\d+$/) });
    const record = JSON.parse(bytes.toString('utf8'));
    expect(record).toMatchObject({
      repository: 'acme/api',
      environment: 'production',
      status: 'success',
      verified: true,
      commit: '0123456789abcdef0123456789abcdef01234567',
      deployer: 'octocat',
      triggeringActor: 'hubot',
      approvals: [{ user: 'release-lead', state: 'approved', comment: 'LGTM', environments: ['production'] }],
      startedAt: '2026-02-02T08:00:00Z',
      run: { id: 4242, attempt: 1, url: `${gh.serverUrl}/acme/api/actions/runs/4242/attempts/1` },
    });
    expect(gh.state.readFile('shipline-audit', 'production.jsonl')).toBe(`${bytes.toString('utf8')}\n`);
    const deployment = gh.state.deployments.find((d) => String(d.id) === run.outputs['deployment-id']);
    expect(deployment?.payload).toEqual(record);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(run.summary).toContain('### ✅ Audit record: success — production');
    expect(run.summary).toContain(`| Record sha256 | ${sha} |`);
    // The token is masked first thing, and never printed otherwise.
    expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${gh.state.token}`);
    expect(run.stdout.split(gh.state.token)).toHaveLength(2);
    expect(run.stderr).not.toContain(gh.state.token);
    expect(gh.mismatches).toEqual([]);
  });

  it('5 concurrent runs of the bundle append 5 records in one valid chain', async () => {
    const before = gh.state.readFile('shipline-audit', 'staging.jsonl');
    expect(before).toBeUndefined();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => runAudit({ environment: 'staging', image: `ghcr.io/acme/api@sha256:${String(i).repeat(64)}`, rollout: 'succeeded' }, { GITHUB_RUN_ID: String(5000 + i) })),
    );
    for (const run of results) expect(run.errors).toEqual([]);
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0]);
    const check = verifyLedger(gh.state.readFile('shipline-audit', 'staging.jsonl') as string, { fileName: 'staging.jsonl' });
    expect(check.ok).toBe(true);
    expect(check.entries.map((e) => e.sha256).sort()).toEqual(results.map((r) => r.outputs['record-sha256']).sort());
    expect(new Set(check.entries.map((e) => e.record.run.id))).toEqual(new Set([5000, 5001, 5002, 5003, 5004]));
    // Each run's previous-sha256 is the line before its own.
    for (const run of results) {
      const at = check.entries.findIndex((e) => e.sha256 === run.outputs['record-sha256']);
      expect(run.outputs['previous-sha256']).toBe(at === 0 ? '' : check.entries[at - 1]?.sha256);
    }
    expect(gh.mismatches).toEqual([]);
  });

  it('fails on a bad input with one line naming it, before any request', async () => {
    const requests = gh.requests.length;
    const run = await runAudit({ environment: 'production', status: 'success', rollout: '{"result": succeeded' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Input 'rollout': expected a JSON object such as \$\{\{ toJSON\(steps\.<id>\.outputs\) \}\} or a result word/);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.outputs).toEqual({});
    expect(gh.requests.length).toBe(requests);
  });

  it('writes the record file when the ledger cannot be written, and fails the step (unless fail-on-error: false)', async () => {
    gh.state.forbidden.add('repos/create-or-update-file-contents');
    try {
      const failed = await runAudit({ environment: 'qa', status: 'success', smoke: 'pass' });
      expect(failed.exitCode).toBe(1);
      expect(existsSync(failed.outputs['record'] as string)).toBe(true);
      expect(failed.outputs['record-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(failed.errors.at(-1)).toMatch(/^The record was written to .*qa-4242-1-[0-9a-f]{8}\.json, but a remote store failed — ledger-branch: GitHub API PUT \/repos\/acme\/api\/contents\/qa\.jsonl → 403: Resource not accessible by integration — the token needs `permissions: contents: write`$/);
      const tolerated = await runAudit({ environment: 'qa', status: 'success', smoke: 'pass', 'fail-on-error': 'false' });
      expect(tolerated.exitCode).toBe(0);
      expect(tolerated.warnings.at(-1)).toMatch(/\(fail-on-error is false\)$/);
    } finally {
      gh.state.forbidden.delete('repos/create-or-update-file-contents');
    }
  });

  it('records to the file alone, without a token or any API', async () => {
    const requests = gh.requests.length;
    const run = await runAudit({ environment: 'dev', status: 'failure', store: 'file', 'github-token': '' }, { GITHUB_API_URL: 'http://127.0.0.1:9' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(run.outputs['record'] as string, 'utf8'))).toMatchObject({ environment: 'dev', status: 'failure', approvals: null, previousSha256: null });
    expect(gh.requests.length).toBe(requests);
  });
});
