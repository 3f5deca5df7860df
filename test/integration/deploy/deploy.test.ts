/**
 * The root `deploy` action, run as the runner runs its bundle (Node 24, INPUT_*), against real
 * components on loopback: the real control plane (kube-apiserver/controller-manager/scheduler, kwok
 * nodes), a real HTTP service for the smoke test, the Slack emulator (Slack's documented answers) and
 * the GitHub API emulator (checked against @octokit/openapi).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../src/audit/ledger.js';
import { runBundle } from '../../harness/contract.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { startSmokeServer, type TestServer } from '../../helpers/http-server.js';
import { announceKubeSkip, createNamespace, deploymentYaml, kubeAvailable, kubeconfigText, type TestNamespace } from '../../helpers/kube.js';
import { startSlackServer, type SlackServer } from '../../helpers/slack-server.js';

const DIGEST_1 = `sha256:${'1'.repeat(64)}`;
const DIGEST_BROKEN = `sha256:${'b'.repeat(64)}`;

let gh: GitHubEmulator;
let slack: SlackServer;
let web: TestServer;
let ns: TestNamespace | undefined;

beforeAll(async () => {
  announceKubeSkip();
  [gh, slack, web] = await Promise.all([startGitHubEmulator(), startSlackServer(), startSmokeServer()]);
});
afterAll(async () => Promise.all([gh?.stop(), slack?.stop(), web?.stop()]));
afterEach(() => ns?.delete());

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-ws-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function deploy(ws: string, inputs: Record<string, string>) {
  return runBundle('deploy', { environment: 'staging', manifests: 'k8s/', timeout: '90s', kubeconfig: kubeAvailable ? kubeconfigText() : '', 'github-token': gh.state.token, 'slack-bot-token': slack.token, 'slack-channel': 'deploys', ...inputs }, {
    cwd: ws,
    timeoutMs: 170_000,
    env: { GITHUB_API_URL: gh.apiUrl, SLACK_API_URL: slack.apiUrl, GITHUB_WORKSPACE: ws },
  });
}

describe.skipIf(!kubeAvailable)('deploy (root action): rollout → smoke → rollback → audit → Slack, in one step', () => {
  it('deploys, verifies, records a chained audit record and updates one Slack message to success', async () => {
    ns = createNamespace('deploy-ok');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'ghcr.io/acme/api:v0') });
    const slackBefore = slack.messages.length;
    const run = await deploy(ws, { namespace: ns.name, images: `ghcr.io/acme/api@${DIGEST_1}`, 'smoke-url': `${web.url}/ok` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ result: 'succeeded', 'rolled-back': 'false', 'smoke-result': 'pass' });
    expect(run.outputs['record-sha256']).toMatch(/^[a-f0-9]{64}$/);
    expect(run.outputs['deployment-id']).toMatch(/^\d+$/);
    // The ledger on the audit branch: one valid chain, the record names the digest and the verification.
    const ledger = gh.state.readFile('shipline-audit', 'staging.jsonl') as string;
    const check = verifyLedger(ledger);
    expect(check.ok).toBe(true);
    const record = check.entries.at(-1)?.record;
    expect(record).toMatchObject({ environment: 'staging', status: 'success', image: { digest: DIGEST_1 }, rollout: { result: 'succeeded' }, smoke: { result: 'pass' } });
    expect(check.entries.at(-1)?.sha256).toBe(run.outputs['record-sha256']);
    // One Slack message, posted as started and updated to success.
    const messages = slack.messages.slice(slackBefore);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.history.length).toBe(1);
    expect(JSON.stringify(messages[0]?.history[0])).toMatch(/Deploying/);
    expect(JSON.stringify(messages[0]?.payload)).toMatch(/✅ Deployed acme\/api to staging/);
    expect(run.outputs['slack-ts']).toBe(messages[0]?.ts);
    expect(gh.mismatches).toEqual([]);
    expect(run.summary).toContain('Deploy to staging: succeeded');
    // The kubeconfig never reaches the log (only the runner's mask commands carry it).
    const log = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    expect(log).not.toContain('client-key-data');
    expect(log).not.toContain(slack.token);
  });

  it('a broken image: fails fast, rolls back, records rolled-back, and says so in Slack; the step fails', async () => {
    ns = createNamespace('deploy-broken');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'ghcr.io/acme/api:v0') });
    expect((await deploy(ws, { namespace: ns.name, images: `ghcr.io/acme/api@${DIGEST_1}`, 'smoke-url': `${web.url}/ok` })).exitCode).toBe(0);
    const slackBefore = slack.messages.length;
    const run = await deploy(ws, { namespace: ns.name, images: `api=ghcr.io/acme/api-broken@${DIGEST_BROKEN}`, 'smoke-url': `${web.url}/ok` });
    expect(run.exitCode).toBe(1);
    expect(run.outputs, run.stdout).toMatchObject({ result: 'rolled-back', 'rolled-back': 'true', 'smoke-result': 'skipped' });
    expect(run.errors.at(-1)).toMatch(/^Deploy to staging rolled-back: /);
    const entries = verifyLedger(gh.state.readFile('shipline-audit', 'staging.jsonl') as string).entries;
    expect(entries.at(-1)?.record).toMatchObject({ status: 'rolled-back', rollout: { result: 'rolled-back' } });
    const message = slack.messages.slice(slackBefore)[0];
    expect(JSON.stringify(message?.payload)).toMatch(/rolled.back/i);
    // The previous image runs again.
    const images = ns.k(['get', 'deployment', 'api', '-o', 'jsonpath={.spec.template.spec.containers[*].image}']);
    expect(images).toBe(`ghcr.io/acme/api@${DIGEST_1}`);
  });

  it('a failing smoke test after a good rollout: rolls back automatically and records it', async () => {
    ns = createNamespace('deploy-smoke');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'ghcr.io/acme/api:v0') });
    expect((await deploy(ws, { namespace: ns.name, images: 'ghcr.io/acme/api:v1' })).exitCode).toBe(0);
    const run = await deploy(ws, { namespace: ns.name, images: 'ghcr.io/acme/api:v2', 'smoke-url': `${web.url}/status?code=500`, 'smoke-deadline': '2s' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs, run.stdout).toMatchObject({ result: 'rolled-back', 'smoke-result': 'fail' });
    expect(ns.k(['get', 'deployment', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('ghcr.io/acme/api:v1');
  });
});

describe('deploy (root action): bad input fails with one line before anything is touched', () => {
  it.each([
    [{ environment: '' }, "Input 'environment': is required and was not given"],
    [{ strategy: 'big-bang' }, "Input 'strategy': expected one of rolling, blue-green, canary, got 'big-bang'"],
    [{ 'smoke-checks': '- url: http://x/\n  expect-stauts: 200' }, /^Input 'smoke-checks': checks\[0\]: unknown field 'expect-stauts'/],
    [{ 'audit-store': 'ledger-branch,s3' }, /^Input 'audit-store': unknown store 's3'/],
    [{ 'canary-steps': '50,10' }, "Input 'canary-steps': steps must increase: 10 comes after 50"],
  ] as const)('%j', async (bad, message) => {
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'ghcr.io/acme/api:v0') });
    const slackBefore = slack.requests.length;
    const ghBefore = gh.requests.length;
    const run = await deploy(ws, { kubeconfig: kubeAvailable ? kubeconfigText() : 'apiVersion: v1\nkind: Config\n', 'smoke-url': `${web.url}/ok`, ...(bad as Record<string, string>) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    if (typeof message === 'string') expect(run.errors[0]).toBe(message);
    else expect(run.errors[0]).toMatch(message);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(slack.requests.length).toBe(slackBefore);
    expect(gh.requests.length).toBe(ghBefore);
  });
});
