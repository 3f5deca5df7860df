/**
 * `shipline audit resolve --to <deployment id>` through the API: the GitHub deployment's payload names
 * the record, which must be a good record of the ledger. Against the loopback GitHub API emulator
 * checked against GitHub's OpenAPI description (@octokit/openapi).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../../src/audit/cli.js';
import { recordDeployment } from '../../../src/audit/deployment-store.js';
import { appendToLedger } from '../../../src/audit/ledger-store.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, makeRecord } from '../../unit/audit/fixtures.js';
import { clientFor, fastClock, quietLog, REPO } from './helpers.js';

let gh: GitHubEmulator;
const deploymentIds: number[] = [];

beforeEach(async () => {
  gh = await startGitHubEmulator();
  const clock = fastClock();
  const client = await clientFor(gh, clock);
  const records: AuditRecord[] = [makeRecord({ digest: DIGEST_A }), makeRecord({ digest: DIGEST_B, status: 'failure', smoke: { result: 'fail' } }), makeRecord({ digest: DIGEST_C })];
  deploymentIds.length = 0;
  for (const record of records) {
    const { sha256, record: chained } = await appendToLedger(client, { ...REPO, branch: 'shipline-audit' }, record, { clock, log: quietLog() });
    deploymentIds.push((await recordDeployment(client, REPO, chained, sha256, { log: quietLog() })).id);
  }
});
afterEach(async () => gh.stop());

async function resolve(to: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCli(['resolve', '--environment', 'production', '--to', to, '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) }, { GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/api', GITHUB_TOKEN: gh.state.token });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('shipline audit resolve through the API (GitHub emulator checked against @octokit/openapi)', () => {
  it('resolves a deployment id to its recorded digest, rolling back the current deployment', async () => {
    const r = await resolve(String(deploymentIds[0]));
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ digest: DIGEST_A });
    expect(JSON.parse(r.out).rollingBackImage).toBe(`ghcr.io/acme/api@${DIGEST_C}`);
    expect(gh.mismatches).toEqual([]);
  });

  it('refuses a deployment whose record failed', async () => {
    const r = await resolve(String(deploymentIds[1]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a successful, verified deployment by digest \(status failure\)/);
  });

  it('resolves previous from the branch', async () => {
    expect(JSON.parse((await resolve('previous')).out).digest).toBe(DIGEST_A);
    expect(gh.mismatches).toEqual([]);
  });
});
