/**
 * rollout inputs, read once into a typed object. Every mistake is a ConfigurationError naming the
 * input, raised here — before the kubeconfig is written or the cluster is touched. The kubeconfig is
 * masked line by line as it is read.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, InputReader, type Services } from '../../core/index.js';
import { ACTIONS, STRATEGIES, type RolloutInputs } from '../../kube/options.js';

export type { RolloutInputs } from '../../kube/options.js';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Entries separated by newlines, or by commas outside `{…}` (so `k8s/{a,b}.yaml` stays one glob). */
export function splitEntries(text: string): string[] {
  const entries: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    let depth = 0;
    let current = '';
    for (const ch of line) {
      if (ch === '{') depth++;
      if (ch === '}') depth = Math.max(0, depth - 1);
      if (ch === ',' && depth === 0) {
        entries.push(current);
        current = '';
      } else current += ch;
    }
    entries.push(current);
  }
  return entries.map((e) => e.trim()).filter((e) => e !== '');
}

export function parseCanarySteps(text: string): number[] {
  const steps: number[] = [];
  for (const part of text.split(/[\s,]+/).filter((p) => p !== '')) {
    const value = part.endsWith('%') ? part.slice(0, -1) : part;
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100) {
      throw new ConfigurationError('canary-steps', `'${part}' is not a percentage from 1 to 100 (e.g. 10,25,50,100)`);
    }
    const step = Number(value);
    if (steps.length && step <= (steps.at(-1) as number)) throw new ConfigurationError('canary-steps', `steps must increase: ${step} comes after ${steps.at(-1) as number}`);
    steps.push(step);
  }
  if (steps.length === 0) throw new ConfigurationError('canary-steps', 'give at least one step, e.g. 10,50,100');
  return steps;
}

function hasLocalKubeconfig(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env['KUBERNETES_SERVICE_HOST']) return true; // in-cluster runner: kubectl uses the service account
  const configured = env['KUBECONFIG'];
  if (configured) return configured.split(':').some((p) => p !== '' && existsSync(p));
  return existsSync(join(env['HOME'] || homedir(), '.kube', 'config'));
}

export async function readRolloutInputs(input: InputReader, services: Services): Promise<RolloutInputs> {
  // The kubeconfig first: every line of it is masked (sent to the runner one by one: the runner
  // matches masks line by line, so a multi-line value alone would mask nothing), then the whole.
  const raw = input.optional('kubeconfig');
  const kubeconfigModule = raw !== undefined ? await import('../../kube/kubeconfig.js') : undefined;
  if (raw !== undefined && kubeconfigModule) {
    for (const secret of kubeconfigModule.kubeconfigSecrets(raw)) services.addSecret(secret);
    services.addSecret(raw);
  }

  const action = input.enum('action', ACTIONS, 'deploy');
  const manifests = splitEntries(input.string('manifests', { raw: true }));
  if (manifests.length === 0) throw new ConfigurationError('manifests', 'is required: give files, globs, directories or kustomize directories (one per line)');
  const strategy = input.enum('strategy', STRATEGIES, 'rolling');
  const images = input.multiline('images');
  const namespace = input.optional('namespace');
  if (namespace !== undefined && (!NAMESPACE.test(namespace) || namespace.length > 63)) throw new ConfigurationError('namespace', `'${namespace}' is not a valid namespace name`);
  const canarySteps = parseCanarySteps(input.string('canary-steps', { default: '10,50,100' }));
  const canaryPauseMs = input.duration('canary-pause', '30s');
  const timeoutMs = input.duration('timeout', '5m');
  if (timeoutMs <= 0) throw new ConfigurationError('timeout', 'must be greater than 0');
  const rollbackOnFailure = input.boolean('rollback-on-failure', true);
  const serverSide = input.boolean('server-side', true);
  const dryRun = input.boolean('dry-run', false);
  const context = input.optional('context');

  let toRevision: number | undefined;
  if (input.has('to-revision')) {
    if (action !== 'rollback') throw new ConfigurationError('to-revision', `is only used with action: rollback (action is ${action})`);
    if (strategy === 'blue-green') throw new ConfigurationError('to-revision', 'is not used with strategy blue-green: a rollback switches the Services back to the other colour');
    toRevision = input.integer('to-revision', 0, { min: 1 });
  }
  if ((action === 'promote' || action === 'abort') && strategy !== 'canary') {
    throw new ConfigurationError('action', `${action} applies to strategy: canary (strategy is ${strategy})`);
  }

  const { checkManifestEntries } = await import('../../kube/manifest.js');
  checkManifestEntries(manifests, services.workspace);
  const { parseImageOverrides } = await import('../../kube/images.js');
  parseImageOverrides(images);

  let kubeconfig: string | undefined;
  if (raw !== undefined && kubeconfigModule) {
    kubeconfig = (await kubeconfigModule.readKubeconfig(raw, context, services.addSecret)).text;
  } else if (!hasLocalKubeconfig(services.env)) {
    throw new ConfigurationError('kubeconfig', 'is not given, and kubectl has no configuration on this runner (no KUBECONFIG file, no ~/.kube/config)');
  }

  // Verification before traffic moves (blue-green preview, canary steps): the smoke-test checks.
  let verify: RolloutInputs['verify'];
  if (input.has('url') || input.has('checks')) {
    const url = input.string('url');
    const checks = input.string('checks', { raw: true });
    const { readSmokeInputs } = await import('../smoke-test/inputs.js');
    verify = await readSmokeInputs(new InputReader((name) => (name === 'url' ? url : name === 'checks' ? checks : ''), services.workspace, services.addSecret));
    if (strategy === 'rolling' && action === 'deploy') services.log.warning('url/checks verify blue-green and canary deploys before traffic moves; with strategy rolling they are not used');
  }

  return {
    action,
    manifests,
    images,
    ...(namespace !== undefined ? { namespace } : {}),
    strategy,
    canarySteps,
    canaryPauseMs,
    ...(toRevision !== undefined ? { toRevision } : {}),
    timeoutMs,
    rollbackOnFailure,
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
    serverSide,
    dryRun,
    ...(verify ? { verify } : {}),
  };
}
