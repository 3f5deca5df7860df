/**
 * The rolling strategy: apply everything, wait for every changed workload in parallel, and on the
 * first failure roll every changed workload back to the revision recorded before the apply, then
 * wait for those rollbacks to finish. Also the dry run, and `action: rollback`.
 */
import { ActionFailedError, type Logger } from '../core/index.js';
import {
  applyObjects,
  changedWorkloads,
  diagnosticsOf,
  generationsOf,
  phase,
  prepare,
  recordBefore,
  reportOf,
  rollBack,
  watchTargets,
  workloadRef,
  type Before,
  type RolloutContext,
} from './context.js';
import { imagesOf } from './images.js';
import { currentRevision, revisionHistory } from './revision.js';
import { makeResult } from './result.js';
import type { RolloutResult, WorkloadReport } from './options.js';
import type { KubeObject, Workload } from './types.js';
import { describeRef, refKey } from './types.js';
import type { WorkloadOutcome, WorkloadRef } from './waiter.js';

export function workloadRefs(objects: readonly KubeObject[], namespace: string): WorkloadRef[] {
  return objects.map((o) => workloadRef(o, namespace)).filter((r): r is WorkloadRef => r !== undefined);
}

function logApplied(log: Logger, applied: readonly KubeObject[], before: Map<string, Before>, changed: readonly WorkloadRef[], namespace: string): void {
  const changedKeys = new Set(changed.map(refKey));
  for (const object of applied) {
    const ref = workloadRef(object, namespace);
    const state = ref ? (!before.get(refKey(ref))?.exists ? 'created' : changedKeys.has(refKey(ref)) ? 'changed' : 'unchanged') : 'applied';
    log.info(`${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name ?? ''}: ${state}`);
  }
}

/** Server-side dry run of everything plus a readable diff; nothing is persisted. */
export async function dryRun(ctx: RolloutContext, objects: readonly KubeObject[], before: Map<string, Before>, started: number, note = ''): Promise<RolloutResult> {
  const { log } = ctx.services;
  phase(ctx, 'dry-run', `${objects.length} objects`);
  const diff = await log.group(`Dry run: ${objects.length} objects (server-side)`, async () => {
    await applyObjects(ctx, objects, { dryRunOnly: true });
    const groups = new Map<string, KubeObject[]>();
    for (const o of objects) {
      const ns = o.metadata.namespace ?? ctx.namespace;
      groups.set(ns, [...(groups.get(ns) ?? []), o]);
    }
    let text = '';
    for (const [namespace, group] of groups) text += await ctx.client.diff(group, { namespace, serverSide: ctx.inputs.serverSide });
    log.info(text.trim() ? text.trimEnd() : 'no differences');
    return text;
  });
  const workloads: WorkloadReport[] = workloadRefs(objects, ctx.namespace).map((ref) => {
    const was = before.get(refKey(ref));
    return {
      ...ref,
      images: [],
      ...(was?.revision !== undefined ? { revision: was.revision, previousRevision: was.revision } : {}),
      state: 'dry-run',
      message: was?.exists ? 'validated by the API server; not applied' : 'would be created; not applied',
    };
  });
  const images = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name ?? ''}`, o]));
  for (const w of workloads) {
    const object = images.get(`${w.kind}/${w.name}`);
    if (object) w.images = imagesOf(object);
  }
  const changedFiles = (diff.match(/^\+\+\+ /gm) ?? []).length;
  return makeResult(
    ctx,
    {
      result: 'succeeded',
      message: `dry run: the API server accepted all ${objects.length} objects${note}; ${diff.trim() ? `${changedFiles || 'some'} would change` : 'nothing would change'}`,
      workloads,
      diff,
    },
    started,
  );
}

export interface WaitPhaseResult {
  outcomes: WorkloadOutcome[];
  failed: boolean;
}

/** Applies the objects, waits for the changed workloads, rolls back on failure. */
export async function rolling(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { log } = ctx.services;
  const objects = ctx.manifests.map((m) => m.object);
  const refs = workloadRefs(objects, ctx.namespace);
  const before = await recordBefore(ctx, refs);
  if (ctx.inputs.dryRun) return dryRun(ctx, objects, before, started);

  phase(ctx, 'apply', `${objects.length} objects`);
  // Watch first, then apply: nothing the change sets off is missed or seen late.
  const prepared = prepare(ctx, watchTargets(objects, ctx.namespace));
  let applied: KubeObject[];
  try {
    applied = await log.group(`Applying ${objects.length} object${objects.length === 1 ? '' : 's'} (${ctx.inputs.serverSide ? 'server-side, field manager shipline' : 'client-side'})`, () => applyObjects(ctx, objects));
  } catch (error) {
    prepared.stop();
    throw error;
  }
  const changed = changedWorkloads(applied, before, ctx.namespace);
  logApplied(log, applied, before, changed, ctx.namespace);
  const changedKeys = new Set(changed.map(refKey));
  const unchanged: WorkloadReport[] = refs
    .filter((r) => !changedKeys.has(refKey(r)))
    .map((ref) => {
      const was = before.get(refKey(ref));
      return { ...ref, images: was?.images ?? [], ...(was?.revision !== undefined ? { revision: was.revision, previousRevision: was.revision } : {}), state: 'unchanged', message: 'spec unchanged: no rollout' };
    });
  if (changed.length === 0) {
    prepared.stop();
    return makeResult(ctx, { result: 'succeeded', message: refs.length ? `applied; no workload changed (${refs.length} unchanged)` : `applied ${objects.length} objects (no Deployment, StatefulSet or DaemonSet)`, workloads: unchanged }, started);
  }

  phase(ctx, 'wait', changed.map(describeRef).join(', '));
  const outcomes = await log.group(`Waiting for ${changed.length} rollout${changed.length === 1 ? '' : 's'} (timeout ${Math.round(ctx.inputs.timeoutMs / 1000)} s)`, () => prepared.wait(changed, generationsOf(applied, ctx.namespace)));
  const reports = outcomes.map((o) => reportOf(o, before.get(refKey(o.ref))));
  const failed = outcomes.filter((o) => o.state === 'failed' || o.state === 'timed-out');
  if (failed.length === 0) {
    return makeResult(ctx, { result: 'succeeded', message: `${changed.length} workload${changed.length === 1 ? '' : 's'} rolled out`, workloads: [...reports, ...unchanged] }, started);
  }
  const diagnostics = diagnosticsOf(outcomes);
  const first = failed[0] as WorkloadOutcome;
  const why = `${describeRef(first.ref)}: ${first.failure ? `${first.failure.reason} (pod ${first.failure.pod})` : first.message}`;
  if (!ctx.inputs.rollbackOnFailure) {
    return makeResult(ctx, { result: 'failed', message: `rollout failed — ${why}; rollback-on-failure is false: left as it is`, workloads: [...reports, ...unchanged], diagnostics }, started);
  }
  const rollback = await rollBack(ctx, changed, before);
  for (const report of reports) {
    const restored = rollback.outcomes.find((o) => o.ref.name === report.name && o.ref.kind === report.kind && o.ref.namespace === report.namespace);
    if (restored?.state === 'succeeded') {
      report.state = 'rolled-back';
      report.message = `${report.message} → rolled back to revision ${report.previousRevision ?? '?'}`;
    } else if (restored) {
      report.state = 'rollback-failed';
      report.message = `${report.message} → rollback: ${restored.message}`;
    }
  }
  diagnostics.push(...diagnosticsOf(rollback.outcomes).map((d) => ({ ...d, reason: `rollback: ${d.reason}` })));
  const ok = rollback.complete && rollback.notRestorable.length === 0;
  const message = ok
    ? `rollout failed — ${why}; rolled back every changed workload to its previous revision`
    : `rollout failed — ${why}; ${rollback.errors[0] ?? (rollback.notRestorable.length ? `${rollback.notRestorable.map(describeRef).join(', ')} had no previous revision to restore` : 'the rollback did not complete')}`;
  return makeResult(ctx, { result: ok ? 'rolled-back' : 'failed', rolledBack: rollback.outcomes.some((o) => o.state === 'succeeded'), message, workloads: [...reports, ...unchanged], diagnostics }, started);
}

/**
 * `action: rollback`: every workload in the manifests back to `to-revision`, or to the revision
 * before its current one, then waits until that has rolled out.
 */
export async function rollbackAction(ctx: RolloutContext, started: number, refs: readonly WorkloadRef[] = workloadRefs(ctx.manifests.map((m) => m.object), ctx.namespace)): Promise<RolloutResult> {
  if (refs.length === 0) throw new ActionFailedError('the manifests hold no Deployment, StatefulSet or DaemonSet to roll back');
  const targets = new Map<string, Before>();
  const current = new Map<string, number>();
  for (const ref of refs) {
    const live = await ctx.client.get<Workload>(ref);
    if (!live) throw new ActionFailedError(`${describeRef(ref)} does not exist: nothing to roll back`);
    const now = (await currentRevision(ctx.client, live)).revision;
    const history = await revisionHistory(ctx.client, live);
    let target: number | undefined;
    if (ctx.inputs.toRevision !== undefined) {
      if (!history.includes(ctx.inputs.toRevision)) {
        throw new ActionFailedError(`${describeRef(ref)} has no revision ${ctx.inputs.toRevision} (it has ${history.join(', ') || 'none'})`);
      }
      target = ctx.inputs.toRevision;
    } else {
      target = history.filter((r) => now === undefined || r < now).at(-1);
      if (target === undefined) throw new ActionFailedError(`${describeRef(ref)} has no revision before ${now ?? 'its current one'} to roll back to`);
    }
    targets.set(refKey(ref), { ref, exists: true, revision: target, images: [] });
    if (now !== undefined) current.set(refKey(ref), now);
  }
  if (ctx.inputs.dryRun) {
    const workloads = refs.map((ref) => ({ ...ref, images: [], revision: (targets.get(refKey(ref)) as Before).revision as number, ...(current.has(refKey(ref)) ? { previousRevision: current.get(refKey(ref)) as number } : {}), state: 'dry-run', message: 'would be rolled back; not changed' }));
    return makeResult(ctx, { result: 'succeeded', message: `dry run: would roll back ${refs.map((r) => `${describeRef(r)} to revision ${(targets.get(refKey(r)) as Before).revision}`).join(', ')}`, workloads }, started);
  }
  const rollback = await rollBack(ctx, refs, targets);
  const workloads: WorkloadReport[] = rollback.outcomes.map((o) => ({
    ...reportOf(o),
    revision: (targets.get(refKey(o.ref)) as Before).revision as number,
    ...(current.has(refKey(o.ref)) ? { previousRevision: current.get(refKey(o.ref)) as number } : {}),
    state: o.state === 'succeeded' ? 'rolled-back' : o.state,
    message: o.state === 'succeeded' ? `restored revision ${(targets.get(refKey(o.ref)) as Before).revision}${o.revision !== undefined && o.revision !== (targets.get(refKey(o.ref)) as Before).revision ? ` (now numbered ${o.revision})` : ''}` : o.message,
  }));
  const ok = rollback.complete;
  return makeResult(
    ctx,
    {
      result: ok ? 'rolled-back' : 'failed',
      rolledBack: ok,
      message: ok ? `rolled back ${workloads.map((w) => `${w.kind} ${w.namespace}/${w.name} to revision ${w.revision}`).join(', ')}` : `the rollback did not complete: ${rollback.errors[0] ?? rollback.outcomes.find((o) => o.state !== 'succeeded')?.message ?? 'unknown'}`,
      workloads,
      diagnostics: diagnosticsOf(rollback.outcomes),
    },
    started,
  );
}
