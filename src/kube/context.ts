/**
 * What every strategy shares: the loaded manifests, the kube client, applying objects (validated by a
 * server-side dry run of everything first, so bad manifests never half-apply), recording revisions
 * before a change, waiting, rolling back, and verification.
 */
import { ActionFailedError, errorMessage, ExecError, type Services } from '../core/index.js';
import type { KubeClient } from './kubectl.js';
import type { Manifest } from './manifest.js';
import type { Diagnostic, RolloutHooks, RolloutInputs, VerifyContext, VerifyOutcome, WorkloadReport } from './options.js';
import { currentRevision, deploymentRevision } from './revision.js';
import type { KubeObject, Workload } from './types.js';
import { describeRef, isWorkloadKind, refKey } from './types.js';
import { prepareRollouts, waitForRollouts, type PreparedWait, type WaitOptions, type WatchTarget, type WorkloadOutcome, type WorkloadRef } from './waiter.js';
import { imagesOf } from './images.js';

export interface RolloutContext {
  inputs: RolloutInputs;
  services: Services;
  client: KubeClient;
  hooks: RolloutHooks;
  /** Namespace for objects that name none: the input, else the context's, else `default`. */
  namespace: string;
  /** Rendered objects (images substituted, annotations added), in manifest order. */
  manifests: Manifest[];
}

/** The state of a workload before this run changed it. */
export interface Before {
  ref: WorkloadRef;
  exists: boolean;
  generation?: number;
  revision?: number;
  images: string[];
}

export function workloadRef(object: KubeObject, namespace: string): WorkloadRef | undefined {
  if (!isWorkloadKind(object.kind)) return undefined;
  return { kind: object.kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace ?? namespace };
}

export function phase(ctx: RolloutContext, name: string, detail: string): void {
  ctx.hooks.onPhase?.(name, detail);
}

/** Reads each workload as it is now (absent ones too), with its current revision. */
export async function recordBefore(ctx: RolloutContext, refs: readonly WorkloadRef[]): Promise<Map<string, Before>> {
  const entries = await Promise.all(
    refs.map(async (ref): Promise<[string, Before]> => {
      const live = await ctx.client.get<Workload>(ref);
      if (!live) return [refKey(ref), { ref, exists: false, images: [] }];
      const info = live.kind === 'Deployment' ? { revision: deploymentRevision(live) } : await currentRevision(ctx.client, live);
      return [
        refKey(ref),
        {
          ref,
          exists: true,
          images: imagesOf(live),
          ...(live.metadata.generation !== undefined ? { generation: live.metadata.generation } : {}),
          ...(info.revision !== undefined ? { revision: info.revision } : {}),
        },
      ];
    }),
  );
  return new Map(entries);
}

function kubectlDetail(error: unknown): string {
  if (error instanceof ExecError) {
    const lines = error.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('Warning:'));
    return lines.slice(-3).join(' | ') || error.message;
  }
  return errorMessage(error);
}

/**
 * Applies objects grouped by namespace (objects naming none go with `-n <namespace>`, first, so a
 * Namespace in the manifests exists before what lives in it). Every group is first applied as a
 * server-side dry run; a rejection fails the step before anything is changed.
 */
export async function applyObjects(ctx: RolloutContext, objects: readonly KubeObject[], options: { dryRunOnly?: boolean } = {}): Promise<KubeObject[]> {
  const groups = new Map<string, KubeObject[]>();
  groups.set(ctx.namespace, []);
  for (const object of objects) {
    const ns = object.metadata.namespace ?? ctx.namespace;
    if (!groups.has(ns)) groups.set(ns, []);
    (groups.get(ns) as KubeObject[]).push(object);
  }
  const created = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name ?? ''));
  const serverSide = ctx.inputs.serverSide;
  for (const [namespace, group] of groups) {
    if (group.length === 0) continue;
    try {
      await ctx.client.apply(group, { namespace, serverSide, dryRun: true });
    } catch (error) {
      // A namespace this very apply creates cannot be dry-run into yet.
      if (created.has(namespace) && /namespaces? "?[\w-]+"? not found/i.test(kubectlDetail(error))) continue;
      throw new ActionFailedError(`the API server rejected the manifests (nothing was applied): ${kubectlDetail(error)}`);
    }
  }
  if (options.dryRunOnly) return [];
  const applied: KubeObject[] = [];
  for (const [namespace, group] of groups) {
    if (group.length === 0) continue;
    try {
      applied.push(...(await ctx.client.apply(group, { namespace, serverSide, dryRun: false })));
    } catch (error) {
      throw new ActionFailedError(`kubectl apply failed in namespace ${namespace}: ${kubectlDetail(error)}`);
    }
  }
  return applied;
}

/** Workloads whose spec this apply changed (new ones included). */
export function changedWorkloads(applied: readonly KubeObject[], before: Map<string, Before>, namespace: string): WorkloadRef[] {
  const changed: WorkloadRef[] = [];
  for (const object of applied) {
    const ref = workloadRef(object, namespace);
    if (!ref) continue;
    const was = before.get(refKey(ref));
    if (!was?.exists || was.generation !== object.metadata.generation) changed.push(ref);
  }
  return changed;
}

export function waitOptions(ctx: RolloutContext, extra: Partial<WaitOptions> = {}): WaitOptions {
  return { client: ctx.client, log: ctx.services.log, clock: ctx.services.clock, timeoutMs: ctx.inputs.timeoutMs, ...extra };
}

export function wait(ctx: RolloutContext, refs: readonly WorkloadRef[], extra: Partial<WaitOptions> = {}, minGenerations?: ReadonlyMap<string, number>): Promise<WorkloadOutcome[]> {
  return waitForRollouts(refs, waitOptions(ctx, extra), minGenerations);
}

/** The workloads among `objects`, with the pod selectors their manifests give. */
export function watchTargets(objects: readonly KubeObject[], namespace: string): WatchTarget[] {
  const targets: WatchTarget[] = [];
  for (const object of objects) {
    const ref = workloadRef(object, namespace);
    if (!ref) continue;
    const selector = (object as Workload).spec?.selector;
    targets.push({ ref, ...(selector ? { selector } : {}) });
  }
  return targets;
}

/** Opens the watches before a change (see prepareRollouts). */
export function prepare(ctx: RolloutContext, targets: readonly WatchTarget[], extra: Partial<WaitOptions> = {}): PreparedWait {
  return prepareRollouts(targets, waitOptions(ctx, extra));
}

/** refKey → the generation an apply/scale/undo produced. */
export function generationsOf(objects: readonly (KubeObject | undefined)[], namespace: string): Map<string, number> {
  const generations = new Map<string, number>();
  for (const object of objects) {
    if (!object) continue;
    const ref = workloadRef(object, namespace);
    if (ref && object.metadata.generation !== undefined) generations.set(refKey(ref), object.metadata.generation);
  }
  return generations;
}

export function diagnosticsOf(outcomes: readonly WorkloadOutcome[]): Diagnostic[] {
  return outcomes
    .filter((o) => o.state === 'failed' || o.state === 'timed-out')
    .map((o) => ({
      workload: describeRef(o.ref),
      reason: o.failure?.reason ?? (o.state === 'timed-out' ? 'Timeout' : /progress deadline/.test(o.message) ? 'ProgressDeadlineExceeded' : 'Failed'),
      message: o.message,
      ...(o.failure ? { pod: o.failure.pod, ...(o.failure.container ? { container: o.failure.container } : {}) } : {}),
      events: o.events,
    }));
}

export function reportOf(outcome: WorkloadOutcome, before?: Before): WorkloadReport {
  return {
    kind: outcome.ref.kind,
    name: outcome.ref.name,
    namespace: outcome.ref.namespace,
    images: outcome.images,
    ...(outcome.revision !== undefined ? { revision: outcome.revision } : {}),
    ...(before?.revision !== undefined ? { previousRevision: before.revision } : {}),
    state: outcome.state,
    message: outcome.message,
  };
}

export interface RollbackSummary {
  /** Every workload that had a previous revision was restored and rolled out. */
  complete: boolean;
  outcomes: WorkloadOutcome[];
  /** Changed workloads with no previous revision (created by this run). */
  notRestorable: WorkloadRef[];
  errors: string[];
}

/**
 * `kubectl rollout undo --to-revision=<recorded>` for every workload, then waits until the rollback
 * itself has rolled out (no fail-fast cancellation: every restore is followed to its end).
 */
export async function rollBack(ctx: RolloutContext, refs: readonly WorkloadRef[], before: Map<string, Before>): Promise<RollbackSummary> {
  const { log } = ctx.services;
  const restorable: WorkloadRef[] = [];
  const notRestorable: WorkloadRef[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    const was = before.get(refKey(ref));
    if (was?.exists && was.revision !== undefined) restorable.push(ref);
    else notRestorable.push(ref);
  }
  phase(ctx, 'rollback', restorable.map(describeRef).join(', '));
  return log.group(`Rolling back ${restorable.length} workload${restorable.length === 1 ? '' : 's'}`, async () => {
    for (const ref of notRestorable) log.warning(`${describeRef(ref)} was created by this deployment: there is no previous revision to restore; it is left as it is`);
    const undone: WorkloadRef[] = [];
    const after: (KubeObject | undefined)[] = [];
    const prepared = prepare(ctx, restorable.map((ref) => ({ ref })), { failFast: false, purpose: 'rollback' });
    for (const ref of restorable) {
      const revision = (before.get(refKey(ref)) as Before).revision as number;
      try {
        after.push(await ctx.client.undo(ref, revision));
        log.info(`${describeRef(ref)}: rolled back to revision ${revision}`);
        undone.push(ref);
      } catch (error) {
        errors.push(`${describeRef(ref)}: kubectl rollout undo failed: ${kubectlDetail(error)}`);
        log.error(errors.at(-1) as string);
      }
    }
    const outcomes = await prepared.wait(undone, generationsOf(after, ctx.namespace));
    const complete = errors.length === 0 && outcomes.every((o) => o.state === 'succeeded' || o.state === 'skipped');
    return { complete, outcomes, notRestorable, errors };
  });
}

/** Runs the verification for a phase: the smoke checks (not for `live`) and the caller's hook. */
export async function verify(ctx: RolloutContext, context: VerifyContext): Promise<VerifyOutcome> {
  const { log } = ctx.services;
  const smoke = ctx.inputs.verify;
  const hook = ctx.hooks.verify;
  if ((!smoke || context.phase === 'live') && !hook) return { passed: true, detail: 'no verification configured' };
  phase(ctx, 'verify', context.phase);
  const what = context.phase === 'preview' ? `the ${context.color ?? 'new'} colour before switching traffic` : context.phase === 'live' ? 'live traffic after the switch' : `the canary at ${context.weight ?? '?'}%`;
  return log.group(`Verifying ${what}`, async () => {
    if (smoke && context.phase !== 'live') {
      const { runSmokeTest } = await import('../smoke/run.js');
      try {
        // The smoke run's outputs are not this action's outputs; its summary section is kept.
        await runSmokeTest(smoke, { ...ctx.services, outputs: { set: () => {} } });
      } catch (error) {
        return { passed: false, detail: `smoke checks failed: ${errorMessage(error)}` };
      }
    }
    if (hook) {
      try {
        const outcome = await hook(context);
        if (outcome && !outcome.passed) return { passed: false, detail: outcome.detail ?? 'the verification hook failed' };
      } catch (error) {
        return { passed: false, detail: `verification failed: ${errorMessage(error)}` };
      }
    }
    log.info(`✓ verified ${what}`);
    return { passed: true };
  });
}
