/**
 * Building a RolloutResult: revisions of the primary workload (the first changed one, in manifest
 * order), reports per workload, and the exit decision.
 */
import type { RolloutContext } from './context.js';
import type { Diagnostic, ResultKind, RolloutResult, TrafficSwitch, WorkloadReport } from './options.js';

export interface ResultParts {
  result: ResultKind;
  message: string;
  workloads: WorkloadReport[];
  diagnostics?: Diagnostic[];
  traffic?: TrafficSwitch[];
  diff?: string;
  rolledBack?: boolean;
  /** The workload whose revisions become the `revision` / `previous-revision` outputs. */
  primary?: WorkloadReport;
}

export function makeResult(ctx: RolloutContext, parts: ResultParts, started: number): RolloutResult {
  const primary = parts.primary ?? parts.workloads.find((w) => w.state !== 'unchanged') ?? parts.workloads[0];
  return {
    result: parts.result,
    action: ctx.inputs.action,
    strategy: ctx.inputs.strategy,
    message: parts.message,
    ...(primary?.revision !== undefined ? { revision: primary.revision } : {}),
    ...(primary?.previousRevision !== undefined ? { previousRevision: primary.previousRevision } : {}),
    rolledBack: parts.rolledBack ?? parts.result === 'rolled-back',
    workloads: parts.workloads,
    diagnostics: parts.diagnostics ?? [],
    traffic: parts.traffic ?? [],
    ...(parts.diff !== undefined ? { diff: parts.diff } : {}),
    dryRun: ctx.inputs.dryRun,
    durationMs: Math.round(ctx.services.clock.now() - started),
  };
}

/**
 * Whether the step fails: a failed result always; a rolled-back one when the run was asked to
 * deploy or promote (the deployment did not happen), not when it was asked to roll back or abort.
 */
export function stepFails(result: RolloutResult): boolean {
  if (result.result === 'failed') return true;
  return result.result === 'rolled-back' && (result.action === 'deploy' || result.action === 'promote');
}
