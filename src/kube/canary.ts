/**
 * Canary by replica ratio. Beside each stable Deployment `<name>` runs `<name>-canary`: the new pod
 * template, with `shipline.dev/track: canary` added to its selector and pod labels, so the
 * Service (whose selector picks the app's labels) sends it a share of requests proportional to its
 * pods. At each of `canary-steps` (percent), the canary gets ceil(N × step / 100) of the N replicas
 * and the stable Deployment the rest (at least one while the canary is below 100 %); each step
 * waits for both to roll out (fail fast), runs the verification, then watches the canary's pods for
 * `canary-pause` before the next step. A step of 100 promotes: the stable Deployment gets the new
 * template and its N replicas back, then the canary is deleted. Without 100, the run ends with the
 * canary serving and `action: promote` / `action: abort` finishes it later.
 *
 * Any failure aborts: the stable Deployment gets its N replicas back (and its previous revision,
 * if the promotion had started), the canary is deleted, `result=rolled-back`.
 */
import { ActionFailedError, ConfigurationError, formatDuration } from '../core/index.js';
import { applyObjects, changedWorkloads, diagnosticsOf, generationsOf, phase, prepare, recordBefore, reportOf, rollBack, verify, wait, watchTargets, type Before, type RolloutContext } from './context.js';
import { imagesOf } from './images.js';
import type { Diagnostic, RolloutResult, WorkloadReport } from './options.js';
import { makeResult } from './result.js';
import { dryRun, workloadRefs } from './rolling.js';
import type { Deployment, KubeObject } from './types.js';
import { describeRef, refKey } from './types.js';
import type { WatchTarget, WorkloadOutcome, WorkloadRef } from './waiter.js';

export const TRACK_LABEL = 'shipline.dev/track';
export const CANARY_SUFFIX = '-canary';
export const STABLE_REPLICAS_ANNOTATION = 'shipline.dev/stable-replicas';

export function canaryName(name: string): string {
  return `${name}${CANARY_SUFFIX}`;
}

/** Replicas of canary and stable at `percent` of `total` (the ratio is canary / (canary + stable)). */
export function splitReplicas(total: number, percent: number): { canary: number; stable: number } {
  if (percent >= 100) return { canary: 0, stable: total };
  const canary = Math.min(Math.max(Math.ceil((total * percent) / 100), 1), Math.max(total, 1));
  const stable = Math.max(total - canary, 1);
  return { canary, stable };
}

export function renderCanary(deployment: Deployment, replicas: number, stableReplicas: number): Deployment {
  const copy = structuredClone(deployment);
  const name = deployment.metadata.name ?? '';
  copy.metadata.name = canaryName(name);
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [TRACK_LABEL]: 'canary' };
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), 'shipline.dev/canary-of': name, [STABLE_REPLICAS_ANNOTATION]: String(stableReplicas) };
  copy.spec.replicas = replicas;
  copy.spec.selector = { ...copy.spec.selector, matchLabels: { ...(copy.spec.selector.matchLabels ?? {}), [TRACK_LABEL]: 'canary' } };
  copy.spec.template = { ...copy.spec.template, metadata: { ...(copy.spec.template.metadata ?? {}), labels: { ...(copy.spec.template.metadata?.labels ?? {}), [TRACK_LABEL]: 'canary' } } };
  return copy;
}

interface Pair {
  stable: Deployment;
  stableRef: WorkloadRef;
  canaryRef: WorkloadRef;
  /** The replicas the app runs with outside a canary. */
  total: number;
  /** Replicas the stable Deployment has now (kept up to date as we scale it). */
  stableNow: number;
}

export function planCanary(objects: readonly KubeObject[]): { deployments: Deployment[]; others: KubeObject[] } {
  const deployments = objects.filter((o): o is Deployment => o.kind === 'Deployment');
  if (deployments.length === 0) throw new ConfigurationError('strategy', 'canary needs a Deployment in the manifests');
  return { deployments, others: objects.filter((o) => o.kind !== 'Deployment') };
}

function refFor(ctx: RolloutContext, deployment: Deployment, name = deployment.metadata.name ?? ''): WorkloadRef {
  return { kind: 'Deployment', name, namespace: deployment.metadata.namespace ?? ctx.namespace };
}

async function pairsFor(ctx: RolloutContext, deployments: readonly Deployment[], fromCanary: boolean): Promise<{ pairs: Pair[]; missing: Deployment[] }> {
  const pairs: Pair[] = [];
  const missing: Deployment[] = [];
  for (const stable of deployments) {
    const stableRef = refFor(ctx, stable);
    const canaryRef = refFor(ctx, stable, canaryName(stable.metadata.name ?? ''));
    const live = await ctx.client.get<Deployment>(stableRef);
    if (!live) {
      missing.push(stable);
      continue;
    }
    let total = stable.spec.replicas ?? live.spec.replicas ?? 1;
    if (fromCanary) {
      const canary = await ctx.client.get<Deployment>(canaryRef);
      const recorded = Number(canary?.metadata.annotations?.[STABLE_REPLICAS_ANNOTATION]);
      if (Number.isInteger(recorded) && recorded > 0) total = recorded;
    }
    pairs.push({ stable, stableRef, canaryRef, total, stableNow: live.spec.replicas ?? 1 });
  }
  return { pairs, missing };
}

async function scaleStable(ctx: RolloutContext, pair: Pair, replicas: number): Promise<KubeObject | undefined> {
  if (pair.stableNow === replicas) return undefined;
  const scaled = await ctx.client.scale(pair.stableRef, replicas);
  ctx.services.log.info(`${describeRef(pair.stableRef)}: scaled to ${replicas}`);
  pair.stableNow = replicas;
  return scaled;
}

function stableTargets(pairs: readonly Pair[]): WatchTarget[] {
  return pairs.map((p) => ({ ref: p.stableRef, selector: p.stable.spec.selector }));
}

function failedOf(outcomes: readonly WorkloadOutcome[]): WorkloadOutcome | undefined {
  return outcomes.find((o) => o.state === 'failed' || o.state === 'timed-out');
}

function why(outcome: WorkloadOutcome): string {
  return `${describeRef(outcome.ref)}: ${outcome.failure ? `${outcome.failure.reason} (pod ${outcome.failure.pod})` : outcome.message}`;
}

/** Stable back to its replicas (and revision, when `restoreRevision`), canary deleted. */
async function abortPairs(ctx: RolloutContext, pairs: readonly Pair[], before: Map<string, Before>, restoreRevision: boolean): Promise<{ ok: boolean; outcomes: WorkloadOutcome[]; reports: WorkloadReport[]; errors: string[] }> {
  const { log } = ctx.services;
  return log.group(`Aborting the canary: ${pairs.map((p) => p.canaryRef.name).join(', ')}`, async () => {
    const errors: string[] = [];
    let outcomes: WorkloadOutcome[] = [];
    if (restoreRevision) {
      const rollback = await rollBack(ctx, pairs.map((p) => p.stableRef), before);
      errors.push(...rollback.errors);
      outcomes = rollback.outcomes;
    }
    const prepared = prepare(ctx, stableTargets(pairs), { failFast: false, purpose: 'abort' });
    const scaled: (KubeObject | undefined)[] = [];
    for (const pair of pairs) {
      scaled.push(
        await scaleStable(ctx, pair, pair.total).catch((e: unknown) => {
          errors.push(`${describeRef(pair.stableRef)}: scale failed: ${(e as Error).message}`);
          return undefined;
        }),
      );
    }
    const waited = await prepared.wait(pairs.map((p) => p.stableRef), generationsOf(scaled, ctx.namespace));
    outcomes = [...outcomes.filter((o) => !waited.some((w) => refKey(w.ref) === refKey(o.ref))), ...waited];
    for (const pair of pairs) {
      await ctx.client.delete(pair.canaryRef).catch((e: unknown) => errors.push(`${describeRef(pair.canaryRef)}: delete failed: ${(e as Error).message}`));
      log.info(`${describeRef(pair.canaryRef)}: deleted`);
    }
    const reports: WorkloadReport[] = [
      ...waited.map((o) => ({ ...reportOf(o, before.get(refKey(o.ref))), state: o.state === 'succeeded' ? 'rolled-back' : o.state })),
      ...pairs.map((p) => ({ ...p.canaryRef, images: [], state: 'deleted', message: 'canary deleted' })),
    ];
    const ok = errors.length === 0 && waited.every((o) => o.state === 'succeeded');
    return { ok, outcomes, reports, errors };
  });
}

/** The stable Deployments get the new template and their replicas back; then the canaries go. */
async function promotePairs(ctx: RolloutContext, pairs: Pair[], before: Map<string, Before>, started: number, earlier: WorkloadReport[]): Promise<RolloutResult> {
  const { log } = ctx.services;
  phase(ctx, 'promote', pairs.map((p) => p.stableRef.name).join(', '));
  const prepared = prepare(ctx, stableTargets(pairs));
  const changedObjects: (KubeObject | undefined)[] = [];
  try {
    await log.group(`Promoting: ${pairs.map((p) => describeRef(p.stableRef)).join(', ')}`, async () => {
      changedObjects.push(...(await applyObjects(ctx, pairs.map((p) => p.stable))));
      for (const pair of pairs) {
        pair.stableNow = pair.stable.spec.replicas ?? pair.stableNow;
        changedObjects.push(await scaleStable(ctx, pair, pair.total));
      }
    });
  } catch (error) {
    prepared.stop();
    throw error;
  }
  const generations = generationsOf(changedObjects, ctx.namespace);
  const outcomes = await log.group('Waiting for the promoted Deployments', () => prepared.wait(pairs.map((p) => p.stableRef), generations));
  const failed = failedOf(outcomes);
  if (failed) {
    const diagnostics = diagnosticsOf(outcomes);
    if (!ctx.inputs.rollbackOnFailure) {
      return makeResult(ctx, { result: 'failed', message: `promotion failed — ${why(failed)}; rollback-on-failure is false: left as it is`, workloads: outcomes.map((o) => reportOf(o, before.get(refKey(o.ref)))), diagnostics }, started);
    }
    const aborted = await abortPairs(ctx, pairs, before, true);
    diagnostics.push(...diagnosticsOf(aborted.outcomes).map((d) => ({ ...d, reason: `rollback: ${d.reason}` })));
    return makeResult(ctx, { result: aborted.ok ? 'rolled-back' : 'failed', rolledBack: aborted.ok, message: `promotion failed — ${why(failed)}; ${aborted.ok ? 'stable restored to its previous revision, canary deleted' : `the rollback did not complete: ${aborted.errors[0] ?? ''}`}`, workloads: aborted.reports, diagnostics }, started);
  }
  for (const pair of pairs) {
    await ctx.client.delete(pair.canaryRef);
    log.info(`${describeRef(pair.canaryRef)}: deleted (promoted)`);
  }
  const reports = [...outcomes.map((o) => ({ ...reportOf(o, before.get(refKey(o.ref))), state: o.state === 'succeeded' ? 'promoted' : o.state })), ...earlier];
  return makeResult(ctx, { result: 'succeeded', message: `promoted ${pairs.map((p) => p.stableRef.name).join(', ')} to 100 %`, workloads: reports, primary: reports[0] }, started);
}

export async function canary(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { log } = ctx.services;
  const { deployments, others } = planCanary(ctx.manifests.map((m) => m.object));
  const { pairs, missing } = await pairsFor(ctx, deployments, false);
  const steps = ctx.inputs.canarySteps;
  const refs = [...workloadRefs([...others, ...missing], ctx.namespace), ...pairs.flatMap((p) => [p.stableRef, p.canaryRef])];
  const before = await recordBefore(ctx, refs);
  const firstStep = steps.find((s) => s < 100) ?? 100;
  if (ctx.inputs.dryRun) {
    const objects = [...others, ...missing, ...pairs.map((p) => (firstStep < 100 ? renderCanary(p.stable, splitReplicas(p.total, firstStep).canary, p.total) : p.stable))];
    return dryRun(ctx, objects, before, started, firstStep < 100 ? ` (the canary at ${firstStep} %)` : '');
  }

  // Objects other than the Deployments, and Deployments with no stable version yet, go first, as in a rolling deploy.
  const reports: WorkloadReport[] = [];
  const direct = [...others, ...missing];
  if (direct.length) {
    if (missing.length) log.notice(`${missing.map((d) => d.metadata.name).join(', ')}: no stable Deployment yet, so no canary: deployed directly`);
    const prepared = prepare(ctx, watchTargets(direct, ctx.namespace));
    let applied: KubeObject[];
    try {
      applied = await log.group(`Applying ${direct.length} object${direct.length === 1 ? '' : 's'}`, () => applyObjects(ctx, direct));
    } catch (error) {
      prepared.stop();
      throw error;
    }
    const changed = changedWorkloads(applied, before, ctx.namespace);
    const outcomes = await log.group(`Waiting for ${changed.length} rollout${changed.length === 1 ? '' : 's'}`, () => prepared.wait(changed, generationsOf(applied, ctx.namespace)));
    reports.push(...outcomes.map((o) => reportOf(o, before.get(refKey(o.ref)))));
    const failed = failedOf(outcomes);
    if (failed) {
      const diagnostics = diagnosticsOf(outcomes);
      if (!ctx.inputs.rollbackOnFailure) return makeResult(ctx, { result: 'failed', message: `rollout failed — ${why(failed)}`, workloads: reports, diagnostics }, started);
      const rollback = await rollBack(ctx, changed, before);
      const ok = rollback.complete && rollback.notRestorable.length === 0;
      return makeResult(ctx, { result: ok ? 'rolled-back' : 'failed', rolledBack: ok, message: `rollout failed before the canary started — ${why(failed)}`, workloads: reports, diagnostics }, started);
    }
  }
  if (pairs.length === 0) return makeResult(ctx, { result: 'succeeded', message: 'no stable Deployment existed: deployed directly, without a canary', workloads: reports }, started);

  for (const [index, step] of steps.entries()) {
    if (step >= 100) return promotePairs(ctx, pairs, before, started, reports);
    phase(ctx, 'canary-step', `${step}%`);
    const weights: string[] = [];
    const rendered = pairs.map((pair) => renderCanary(pair.stable, splitReplicas(pair.total, step).canary, pair.total));
    const prepared = prepare(ctx, [...watchTargets(rendered, ctx.namespace), ...stableTargets(pairs)]);
    const changedObjects: (KubeObject | undefined)[] = [];
    try {
      await log.group(`Canary step ${index + 1}/${steps.length}: ${step} %`, async () => {
        for (const [i, pair] of pairs.entries()) {
          const split = splitReplicas(pair.total, step);
          const existed = before.get(refKey(pair.canaryRef))?.exists ?? false;
          changedObjects.push(...(await applyObjects(ctx, [rendered[i] as Deployment])));
          if (index === 0 && existed) log.warning(`${describeRef(pair.canaryRef)} already existed (an unfinished canary): it now runs this version`);
          changedObjects.push(await scaleStable(ctx, pair, split.stable));
          weights.push(`${pair.canaryRef.name} ${split.canary}/${split.canary + split.stable} pods (${Math.round((100 * split.canary) / (split.canary + split.stable))} %)`);
        }
        log.info(`Canary weight: ${weights.join(', ')}`);
      });
    } catch (error) {
      prepared.stop();
      throw error;
    }
    const generations = generationsOf(changedObjects, ctx.namespace);
    const outcomes = await log.group(`Waiting for canary step ${step} %`, () => prepared.wait(pairs.flatMap((p) => [p.canaryRef, p.stableRef]), generations));
    let failure: { message: string; diagnostics: Diagnostic[] } | undefined;
    const failed = failedOf(outcomes);
    if (failed) failure = { message: `canary step ${step} % failed — ${why(failed)}`, diagnostics: diagnosticsOf(outcomes) };
    if (!failure) {
      const pair = pairs[0] as Pair;
      const split = splitReplicas(pair.total, step);
      const verdict = await verify(ctx, { phase: 'canary', strategy: 'canary', namespace: ctx.namespace, workloads: pairs.map((p) => p.canaryRef), weight: Math.round((100 * split.canary) / (split.canary + split.stable)) });
      if (!verdict.passed) failure = { message: `verification at canary step ${step} % failed: ${verdict.detail ?? ''}`, diagnostics: [{ workload: pairs.map((p) => describeRef(p.canaryRef)).join(', '), reason: 'VerificationFailed', message: verdict.detail ?? '', events: [] }] };
    }
    const next = steps[index + 1];
    if (!failure && next !== undefined && ctx.inputs.canaryPauseMs > 0) {
      const held = await log.group(`Pausing ${formatDuration(ctx.inputs.canaryPauseMs)} at ${step} %, watching the canary`, () => wait(ctx, pairs.map((p) => p.canaryRef), { holdMs: ctx.inputs.canaryPauseMs, purpose: 'canary pause' }));
      const bad = failedOf(held);
      if (bad) failure = { message: `the canary failed during the pause at ${step} % — ${why(bad)}`, diagnostics: diagnosticsOf(held) };
    }
    if (failure) {
      if (!ctx.inputs.rollbackOnFailure) {
        return makeResult(ctx, { result: 'failed', message: `${failure.message}; rollback-on-failure is false: the canary is left as it is`, workloads: [...reports, ...outcomes.map((o) => reportOf(o, before.get(refKey(o.ref))))], diagnostics: failure.diagnostics }, started);
      }
      const aborted = await abortPairs(ctx, pairs, before, false);
      return makeResult(
        ctx,
        {
          result: aborted.ok ? 'rolled-back' : 'failed',
          rolledBack: aborted.ok,
          message: `${failure.message}; ${aborted.ok ? 'canary aborted: stable restored to full size, canary deleted' : `the abort did not complete: ${aborted.errors[0] ?? ''}`}`,
          workloads: [...reports, ...aborted.reports],
          diagnostics: [...failure.diagnostics, ...diagnosticsOf(aborted.outcomes)],
        },
        started,
      );
    }
    if (next === undefined) {
      const canaryReports = outcomes.map((o) => ({ ...reportOf(o, before.get(refKey(o.ref))), state: o.ref.name.endsWith(CANARY_SUFFIX) ? 'canary' : 'stable' }));
      return makeResult(ctx, { result: 'succeeded', message: `canary at ${step} % and verified: finish with action: promote (or abort)`, workloads: [...reports, ...canaryReports], primary: canaryReports.find((r) => r.state === 'canary') }, started);
    }
  }
  return makeResult(ctx, { result: 'succeeded', message: 'no canary steps', workloads: reports }, started);
}

/** `action: promote`: the canary's version becomes stable (it must be the version the inputs render). */
export async function promote(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { deployments } = planCanary(ctx.manifests.map((m) => m.object));
  const { pairs, missing } = await pairsFor(ctx, deployments, true);
  if (missing.length) throw new ActionFailedError(`${missing.map((d) => refFor(ctx, d)).map(describeRef).join(', ')} does not exist: nothing to promote`);
  for (const pair of pairs) {
    const live = await ctx.client.get<Deployment>(pair.canaryRef);
    if (!live) throw new ActionFailedError(`${describeRef(pair.canaryRef)} does not exist: there is no canary to promote (deploy with strategy canary first)`);
    const running = imagesOf(live);
    const rendered = imagesOf(pair.stable);
    if (running.join(',') !== rendered.join(',')) {
      throw new ActionFailedError(`${describeRef(pair.canaryRef)} runs ${running.join(', ')} but the manifests and images render ${rendered.join(', ')}: promote with the inputs the canary was deployed with`);
    }
  }
  const before = await recordBefore(ctx, pairs.map((p) => p.stableRef));
  if (ctx.inputs.dryRun) return dryRun(ctx, pairs.map((p) => p.stable), before, started, ' (promotion)');
  return promotePairs(ctx, pairs, before, started, []);
}

/** `action: abort` (and `action: rollback` while a canary runs): stable back to full size, canary deleted. */
export async function abort(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { deployments } = planCanary(ctx.manifests.map((m) => m.object));
  const { pairs } = await pairsFor(ctx, deployments, true);
  const running: Pair[] = [];
  for (const pair of pairs) if (await ctx.client.get(pair.canaryRef)) running.push(pair);
  if (running.length === 0) {
    ctx.services.log.notice('No canary is running: nothing to abort');
    return makeResult(ctx, { result: 'succeeded', message: 'no canary was running: nothing to abort', workloads: [] }, started);
  }
  const before = await recordBefore(ctx, running.map((p) => p.stableRef));
  if (ctx.inputs.dryRun) {
    return makeResult(ctx, { result: 'succeeded', message: `dry run: would delete ${running.map((p) => p.canaryRef.name).join(', ')} and scale the stable Deployments back to full size`, workloads: [] }, started);
  }
  const aborted = await abortPairs(ctx, running, before, false);
  return makeResult(ctx, { result: aborted.ok ? 'rolled-back' : 'failed', rolledBack: aborted.ok, message: aborted.ok ? `canary aborted: ${running.map((p) => `${p.stableRef.name} back to ${p.total} replicas`).join(', ')}, canary deleted` : `the abort did not complete: ${aborted.errors[0] ?? ''}`, workloads: aborted.reports, diagnostics: diagnosticsOf(aborted.outcomes) }, started);
}

/** True when any Deployment of the manifests has a canary running (for `action: rollback`). */
export async function canaryRunning(ctx: RolloutContext): Promise<boolean> {
  const { deployments } = planCanary(ctx.manifests.map((m) => m.object));
  for (const d of deployments) if (await ctx.client.get(refFor(ctx, d, canaryName(d.metadata.name ?? '')))) return true;
  return false;
}
