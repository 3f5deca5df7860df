/**
 * Contract tests: dist/rollout/index.js run with Node 24 exactly as the runner runs it.
 * Bad input must fail with one `::error::` line before anything reaches a cluster: the kubeconfig
 * points at a loopback TCP listener that counts connections (it must see none). With the test
 * control plane up (scripts/kube-up.sh), a real deploy and a real failure + rollback run through the
 * bundle too, and the kubeconfig must never appear in the log, the summary or the outputs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NODE24, ROOT, runBundle, type BundleRun } from '../harness/contract.js';
import { announceKubeSkip, createNamespace, deploymentYaml, kubeAvailable, kubeconfigText, type TestNamespace } from '../helpers/kube.js';

let listener: Server;
let connections = 0;
let trapKubeconfig = '';

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  trapKubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
  name: trap
contexts:
- context: {cluster: trap, user: trap}
  name: trap
current-context: trap
users:
- name: trap
  user:
    token: trap-token-0123456789abcdef
`;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-contract-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const appWs = (): string => workspaceWith({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
const nonMask = (run: BundleRun): string[] => run.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('::add-mask::'));

describe('rollout bundle: bad input fails with one line, before touching the cluster', () => {
  it.each<[string, Record<string, string>, string | RegExp]>([
    ['no manifests', {}, "Input 'manifests': is required: give files, globs, directories or kustomize directories (one per line)"],
    ['manifests that do not exist', { manifests: 'k8s/nope.yaml' }, /^Input 'manifests': 'k8s\/nope\.yaml' does not exist/],
    ['an unknown strategy', { manifests: 'k8s', strategy: 'big-bang' }, "Input 'strategy': expected one of rolling, blue-green, canary, got 'big-bang'"],
    ['an unreadable kubeconfig', { manifests: 'k8s', kubeconfig: 'apiVersion: v1\nclusters: [oops\ncurrent-context: x\n' }, /^Input 'kubeconfig': is not valid YAML \(line \d+, column \d+\)$/],
    ['a kubeconfig path instead of content', { manifests: 'k8s', kubeconfig: '/home/runner/.kube/config' }, /^Input 'kubeconfig': expected the content of a kubeconfig file \(YAML\), got a single line/],
    ['a context the kubeconfig lacks', { manifests: 'k8s', context: 'prod' }, "Input 'context': 'prod' is not a context of the kubeconfig (it has 1 context: trap)"],
    ['an image that matches no container', { manifests: 'k8s', images: 'registry:5000/acme/other:v2' }, /^Input 'images': 'registry:5000\/acme\/other:v2' matches nothing in the manifests: no container image is in repository registry:5000\/acme\/other/],
    ['a malformed image reference', { manifests: 'k8s', images: 'registry:5000/Acme/api:v2' }, "Input 'images': 'registry:5000/Acme/api:v2': repository names must be lower-case ('Acme')"],
    ['malformed YAML in the manifests', { manifests: 'bad' }, /^Input 'manifests': bad\/x\.yaml:\d+:\d+: malformed YAML: /],
    ['blue-green without a Service', { manifests: 'k8s', strategy: 'blue-green' }, /^Input 'strategy': blue-green needs a Deployment and a Service whose selector matches its pod labels/],
    ['promote without strategy canary', { manifests: 'k8s', action: 'promote' }, "Input 'action': promote applies to strategy: canary (strategy is rolling)"],
  ])('%s', async (_what, inputs, message) => {
    const ws = appWs();
    mkdirSync(join(ws, 'bad'));
    writeFileSync(join(ws, 'bad', 'x.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n');
    const before = connections;
    const run = await runBundle('rollout', { kubeconfig: trapKubeconfig, ...inputs }, { cwd: ws });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    if (typeof message === 'string') expect(run.errors[0]).toBe(message);
    else expect(run.errors[0]).toMatch(message);
    // Only the error line (and, for problems inside the manifests, the list of what was loaded).
    const rest = nonMask(run).filter((l) => !l.startsWith('::group::Loading manifests') && l !== '::endgroup::' && !/^[\w./-]+:\d+: \w+ [\w-]+$/.test(l));
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(/^::error /);
    expect(run.stdout).not.toContain('[command]');
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stderr).toBe('');
    expect(connections).toBe(before);
    expect(nonMask(run).join('\n')).not.toContain('trap-token-0123456789abcdef');
    expect(readdirSync(join(run.tempDir, 'runner-temp')).filter((f) => f.includes('kubeconfig'))).toEqual([]);
  });
});

let ns: TestNamespace | undefined;
beforeAll(() => announceKubeSkip());
afterEach(() => ns?.delete());

describe.skipIf(!kubeAvailable)('rollout bundle against the test control plane', () => {
  it('deploys, sets the outputs, writes the summary, never prints the kubeconfig, removes its file', async () => {
    ns = createNamespace('contract-ok');
    const kubeconfig = kubeconfigText();
    const run = await runBundle('rollout', { manifests: 'k8s', namespace: ns.name, kubeconfig, images: 'registry:5000/acme/api:v2' }, { cwd: appWs(), timeoutMs: 120_000 });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ result: 'succeeded', revision: '1', 'rolled-back': 'false', diagnostics: '[]' });
    expect(JSON.parse(run.outputs['workloads'] ?? '[]')).toEqual([{ kind: 'Deployment', name: 'api', namespace: ns.name, images: ['registry:5000/acme/api:v2'], revision: 1, previousRevision: null, state: 'succeeded' }]);
    expect(run.summary).toContain('Rollout succeeded');
    // Every meaningful line of the kubeconfig is masked, and none is printed anywhere.
    const secretLines = kubeconfig.split('\n').map((l) => l.trim()).filter((l) => /^(client-key-data|client-certificate-data|certificate-authority-data|server):/.test(l));
    expect(secretLines.length).toBeGreaterThanOrEqual(3);
    for (const line of secretLines) {
      expect(run.stdout).toContain(`::add-mask::${line}`);
      expect(nonMask(run).join('\n')).not.toContain(line);
      expect(run.summary).not.toContain(line);
      expect(JSON.stringify(run.outputs)).not.toContain(line);
    }
    expect(readdirSync(join(run.tempDir, 'runner-temp'))).toEqual([]);
  });

  it('a cancelled job (SIGTERM mid-wait) still removes the kubeconfig file and ends its kubectl watches', async () => {
    ns = createNamespace('contract-cancel');
    const ws = workspaceWith({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:slow-v1', { replicas: 1, podAnnotations: { 'shipline.test/ready-after-seconds': '60' } }) });
    const temp = mkdtempSync(join(tmpdir(), 'rollout-cancel-'));
    const runnerTemp = join(temp, 'rt');
    mkdirSync(runnerTemp);
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? temp, RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: ws, INPUT_MANIFESTS: 'k8s', INPUT_NAMESPACE: ns.name, INPUT_KUBECONFIG: kubeconfigText(), INPUT_TIMEOUT: '5m' };
    for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']) {
      env[f] = join(temp, f);
      writeFileSync(env[f] as string, '');
    }
    const child = spawn(NODE24, [join(ROOT, 'dist', 'rollout', 'index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    const deadline = Date.now() + 30_000;
    while (!/Waiting for deployment "api" rollout to finish/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('shipline-kubeconfig'))).toHaveLength(1);
    const watchers = (): string[] => execFileSync('pgrep', ['-f', `get (deployment|pods|replicasets) -n ${ns?.name ?? ''} `], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(watchers().length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGTERM');
    expect(readdirSync(runnerTemp)).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(() => watchers()).toThrow(); // pgrep exits 1: none left
  });

  it('a broken image: exit 1 with one error line, result rolled-back, the pod events in the summary', async () => {
    ns = createNamespace('contract-broken');
    const ws = appWs();
    const kubeconfig = kubeconfigText();
    expect((await runBundle('rollout', { manifests: 'k8s', namespace: ns.name, kubeconfig }, { cwd: ws, timeoutMs: 120_000 })).exitCode).toBe(0);
    const run = await runBundle('rollout', { manifests: 'k8s', namespace: ns.name, kubeconfig, images: 'registry:5000/acme/api:broken-v2' }, { cwd: ws, timeoutMs: 120_000 });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/^rollout rolled-back: rollout failed — Deployment [\w-]+\/api: (ErrImagePull|ImagePullBackOff) \(pod api-[\w-]+\); rolled back every changed workload to its previous revision$/);
    expect(run.outputs).toMatchObject({ result: 'rolled-back', revision: '2', 'previous-revision': '1', 'rolled-back': 'true' });
    const diagnostics = JSON.parse(run.outputs['diagnostics'] ?? '[]') as { reason: string; events: { reason: string }[] }[];
    expect(diagnostics[0]?.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(diagnostics[0]?.events.length).toBeGreaterThan(0);
    expect(run.summary).toMatch(/\| Pulling \|/);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});
