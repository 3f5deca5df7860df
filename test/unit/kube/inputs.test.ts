/** readRolloutInputs: every input mistake is one ConfigurationError naming the input; secrets masked. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, createServices, InputReader } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { parseCanarySteps, readRolloutInputs, splitEntries } from '../../../src/actions/rollout/inputs.js';
import { kubeconfigSecrets, readKubeconfig, writeKubeconfig } from '../../../src/kube/kubeconfig.js';

const workspace = join(import.meta.dirname, '..', '..', 'fixtures', 'kube');
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNoaXBsaW5lIn0.c2VjcmV0LXRva2Vu';
export const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lVZmFrZQ==
    server: https://10.1.2.3:6443
  name: prod
contexts:
- context:
    cluster: prod
    user: deployer
    namespace: shop
  name: prod
- context:
    cluster: prod
    user: deployer
  name: prod-admin
current-context: prod
users:
- name: deployer
  user:
    token: ${TOKEN}
`;

async function read(inputs: Record<string, string>, env: Record<string, string> = { HOME: '/nonexistent' }): Promise<{ value?: Awaited<ReturnType<typeof readRolloutInputs>>; error?: unknown; runner: MemoryRunner }> {
  const runner = new MemoryRunner(inputs, { ...env, GITHUB_WORKSPACE: workspace });
  const services = createServices(runner);
  try {
    const value = await readRolloutInputs(new InputReader((n) => inputs[n] ?? '', workspace, services.addSecret), services);
    return { value, runner };
  } catch (error) {
    return { error, runner };
  }
}

const base = { manifests: 'manifests/app', kubeconfig: KUBECONFIG };

describe('readRolloutInputs', () => {
  it('reads every input into a typed object, with the defaults of action.yml', async () => {
    const { value, error } = await read({ ...base, images: 'registry:5000/acme/api:v2\nproxy=registry:5000/acme/api-proxy:v2', namespace: 'shop' });
    expect(error).toBeUndefined();
    expect(value).toMatchObject({
      action: 'deploy',
      manifests: ['manifests/app'],
      images: ['registry:5000/acme/api:v2', 'proxy=registry:5000/acme/api-proxy:v2'],
      namespace: 'shop',
      strategy: 'rolling',
      canarySteps: [10, 50, 100],
      canaryPauseMs: 30_000,
      timeoutMs: 300_000,
      rollbackOnFailure: true,
      serverSide: true,
      dryRun: false,
      kubeconfig: KUBECONFIG.trim(),
    });
  });

  it('masks the kubeconfig line by line, and its credentials on their own, before anything else', async () => {
    const { runner } = await read(base);
    expect(runner.secrets).toContain(TOKEN);
    expect(runner.secrets).toContain('server: https://10.1.2.3:6443');
    expect(runner.secrets).toContain('https://10.1.2.3:6443');
    expect(runner.secrets.some((s) => s.startsWith('certificate-authority-data: LS0t'))).toBe(true);
    expect(runner.secrets).not.toContain('clusters:');
    expect(runner.secrets).not.toContain('apiVersion: v1');
    expect(runner.lines.filter((l) => !l.startsWith('::add-mask::'))).toEqual([]);
  });

  it('accepts a base64-encoded kubeconfig and masks the decoded lines', async () => {
    const { value, runner } = await read({ ...base, kubeconfig: Buffer.from(KUBECONFIG).toString('base64') });
    expect(value?.kubeconfig).toBe(KUBECONFIG);
    expect(runner.secrets).toContain(TOKEN);
  });

  it.each<[Record<string, string>, string]>([
    [{ kubeconfig: KUBECONFIG }, "Input 'manifests': is required: give files, globs, directories or kustomize directories (one per line)"],
    [{ ...base, manifests: 'k8s/missing.yaml' }, "Input 'manifests': 'k8s/missing.yaml' does not exist (relative to "],
    [{ ...base, strategy: 'recreate' }, "Input 'strategy': expected one of rolling, blue-green, canary, got 'recreate'"],
    [{ ...base, action: 'undo' }, "Input 'action': expected one of deploy, promote, abort, rollback, got 'undo'"],
    [{ ...base, action: 'promote' }, "Input 'action': promote applies to strategy: canary (strategy is rolling)"],
    [{ ...base, 'to-revision': '3' }, "Input 'to-revision': is only used with action: rollback (action is deploy)"],
    [{ ...base, action: 'rollback', 'to-revision': 'latest' }, "Input 'to-revision': expected a whole number, got 'latest'"],
    [{ ...base, action: 'rollback', strategy: 'blue-green', 'to-revision': '2' }, "Input 'to-revision': is not used with strategy blue-green: a rollback switches the Services back to the other colour"],
    [{ ...base, timeout: 'forever' }, "Input 'timeout': expected a duration such as 30s, 5m or 1h30m, got 'forever'"],
    [{ ...base, timeout: '0s' }, "Input 'timeout': must be greater than 0"],
    [{ ...base, 'canary-steps': '10,5' }, "Input 'canary-steps': steps must increase: 5 comes after 10"],
    [{ ...base, 'canary-steps': '10,150' }, "Input 'canary-steps': '150' is not a percentage from 1 to 100 (e.g. 10,25,50,100)"],
    [{ ...base, namespace: 'Prod_EU' }, "Input 'namespace': 'Prod_EU' is not a valid namespace name"],
    [{ ...base, images: 'registry:5000/App:v2' }, "Input 'images': 'registry:5000/App:v2': repository names must be lower-case ('App')"],
    [{ ...base, 'rollback-on-failure': 'maybe' }, "Input 'rollback-on-failure': expected true or false, got 'maybe'"],
    [{ ...base, kubeconfig: 'apiVersion: v1\nclusters: [\n' }, "Input 'kubeconfig': is not valid YAML (line "],
    [{ ...base, kubeconfig: '/home/runner/.kube/config' }, "Input 'kubeconfig': expected the content of a kubeconfig file (YAML), got a single line; to use a file on the runner, leave this empty and set KUBECONFIG"],
    [{ ...base, kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n' }, "Input 'kubeconfig': is not a kubeconfig: it has no clusters"],
    [{ ...base, kubeconfig: 'apiVersion: v1\nkind: Pod\nmetadata: {}\n' }, "Input 'kubeconfig': is not a kubeconfig (kind is not Config)"],
    [{ ...base, context: 'staging' }, "Input 'context': 'staging' is not a context of the kubeconfig (it has 2 contexts: prod, prod-admin)"],
    [{ ...base, kubeconfig: KUBECONFIG.replace('current-context: prod', '') }, "Input 'context': the kubeconfig sets no current-context: name one of prod, prod-admin"],
    [{ manifests: 'manifests/app' }, "Input 'kubeconfig': is not given, and kubectl has no configuration on this runner (no KUBECONFIG file, no ~/.kube/config)"],
    [{ ...base, strategy: 'blue-green', url: 'ftp://x/' }, "Input 'url': url: only http and https are supported, got ftp:"],
  ])('%j', async (inputs, message) => {
    const { error, runner } = await read(inputs);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    // A bad input never shows a secret: the error text is redacted-safe.
    expect((error as Error).message).not.toContain(TOKEN);
    expect(runner.lines.filter((l) => !l.startsWith('::add-mask::'))).toEqual([]);
  });

  it('uses the runner\'s own kubectl configuration when no kubeconfig is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    writeFileSync(join(dir, 'config'), KUBECONFIG);
    const { value, error } = await read({ manifests: 'manifests/app' }, { KUBECONFIG: join(dir, 'config') });
    expect(error).toBeUndefined();
    expect(value?.kubeconfig).toBeUndefined();
  });

  it('reads the verification checks (url/checks) as smoke-test checks', async () => {
    const { value } = await read({ ...base, strategy: 'blue-green', url: 'http://127.0.0.1:1/health' });
    expect(value?.verify?.checks.map((c) => c.url)).toEqual(['http://127.0.0.1:1/health']);
  });
});

describe('input helpers', () => {
  it.each([
    ['k8s/a.yaml\nk8s/b.yaml', ['k8s/a.yaml', 'k8s/b.yaml']],
    ['k8s/a.yaml, k8s/b.yaml', ['k8s/a.yaml', 'k8s/b.yaml']],
    ['k8s/{a,b}.yaml\n# comment\n\n kustomize/prod ', ['k8s/{a,b}.yaml', 'kustomize/prod']],
  ])('splitEntries(%j)', (text, expected) => expect(splitEntries(text)).toEqual(expected));

  it.each([
    ['10,50,100', [10, 50, 100]],
    ['5% 25% 100%', [5, 25, 100]],
    ['25', [25]],
  ])('parseCanarySteps(%j)', (text, expected) => expect(parseCanarySteps(text)).toEqual(expected));

  it('writes the kubeconfig 0600 and removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-'));
    const file = writeKubeconfig(KUBECONFIG, dir);
    const { statSync, existsSync, readFileSync } = await import('node:fs');
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(file.path, 'utf8')).toBe(KUBECONFIG);
    file.remove();
    expect(existsSync(file.path)).toBe(false);
  });

  it('kubeconfigSecrets leaves structure alone and keeps names whole-line only', () => {
    const secrets = kubeconfigSecrets(KUBECONFIG);
    expect(secrets).toContain('name: prod');
    expect(secrets).not.toContain('prod');
    expect(secrets).toContain(TOKEN);
  });

  it('readKubeconfig lists the contexts', async () => {
    const info = await readKubeconfig(KUBECONFIG, undefined, () => {});
    expect(info).toMatchObject({ contexts: ['prod', 'prod-admin'], currentContext: 'prod' });
  });
});
