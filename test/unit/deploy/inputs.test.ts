import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServices, InputReader } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { readDeployInputs } from '../../../src/actions/deploy/inputs.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]
users: [{name: u, user: {token: 'tok-0123456789'}}]
contexts: [{name: ctx, context: {cluster: c, user: u, namespace: apps}}]
current-context: ctx
`;

function setup(values: Record<string, string>) {
  const ws = mkdtempSync(join(tmpdir(), 'deploy-inputs-'));
  mkdirSync(join(ws, 'k8s'));
  writeFileSync(join(ws, 'k8s', 'app.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: ghcr.io/acme/api:v1}]}\n');
  writeFileSync(join(ws, 'checks.yml'), '- name: health\n  url: "{{ url }}/healthz"\n');
  const runner = new MemoryRunner({}, { GITHUB_WORKSPACE: ws, GITHUB_REPOSITORY: 'acme/api', GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567' });
  const services = createServices(runner);
  const all = { environment: 'staging', manifests: 'k8s/', kubeconfig: KUBECONFIG, 'audit-store': 'file', 'smoke-deadline': '2m', strategy: 'rolling', ...values };
  return { runner, read: () => readDeployInputs(new InputReader((n) => all[n as keyof typeof all] ?? '', ws, services.addSecret), services) };
}

describe('deploy inputs', () => {
  it('fills {{ url }} in a smoke-checks file with environment-url', async () => {
    const { read } = setup({ 'smoke-checks': 'checks.yml', 'environment-url': 'https://staging.example.com/' });
    const inputs = await read();
    expect(inputs.smoke?.checks.map((c) => c.url)).toEqual(['https://staging.example.com/healthz']);
    expect(inputs.smoke?.deadlineMs).toBe(120_000);
  });

  it('uses smoke-url as the one check when no checks are given, and as the {{ url }} base when they are', async () => {
    expect((await setup({ 'smoke-url': 'https://a.example.com/ok' }).read()).smoke?.checks.map((c) => c.url)).toEqual(['https://a.example.com/ok']);
    const both = await setup({ 'smoke-url': 'https://b.example.com', 'smoke-checks': '- url: "{{ url }}/v"' }).read();
    expect(both.smoke?.checks.map((c) => c.url)).toEqual(['https://b.example.com/v']);
  });

  it('a rolling deploy is verified live after the rollout, without the blue-green/canary warning', async () => {
    const { read, runner } = setup({ 'smoke-url': 'https://a.example.com/ok' });
    const inputs = await read();
    expect(inputs.rollout.verify).toBeUndefined();
    expect(runner.log).not.toContain('with strategy rolling they are not used');
  });

  it('blue-green gets the smoke checks as its verification before the switch', async () => {
    const inputs = await setup({ strategy: 'blue-green', 'smoke-url': 'https://a.example.com/ok' }).read();
    expect(inputs.rollout.verify?.checks[0]?.url).toBe('https://a.example.com/ok');
    expect(inputs.smoke?.checks[0]?.url).toBe('https://a.example.com/ok');
  });

  it('names the deploy input in errors from the part that read it', async () => {
    await expect(setup({ 'smoke-checks': 'missing.yml' }).read()).rejects.toThrow("Input 'smoke-checks': file missing.yml does not exist");
    await expect(setup({ 'smoke-deadline': 'later', 'smoke-url': 'https://a.example.com/ok' }).read()).rejects.toThrow(/^Input 'smoke-deadline': expected a duration/);
    await expect(setup({ 'audit-fail-on-error': 'perhaps' }).read()).rejects.toThrow("Input 'audit-fail-on-error': expected true or false, got 'perhaps'");
  });

  it('masks the tokens before anything else', async () => {
    const { read, runner } = setup({ 'slack-bot-token': 'xoxb-secret-token', 'slack-channel': 'deploys', 'smoke-url': 'https://a.example.com/ok' });
    await read();
    expect(runner.secrets).toContain('xoxb-secret-token');
  });
});
