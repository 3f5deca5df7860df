/**
 * `shipline audit` reading the ledger from the audit branch through the API (GitHub Enterprise-style
 * prefix), against the loopback GitHub API emulator checked against GitHub's OpenAPI description.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../../src/audit/cli.js';
import { ledgerLines } from '../../../src/audit/ledger.js';
import { appendToLedger } from '../../../src/audit/ledger-store.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, DIGEST_D, makeRecord } from '../../unit/audit/fixtures.js';
import { clientFor, fastClock, quietLog, REPO } from './helpers.js';

const BRANCH = 'shipline-audit';
let gh: GitHubEmulator;
let shas: string[];

beforeEach(async () => {
  gh = await startGitHubEmulator({ pathPrefix: '/api/v3' });
  const clock = fastClock();
  const client = await clientFor(gh, clock);
  const records: AuditRecord[] = [
    makeRecord({ digest: DIGEST_A }),
    makeRecord({ digest: DIGEST_B }),
    makeRecord({ digest: DIGEST_D, environment: 'staging' }),
    makeRecord({ digest: DIGEST_C, status: 'rolled-back', rollout: { result: 'rolled-back' } }),
    makeRecord({ digest: DIGEST_D, status: 'failure', smoke: { result: 'fail' } }),
  ];
  shas = [];
  for (const record of records) shas.push((await appendToLedger(client, { ...REPO, branch: BRANCH }, record, { clock, log: quietLog() })).sha256);
});
afterEach(async () => {
  await gh.stop();
});

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/api', GITHUB_TOKEN: gh.state.token, ...env });
  return { code, out, err };
}

function tamper(mutate: (lines: string[]) => void): void {
  const lines = ledgerLines(gh.state.readFile(BRANCH, 'production.jsonl') as string);
  mutate(lines);
  gh.state.commitFiles(BRANCH, { 'production.jsonl': `${lines.join('\n')}\n` }, 'an unreviewed push');
}

describe('shipline audit through the API (emulator checked against @octokit/openapi)', () => {
  it('verify: checks every ledger on the branch', async () => {
    const { code, out } = await cli(['verify']);
    expect(code).toBe(0);
    expect(out).toEqual([`✓ acme/api@shipline-audit:production.jsonl: 4 records, chain intact, head ${shas[4]}`, `✓ acme/api@shipline-audit:staging.jsonl: 1 record, chain intact, head ${shas[2]}`]);
    expect(gh.mismatches).toEqual([]);
  });

  it.each([
    ['an edited line', (l: string[]) => (l[1] = (l[1] as string).replace(DIGEST_B.slice(7), DIGEST_D.slice(7))), 'line 3 does not link to line 2'],
    ['a removed line', (l: string[]) => l.splice(1, 1), 'line 2 does not link to line 1'],
    ['a reordered line', (l: string[]) => l.splice(1, 0, l.splice(2, 1)[0] as string), 'line 2 names line 3 as its predecessor: lines were reordered'],
  ])('verify --environment: finds %s pushed to the branch', async (_what, mutate, reason) => {
    tamper(mutate);
    const { code, out } = await cli(['verify', '--environment', 'production']);
    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(`✗ acme/api@shipline-audit:production.jsonl: ${reason}`);
  });

  it('verify --expect: an edit of the newest line shows against a hash known from elsewhere', async () => {
    tamper((l) => (l[3] = (l[3] as string).replace('"status":"failure"', '"status":"success"')));
    // The chain alone cannot see it: nothing follows the newest line.
    expect((await cli(['verify', '--environment', 'production'])).code).toBe(0);
    const { code, out } = await cli(['verify', '--environment', 'production', '--expect', shas[4] as string]);
    expect(code).toBe(1);
    expect(out.at(-1)).toBe(`✗ record ${shas[4]} is in none of the ledgers read: it was changed or removed`);
  });

  it('last-good: the last successful, verified digest, skipping the failed and the rolled-back ones', async () => {
    expect((await cli(['last-good', '--environment', 'production'])).out).toEqual([DIGEST_B]);
    const json = JSON.parse((await cli(['last-good', '--environment', 'production', '--json'])).out.join('\n')) as Record<string, unknown>;
    expect(json).toMatchObject({ digest: DIGEST_B, recordSha256: shas[1], line: 2 });
    expect((await cli(['last-good', '--environment', 'staging'])).out).toEqual([DIGEST_D]);
  });

  it('list: the records of one environment', async () => {
    const { code, out } = await cli(['list', '--environment', 'production', '--limit', '2']);
    expect(code).toBe(0);
    expect(out.slice(1).map((l) => l.trim().split(/\s{2,}/)[2])).toEqual(['failure', 'rolled-back']);
  });

  it('reports a missing ledger, a wrong token and a wrong branch in one line each', async () => {
    expect(await cli(['list', '--environment', 'qa'])).toMatchObject({ code: 1, err: ['shipline audit list: no ledger qa.jsonl on branch shipline-audit of acme/api'] });
    const denied = await cli(['verify'], { GITHUB_TOKEN: 'ghs_wrong' });
    expect(denied).toMatchObject({ code: 1, err: ['shipline audit verify: GitHub API GET /repos/acme/api/git/trees/shipline-audit → 401: Bad credentials'] });
    expect((await cli(['verify', '--branch', 'nope'])).err).toEqual(['shipline audit verify: no ledgers on branch nope of acme/api']);
    expect(gh.mismatches).toEqual([]);
  });
});
