import { describe, expect, it } from 'vitest';
import { ConfigurationError, InputReader } from '../../../src/core/index.js';
import { branchProblem, readAuditRecordInputs, type AuditRecordInputs } from '../../../src/actions/audit-record/inputs.js';
import { DIGEST_A } from './fixtures.js';

const ENV = { GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', GITHUB_REPOSITORY: 'acme/api' };
const TOKEN = 'ghs_0123456789abcdefghijABCDEFGHIJ0123';
const DEFAULTS = { store: 'ledger-branch,file', 'ledger-branch': 'shipline-audit', 'fail-on-error': 'true', 'github-token': TOKEN };

function read(inputs: Record<string, string>, env: Record<string, string | undefined> = ENV): { result?: AuditRecordInputs; error?: ConfigurationError; secrets: string[] } {
  const secrets: string[] = [];
  const all = { ...DEFAULTS, ...inputs };
  const reader = new InputReader((name) => all[name as keyof typeof all] ?? '', '/workspace', (s) => secrets.push(s));
  try {
    return { result: readAuditRecordInputs(reader, { env }), secrets };
  } catch (error) {
    if (error instanceof ConfigurationError) return { error, secrets };
    throw error;
  }
}

describe('audit-record inputs', () => {
  it('reads a typical call into a typed object', () => {
    const { result, secrets } = read({
      environment: 'production',
      status: 'success',
      image: `ghcr.io/acme/api:1.2.3@${DIGEST_A}`,
      rollout: '{"result":"succeeded","revision":"4"}',
      smoke: '{"result":"pass","passed":"3"}',
      scan: '{"result":"pass","blocking":"0"}',
      store: 'github-deployment, ledger-branch,file',
      'environment-url': 'https://api.example.com',
    });
    expect(result).toMatchObject({
      environment: 'production',
      status: 'success',
      statusDerived: false,
      image: { name: 'ghcr.io/acme/api', tag: '1.2.3', digest: DIGEST_A },
      commit: ENV.GITHUB_SHA,
      rollout: { result: 'succeeded', revision: 4 },
      smoke: { result: 'pass', passed: 3 },
      scan: { result: 'pass', blocking: 0 },
      signature: null,
      rollbackOf: null,
      githubToken: TOKEN,
      // the ledger first, so the deployment's payload is the chained record
      stores: ['ledger-branch', 'github-deployment', 'file'],
      ledgerBranch: 'shipline-audit',
      failOnError: true,
      environmentUrl: 'https://api.example.com',
    });
    expect(secrets).toEqual([TOKEN]);
  });

  it.each([
    [{ rollout: 'succeeded' }, 'success'],
    [{ rollout: 'rolled-back', smoke: 'pass' }, 'rolled-back'],
    [{ smoke: '{"result":"fail"}' }, 'failure'],
    [{ status: 'Cancelled' }, 'cancelled'],
    [{ status: 'rolled_back' }, 'rolled-back'],
  ])('status from %j is %s', (inputs, status) => {
    expect(read({ environment: 'staging', ...inputs }).result?.status).toBe(status);
  });

  it('takes the commit input over GITHUB_SHA, lower-cased', () => {
    expect(read({ environment: 'qa', status: 'success', commit: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }).result?.commit).toBe('abcdef0123456789abcdef0123456789abcdef01');
  });

  it('needs no token or repository when only the file is written', () => {
    const { result } = read({ environment: 'qa', status: 'failure', store: 'file', 'github-token': '' }, {});
    expect(result).toMatchObject({ stores: ['file'], commit: null });
    expect(result?.githubToken).toBeUndefined();
  });

  it.each<[string, Record<string, string>, Record<string, string | undefined> | undefined, string, RegExp]>([
    ['no environment', { status: 'success' }, undefined, 'environment', /is required and was not given/],
    ['an environment with a newline', { environment: 'prod\nuction', status: 'success' }, undefined, 'environment', /is not an environment name/],
    ['an image without digest', { environment: 'p', status: 'success', image: 'ghcr.io/acme/api:1.2.3' }, undefined, 'image', /has no digest: give name@sha256:<64 hex>/],
    ['a short commit', { environment: 'p', status: 'success', commit: 'abc1234' }, undefined, 'commit', /'abc1234' is not a full commit SHA/],
    ['a bad GITHUB_SHA', { environment: 'p', status: 'success' }, { ...ENV, GITHUB_SHA: 'HEAD' }, 'commit', /\(from GITHUB_SHA\)/],
    ['malformed rollout JSON', { environment: 'p', rollout: '{"result": succeeded}' }, undefined, 'rollout', /expected a JSON object/],
    ['an array as smoke', { environment: 'p', smoke: '[]' }, undefined, 'smoke', /not an array or a scalar/],
    ['an unknown status', { environment: 'p', status: 'done' }, undefined, 'status', /expected one of success, failure, cancelled, rolled-back, error/],
    ['no status and nothing to derive it from', { environment: 'p', scan: 'pass' }, undefined, 'status', /was not given and there is no rollout or smoke result/],
    ['an unknown store', { environment: 'p', status: 'success', store: 'ledger-branch,s3' }, undefined, 'store', /unknown store 's3'/],
    ['no store', { environment: 'p', status: 'success', store: ' ' }, undefined, 'store', /give one or more of/],
    ['a remote store without a token', { environment: 'p', status: 'success', store: 'github-deployment', 'github-token': '' }, undefined, 'github-token', /is required for store github-deployment .*deployments: write/],
    ['a remote store outside a repository', { environment: 'p', status: 'success' }, { GITHUB_SHA: ENV.GITHUB_SHA }, 'store', /GITHUB_REPOSITORY \(owner\/name\) is not set/],
    ['a deployment without a commit', { environment: 'p', status: 'success', store: 'github-deployment' }, { GITHUB_REPOSITORY: 'acme/api' }, 'commit', /is required for store github-deployment/],
    ['a bad ledger branch', { environment: 'p', status: 'success', 'ledger-branch': 'audit..log' }, undefined, 'ledger-branch', /contains '\.\.'/],
    ['a bad environment-url', { environment: 'p', status: 'success', 'environment-url': 'ftp://x' }, undefined, 'environment-url', /is not an http\(s\) URL/],
    ['a multi-line rollback-of', { environment: 'p', status: 'success', 'rollback-of': 'a\nb' }, undefined, 'rollback-of', /expected one record sha256/],
    ['fail-on-error not boolean', { environment: 'p', status: 'success', 'fail-on-error': 'maybe' }, undefined, 'fail-on-error', /expected true or false/],
  ])('rejects %s, naming the input', (_what, inputs, env, input, message) => {
    const { error, secrets } = read(inputs, env ?? ENV);
    expect(error?.input).toBe(input);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    // The token is masked before any other input is looked at.
    if (inputs['github-token'] !== '') expect(secrets).toEqual([TOKEN]);
  });

  it.each([
    ['shipline-audit', undefined],
    ['audit/ledgers', undefined],
    ['has space', /character git does not allow/],
    ['-dash', /starts with '-'/],
    ['a/.hidden', /starting with '\.'/],
    ['x.lock', /ending with '\.lock'/],
    ['a//b', /empty path component/],
  ])('branch name %j', (name, problem) => {
    const found = branchProblem(name);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});
