/**
 * The audit-record action end to end, in-process (MemoryRunner), against the loopback GitHub API
 * emulator checked against GitHub's OpenAPI description.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditRecord } from '../../../src/actions/audit-record/action.js';
import { canonicalJson, recordSha256 } from '../../../src/audit/canonical.js';
import { ledgerLines, verifyLedger } from '../../../src/audit/ledger.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { runAction } from '../../../src/core/run.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { fastClock } from './helpers.js';

const DIGEST = `sha256:${'4'.repeat(64)}`;
const SHA = '89abcdef0123456789abcdef0123456789abcdef';
let gh: GitHubEmulator;
let temp: string;

beforeEach(async () => {
  gh = await startGitHubEmulator({ pathPrefix: '/api/v3' });
  temp = mkdtempSync(join(tmpdir(), 'shipline-audit-action-'));
  gh.state.runs.set(777, {
    runStartedAt: '2026-03-01T09:00:00Z',
    approvals: [
      { user: 'release-lead', state: 'approved', comment: 'Go', environments: ['Production'] },
      { user: 'qa-lead', state: 'approved', comment: '', environments: ['staging'] },
    ],
  });
});
afterEach(async () => {
  await gh.stop();
  rmSync(temp, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_SERVER_URL: gh.serverUrl,
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_ACTOR: 'octocat',
    GITHUB_TRIGGERING_ACTOR: 'hubot',
    GITHUB_RUN_ID: '777',
    GITHUB_RUN_ATTEMPT: '2',
    GITHUB_RUN_NUMBER: '31',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'production',
    GITHUB_EVENT_NAME: 'push',
    RUNNER_TEMP: temp,
    ...extra,
  };
}

async function run(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<{ code: number; runner: MemoryRunner; record: AuditRecord }> {
  const runner = new MemoryRunner(
    { store: 'ledger-branch,file', 'ledger-branch': 'shipline-audit', 'fail-on-error': 'true', 'github-token': gh.state.token, ...inputs },
    env(extraEnv),
  );
  const code = await runAction(auditRecord, runner, { setExitCode: false, services: { clock: fastClock() } });
  const path = runner.outputs.get('record');
  const record = path ? (JSON.parse(readFileSync(path, 'utf8')) as AuditRecord) : (undefined as unknown as AuditRecord);
  return { code, runner, record };
}

const errors = (runner: MemoryRunner): string[] => runner.lines.filter((l) => l.startsWith('::error')).map((l) => l.slice(l.indexOf('::', 2) + 2));
const warnings = (runner: MemoryRunner): string[] => runner.lines.filter((l) => l.startsWith('::warning')).map((l) => l.slice(l.indexOf('::', 2) + 2));

describe('audit-record action (GitHub Enterprise-style API prefix, emulator checked against @octokit/openapi)', () => {
  it('records who deployed what, approved by whom, verified how — in the ledger, the deployment and the file', async () => {
    const { code, runner, record } = await run({
      environment: 'production',
      image: `ghcr.io/acme/api:1.4.0@${DIGEST}`,
      scan: JSON.stringify({ result: 'pass', blocking: '0', critical: '0', high: '0' }),
      signature: JSON.stringify({ digest: DIGEST, 'signature-digest': `sha256:${'5'.repeat(64)}` }),
      rollout: JSON.stringify({ result: 'succeeded', revision: '12', workloads: JSON.stringify([{ kind: 'Deployment', name: 'api' }]) }),
      smoke: JSON.stringify({ result: 'pass', passed: '4', failed: '0' }),
      store: 'github-deployment,ledger-branch',
      'environment-url': 'https://api.example.com',
    });
    expect(errors(runner)).toEqual([]);
    expect(code).toBe(0);

    expect(record).toMatchObject({
      schema: 'shipline.audit-record.v1',
      repository: 'acme/api',
      environment: 'production',
      status: 'success',
      verified: true,
      commit: SHA,
      ref: 'refs/heads/main',
      image: { reference: `ghcr.io/acme/api:1.4.0@${DIGEST}`, name: 'ghcr.io/acme/api', tag: '1.4.0', digest: DIGEST },
      deployer: 'octocat',
      triggeringActor: 'hubot',
      approvals: [{ user: 'release-lead', state: 'approved', comment: 'Go', environments: ['Production'] }],
      run: { id: 777, attempt: 2, number: 31, workflow: 'deploy', job: 'production', event: 'push', url: `${gh.serverUrl}/acme/api/actions/runs/777/attempts/2` },
      startedAt: '2026-03-01T09:00:00Z',
      scan: { result: 'pass', blocking: 0 },
      rollout: { result: 'succeeded', revision: 12, workloads: [{ kind: 'Deployment', name: 'api' }] },
      smoke: { result: 'pass', passed: 4 },
      rollbackOf: null,
      previousSha256: null,
    });
    expect(Date.parse(record.finishedAt)).toBeGreaterThan(Date.parse('2026-01-01'));

    // One record, one hash, everywhere: the file's bytes, the output, the ledger line, the payload.
    const path = runner.outputs.get('record') as string;
    const fileSha = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(runner.outputs.get('record-sha256')).toBe(fileSha);
    expect(readFileSync(path, 'utf8')).toBe(canonicalJson(record));
    const line = ledgerLines(gh.state.readFile('shipline-audit', 'production.jsonl') as string)[0];
    expect(line).toBe(readFileSync(path, 'utf8'));
    const deployment = gh.state.deployments.find((d) => String(d.id) === runner.outputs.get('deployment-id'));
    expect(recordSha256(deployment?.payload)).toBe(fileSha);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment?.statuses[1]?.environmentUrl).toBe('https://api.example.com');
    expect(runner.outputs.get('previous-sha256')).toBe('');

    expect(runner.summary).toContain('### ✅ Audit record: success — production');
    expect(runner.summary).toContain('| Approvals | release-lead (approved: “Go”) |');
    expect(runner.summary).toMatch(/\| ledger-branch \| ✅ stored \| line 1 of `shipline-audit:production\.jsonl` \(branch created\) \|/);
    expect(runner.summary).toMatch(/\| github-deployment \| ✅ stored \| deployment \d+ \|/);
    // Every call went to the GitHub Enterprise-style prefix and matched GitHub's description.
    expect(gh.requests.every((r) => r.authorization === `token ${gh.state.token}`)).toBe(true);
    expect(gh.mismatches).toEqual([]);
    // The token was masked and never printed.
    expect(runner.secrets).toContain(gh.state.token);
    expect(runner.log).not.toContain(gh.state.token);
  });

  it('chains the next record to the previous one and outputs previous-sha256', async () => {
    const first = await run({ environment: 'production', status: 'success', image: `ghcr.io/acme/api@${DIGEST}`, rollout: 'succeeded' });
    const second = await run({ environment: 'production', status: 'failure', image: `ghcr.io/acme/api@sha256:${'6'.repeat(64)}`, rollout: 'failed' });
    expect(second.code).toBe(0);
    expect(second.runner.outputs.get('previous-sha256')).toBe(first.runner.outputs.get('record-sha256'));
    expect(second.record.previousSha256).toBe(first.runner.outputs.get('record-sha256'));
    expect(verifyLedger(gh.state.readFile('shipline-audit', 'production.jsonl') as string)).toMatchObject({ ok: true, lines: 2 });
  });

  it('records approvals as unknown, with a warning naming the permission, when the token may not read them', async () => {
    gh.state.forbidden.add('actions/get-reviews-for-run');
    const { code, runner, record } = await run({ environment: 'production', status: 'success', rollout: 'succeeded' });
    expect(code).toBe(0);
    expect(record.approvals).toBeNull();
    expect(warnings(runner)[0]).toMatch(/^Could not read the run's environment approvals, recording approvals as unknown: GitHub API GET \/repos\/acme\/api\/actions\/runs\/777\/approvals → 403: .*`permissions: actions: read`$/);
    expect(runner.summary).toContain('| Approvals | unknown |');
  });

  it('writes the record file even when the remote store fails, then fails the step with one line', async () => {
    gh.state.forbidden.add('git/create-tree');
    const { code, runner, record } = await run({ environment: 'production', status: 'success', rollout: 'succeeded' });
    expect(code).toBe(1);
    expect(record.environment).toBe('production');
    expect(runner.outputs.get('record-sha256')).toBe(recordSha256(record));
    const last = errors(runner).at(-1) as string;
    expect(last).toMatch(new RegExp(`^The record was written to ${runner.outputs.get('record')}, but a remote store failed — ledger-branch: GitHub API POST /repos/acme/api/git/trees → 403: Resource not accessible by integration — the token needs \`permissions: contents: write\`$`));
    expect(runner.summary).toMatch(/\| ledger-branch \| ❌ failed \|/);
    expect(runner.log).not.toMatch(/\n\s+at /);
  });

  it('only warns about a failed remote store with fail-on-error: false', async () => {
    gh.state.forbidden.add('repos/create-deployment');
    const { code, runner } = await run({ environment: 'production', status: 'success', rollout: 'succeeded', store: 'github-deployment,ledger-branch', 'fail-on-error': 'false' });
    expect(code).toBe(0);
    expect(warnings(runner).at(-1)).toMatch(/remote store failed — github-deployment: .*deployments: write`? \(fail-on-error is false\)$/);
    // The ledger, which ran first, still has it.
    expect(verifyLedger(gh.state.readFile('shipline-audit', 'production.jsonl') as string).lines).toBe(1);
    expect(runner.outputs.get('deployment-id')).toBe('');
  });

  it('fails on a bad input before touching the API', async () => {
    const { code, runner } = await run({ environment: 'production', status: 'success', image: 'ghcr.io/acme/api:latest' });
    expect(code).toBe(1);
    expect(errors(runner)).toEqual(["Input 'image': 'ghcr.io/acme/api:latest' has no digest: give name@sha256:<64 hex> (a tag can be moved; a digest cannot)"]);
    expect(gh.requests).toEqual([]);
    expect(runner.outputs.size).toBe(0);
  });

  it('notes that a success without rollout or smoke results is not a verified deployment', async () => {
    const { code, runner, record } = await run({ environment: 'qa', status: 'success' });
    expect(code).toBe(0);
    expect(record.verified).toBe(false);
    expect(runner.lines.some((l) => l.startsWith('::notice::No rollout or smoke result was given'))).toBe(true);
  });
});
