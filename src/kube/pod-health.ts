/**
 * Fail-fast rules: the pod states a rollout never recovers from on its own, read from the pod's
 * structured status (never from event text or stderr). Only pods of the *new* revision are judged;
 * an old pod crash-looping is not this deployment's fault.
 */
import type { ContainerStatus, Pod } from './types.js';

/** Container waiting reasons that mean "this revision will not start". */
export const FATAL_WAITING_REASONS: ReadonlySet<string> = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

export const OOM_KILLED = 'OOMKilled';
export const UNSCHEDULABLE = 'Unschedulable';

/**
 * How long a pod may stay unschedulable before the rollout fails: long enough for the scheduler's
 * retry after old pods free their resources in a rolling update, and for a cluster-autoscaler to
 * mark the pod (event TriggeredScaleUp), which then exempts it.
 */
export const UNSCHEDULABLE_GRACE_MS = 10_000;

export interface PodFailure {
  pod: string;
  namespace: string;
  /** Empty for pod-level failures (unschedulable). */
  container: string;
  reason: string;
  message: string;
  restartCount?: number;
}

function containerFailure(pod: Pod, status: ContainerStatus, init: boolean): PodFailure | undefined {
  const base = { pod: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', container: `${init ? 'init:' : ''}${status.name}`, restartCount: status.restartCount ?? 0 };
  const waiting = status.state?.waiting;
  if (waiting?.reason && FATAL_WAITING_REASONS.has(waiting.reason)) {
    const lastExit = status.lastState?.terminated;
    const detail = waiting.reason === 'CrashLoopBackOff' && lastExit ? ` (last exit: ${lastExit.reason ?? 'Error'}, code ${lastExit.exitCode ?? '?'})` : '';
    return { ...base, reason: waiting.reason, message: `${waiting.message ?? ''}${detail}`.trim() };
  }
  for (const terminated of [status.state?.terminated, status.lastState?.terminated]) {
    if (terminated?.reason === OOM_KILLED) return { ...base, reason: OOM_KILLED, message: `container was killed for exceeding its memory limit (exit code ${terminated.exitCode ?? 137})` };
  }
  return undefined;
}

export interface PodVerdictOptions {
  now: number;
  /** When this pod was first seen unschedulable (by the watcher), if it was. */
  unschedulableSince?: number;
  /** Pods a cluster-autoscaler is adding a node for (event TriggeredScaleUp). */
  scalingUp?: boolean;
  unschedulableGraceMs?: number;
}

/** True while the pod's PodScheduled condition says Unschedulable. */
export function isUnschedulable(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === UNSCHEDULABLE);
}

/** The reason this pod will not become ready, or undefined while it may still. */
export function podFailure(pod: Pod, options: PodVerdictOptions): PodFailure | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  for (const status of pod.status?.initContainerStatuses ?? []) {
    const failure = containerFailure(pod, status, true);
    if (failure) return failure;
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const failure = containerFailure(pod, status, false);
    if (failure) return failure;
  }
  if (isUnschedulable(pod) && !options.scalingUp) {
    const since = options.unschedulableSince ?? options.now;
    if (options.now - since >= (options.unschedulableGraceMs ?? UNSCHEDULABLE_GRACE_MS)) {
      const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return { pod: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', container: '', reason: UNSCHEDULABLE, message: condition?.message ?? 'no node can run this pod' };
    }
  }
  return undefined;
}

/** One line per pod for progress logs: `api-7c9d-x2k (Running, 1/2 ready, restarts 3)`. */
export function describePod(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...statuses].map((s) => s.state?.waiting?.reason).find((r) => r);
  const phase = waiting ?? (isUnschedulable(pod) ? UNSCHEDULABLE : pod.status?.phase ?? 'Pending');
  return `${pod.metadata.name ?? '?'} (${phase}, ${ready}/${statuses.length || pod.spec?.containers?.length || 0} ready${restarts ? `, restarts ${restarts}` : ''})`;
}
