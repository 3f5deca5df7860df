/**
 * `runRollout(inputs, services, hooks)`: the library entry the `rollout` action and the root `deploy`
 * action call. Order matters: manifests are loaded and images substituted (every user mistake is a
 * one-line ConfigurationError) before the kubeconfig is written or the cluster is touched; the
 * kubeconfig file is removed in `finally`, whatever happened.
 */
import { ActionFailedError, ExecError, type Services } from '../core/index.js';
import { createSpawnStream, stopAllStreams } from '../core/exec-stream.js';
import { annotateWorkload, originFromEnv } from './annotations.js';
import { blueGreen, blueGreenRollback, planBlueGreen } from './blue-green.js';
import { abort, canary, canaryRunning, planCanary, promote } from './canary.js';
import type { RolloutContext } from './context.js';
import { parseImageOverrides, substituteImages } from './images.js';
import { contextNamespaceOf, writeKubeconfig, type KubeconfigFile } from './kubeconfig.js';
import { Kubectl, type KubeClient } from './kubectl.js';
import { loadManifests } from './manifest.js';
import type { RolloutDeps, RolloutHooks, RolloutInputs, RolloutResult } from './options.js';
import { writeRolloutSummary } from './report.js';
import { stepFails } from './result.js';
import { rollbackAction, rolling } from './rolling.js';
import { isWorkloadKind } from './types.js';

/** The kubectl binary: SHIPLINE_KUBECTL when set (tests pin a version), else `kubectl` on PATH. */
export function kubectlBinary(env: Readonly<Record<string, string | undefined>>): string {
  return env['SHIPLINE_KUBECTL'] || 'kubectl';
}

export async function runRollout(inputs: RolloutInputs, services: Services, hooks: RolloutHooks = {}, deps: RolloutDeps = {}): Promise<RolloutResult> {
  const { log, clock } = services;
  const started = clock.now();
  const spawnStream = createSpawnStream(log, services.redact);
  const binary = kubectlBinary(services.env);
  // `kubectl kustomize` is local, but some kubectl builds (version dispatchers) contact the current
  // context's server first: an empty kubeconfig keeps input validation away from any cluster.
  const local = new Kubectl({ exec: services.exec, spawnStream, log, binary, kubeconfig: '/dev/null' });

  // 1. Everything that can be wrong with the inputs, before any side effect.
  const manifests = await log.group(`Loading manifests: ${inputs.manifests.join(', ')}`, async () => {
    const loaded = await loadManifests(inputs.manifests, { workspace: services.workspace, kustomize: (dir) => local.kustomize(dir) });
    for (const m of loaded) log.info(`${m.source}${m.line ? `:${m.line}` : ''}: ${m.object.kind} ${m.object.metadata.namespace ? `${m.object.metadata.namespace}/` : ''}${m.object.metadata.name ?? ''}`);
    return loaded;
  });
  const objects = manifests.map((m) => m.object);
  if (inputs.action === 'deploy' || inputs.action === 'promote') {
    const changes = substituteImages(objects, parseImageOverrides(inputs.images));
    for (const c of changes) log.info(`image: ${c.kind}/${c.name} container ${c.container}: ${c.from} → ${c.to}`);
    const origin = originFromEnv(services.env);
    for (const object of objects) if (isWorkloadKind(object.kind)) annotateWorkload(object, origin);
  } else if (inputs.images.length) {
    log.warning(`images is ignored for action: ${inputs.action}`);
  }
  // The strategy's own requirements on the manifests (a Service for blue-green…), still before the cluster.
  if (inputs.strategy === 'blue-green') planBlueGreen(objects);
  if (inputs.strategy === 'canary') planCanary(objects);

  // 2. The cluster.
  let kubeconfig: KubeconfigFile | undefined;
  // A cancelled job ends the process with a signal, which skips `finally`: remove the file then too.
  const onSignal = (signal: NodeJS.Signals): void => {
    kubeconfig?.remove();
    stopAllStreams();
    process.kill(process.pid, signal);
  };
  try {
    if (inputs.kubeconfig !== undefined) {
      kubeconfig = writeKubeconfig(inputs.kubeconfig, services.tempDir);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    const client: KubeClient =
      deps.client ??
      new Kubectl({
        exec: services.exec,
        spawnStream,
        log,
        binary,
        ...(kubeconfig ? { kubeconfig: kubeconfig.path } : {}),
        ...(inputs.context ? { context: inputs.context } : {}),
      });
    const contextNamespace = inputs.kubeconfig !== undefined ? await contextNamespaceOf(inputs.kubeconfig, inputs.context) : await client.contextNamespace();
    const namespace = inputs.namespace ?? contextNamespace ?? 'default';
    const ctx: RolloutContext = { inputs, services, client, hooks, namespace, manifests };
    let result: RolloutResult;
    try {
      result = await dispatch(ctx, started);
    } catch (error) {
      // A refusal (the API server rejected the manifests, kubectl could not reach the cluster…) is a
      // failed rollout with outputs and a summary, not a crash.
      if (!(error instanceof ActionFailedError) && !(error instanceof ExecError)) throw error;
      const message = error instanceof ExecError ? `${error.message}` : error.message;
      result = {
        result: 'failed',
        action: inputs.action,
        strategy: inputs.strategy,
        message,
        rolledBack: false,
        workloads: [],
        diagnostics: [{ workload: '', reason: error instanceof ExecError ? 'KubectlFailed' : 'Refused', message, events: [] }],
        traffic: [],
        dryRun: inputs.dryRun,
        durationMs: Math.round(clock.now() - started),
      };
    }
    writeRolloutSummary(services.summary, result);
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    kubeconfig?.remove();
  }
}

async function dispatch(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { action, strategy } = ctx.inputs;
  switch (action) {
    case 'deploy':
      if (strategy === 'blue-green') return blueGreen(ctx, started);
      if (strategy === 'canary') return canary(ctx, started);
      return rolling(ctx, started);
    case 'promote':
      return promote(ctx, started);
    case 'abort':
      return abort(ctx, started);
    case 'rollback':
      if (strategy === 'blue-green') return blueGreenRollback(ctx, started);
      if (strategy === 'canary' && (await canaryRunning(ctx))) return abort(ctx, started);
      return rollbackAction(ctx, started);
  }
}

/** A rollout that did not happen (failed, or rolled back): the step fails; the result travels with it. */
export class RolloutFailedError extends ActionFailedError {
  constructor(
    message: string,
    readonly result: RolloutResult,
  ) {
    super(message);
  }
}

/** The action: runs the rollout, sets the outputs, fails the step when the rollout did not happen. */
export async function rolloutAction(inputs: RolloutInputs, services: Services, hooks: RolloutHooks = {}): Promise<RolloutResult> {
  const result = await runRollout(inputs, services, hooks);
  const { outputs } = services;
  outputs.set('result', result.result);
  outputs.set('revision', result.revision ?? '');
  outputs.set('previous-revision', result.previousRevision ?? '');
  outputs.set('rolled-back', result.rolledBack);
  outputs.set(
    'workloads',
    result.workloads.map((w) => ({ kind: w.kind, name: w.name, namespace: w.namespace, images: w.images, revision: w.revision ?? null, previousRevision: w.previousRevision ?? null, state: w.state })),
  );
  outputs.set('diagnostics', result.diagnostics);
  if (stepFails(result)) throw new RolloutFailedError(result.result === 'failed' && result.workloads.length === 0 ? result.message : `rollout ${result.result}: ${result.message}`, result);
  services.log.info(`Rollout ${result.result}: ${result.message}`);
  return result;
}
