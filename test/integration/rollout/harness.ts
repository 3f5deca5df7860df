/**
 * Runs the rollout library in-process against the test cluster, the way the action runs it: a
 * MemoryRunner (outputs, log, summary captured), the kubeconfig given as secret content (written
 * 0600 under RUNNER_TEMP and removed), manifests written into a temporary workspace.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServices, type Services } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import type { RolloutHooks, RolloutInputs, RolloutResult } from '../../../src/kube/options.js';
import { RolloutFailedError, rolloutAction, runRollout } from '../../../src/kube/run.js';
import { kubeconfigText } from '../../helpers/kube.js';

export const GITHUB_ENV = {
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REPOSITORY: 'acme/api',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_ACTOR: 'octocat',
};

export interface Run {
  result?: RolloutResult;
  error?: unknown;
  runner: MemoryRunner;
  services: Services;
  /** RUNNER_TEMP: must hold no kubeconfig afterwards. */
  runnerTemp: string;
  log: string;
}

export function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-ws-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function inputs(namespace: string, overrides: Partial<RolloutInputs> = {}): RolloutInputs {
  return {
    action: 'deploy',
    manifests: ['k8s'],
    images: [],
    namespace,
    strategy: 'rolling',
    canarySteps: [10, 50, 100],
    canaryPauseMs: 0,
    timeoutMs: 60_000,
    rollbackOnFailure: true,
    kubeconfig: kubeconfigText(),
    serverSide: true,
    dryRun: false,
    ...overrides,
  };
}

/** runRollout (returns the result) or, with `asAction`, rolloutAction (sets outputs, throws on failure). */
export async function rollout(ws: string, input: RolloutInputs, options: { hooks?: RolloutHooks; asAction?: boolean; onLine?: (line: string) => void } = {}): Promise<Run> {
  const runnerTemp = mkdtempSync(join(tmpdir(), 'rollout-rt-'));
  const runner = new MemoryRunner({}, { ...GITHUB_ENV, RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: ws }, options.onLine ? (line) => options.onLine?.(line) : undefined);
  const services = createServices(runner);
  for (const line of (input.kubeconfig ?? '').split('\n')) if (line.trim().length >= 6) services.addSecret(line.trim());
  const run: Run = { runner, services, runnerTemp, log: '' };
  try {
    run.result = options.asAction ? await rolloutAction(input, services, options.hooks) : await runRollout(input, services, options.hooks);
  } catch (error) {
    run.error = error;
    if (error instanceof RolloutFailedError) run.result = error.result;
  }
  runner.appendSummary(services.summary.toString());
  run.log = runner.log;
  return run;
}

export function leftovers(run: Run): string[] {
  return readdirSync(run.runnerTemp).filter((f) => f.startsWith('shipline-kubeconfig'));
}

export interface DeploymentView {
  revision: number;
  images: string[];
  replicas: number;
  ready: number;
  updated: number;
  annotations: Record<string, string>;
  podImages: string[];
}

export function deploymentView(k: (args: readonly string[]) => string, name: string): DeploymentView {
  const d = JSON.parse(k(['get', 'deployment', name, '-o', 'json'])) as {
    metadata: { annotations?: Record<string, string> };
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    status: { readyReplicas?: number; updatedReplicas?: number };
  };
  const selector = Object.entries((JSON.parse(k(['get', 'deployment', name, '-o', 'jsonpath={.spec.selector.matchLabels}'])) as Record<string, string>) ?? {})
    .map(([a, b]) => `${a}=${b}`)
    .join(',');
  const pods = JSON.parse(k(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: { metadata: { deletionTimestamp?: string }; spec: { containers: { image: string }[] } }[] };
  return {
    revision: Number(d.metadata.annotations?.['deployment.kubernetes.io/revision']),
    images: d.spec.template.spec.containers.map((c) => c.image),
    replicas: d.spec.replicas,
    ready: d.status.readyReplicas ?? 0,
    updated: d.status.updatedReplicas ?? 0,
    annotations: d.metadata.annotations ?? {},
    podImages: [...new Set(pods.items.filter((p) => !p.metadata.deletionTimestamp).flatMap((p) => p.spec.containers.map((c) => c.image)))].sort(),
  };
}
