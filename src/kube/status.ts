/**
 * The success rule: exactly `kubectl rollout status` (kubectl/pkg/polymorphichelpers/rollout_status.go,
 * the Deployment, DaemonSet and StatefulSet status viewers), re-expressed over the JSON objects.
 * Same order of checks, same messages, same errors — so "succeeded" here means what an SRE's
 * `kubectl rollout status` would have said, only decided from a watch instead of a poll.
 */
import type { DaemonSet, Deployment, StatefulSet, Workload } from './types.js';

export interface RolloutStatus {
  /** kubectl's "done" bool. */
  done: boolean;
  /** kubectl's message (without the trailing newline). */
  message: string;
  /** kubectl's error: the rollout cannot succeed as it stands (progress deadline, wrong strategy). */
  error?: string;
}

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** deploymentutil.TimedOutReason */
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

const n = (value: number | undefined): number => value ?? 0;

export function deploymentStatus(deployment: Deployment, revision = 0): RolloutStatus {
  const name = deployment.metadata.name ?? '';
  const status = deployment.status ?? {};
  if (revision > 0) {
    const running = Number(deployment.metadata.annotations?.[REVISION_ANNOTATION] ?? NaN);
    if (!Number.isInteger(running)) return { done: false, message: '', error: `cannot get the revision of deployment "${name}"` };
    if (running !== revision) return { done: false, message: '', error: `desired revision (${revision}) is different from the running revision (${running})` };
  }
  if (n(deployment.metadata.generation) <= n(status.observedGeneration)) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === TIMED_OUT_REASON) return { done: false, message: '', error: `deployment "${name}" exceeded its progress deadline` };
    const replicas = deployment.spec.replicas;
    if (replicas !== undefined && n(status.updatedReplicas) < replicas) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${n(status.updatedReplicas)} out of ${replicas} new replicas have been updated...` };
    }
    if (n(status.replicas) > n(status.updatedReplicas)) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${n(status.replicas) - n(status.updatedReplicas)} old replicas are pending termination...` };
    }
    if (n(status.availableReplicas) < n(status.updatedReplicas)) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${n(status.availableReplicas)} of ${n(status.updatedReplicas)} updated replicas are available...` };
    }
    return { done: true, message: `deployment "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for deployment spec update to be observed...' };
}

export function daemonSetStatus(daemon: DaemonSet): RolloutStatus {
  const name = daemon.metadata.name ?? '';
  const status = daemon.status ?? {};
  if (daemon.spec.updateStrategy?.type !== 'RollingUpdate') {
    return { done: true, message: '', error: 'rollout status is only available for RollingUpdate strategy type' };
  }
  if (n(daemon.metadata.generation) <= n(status.observedGeneration)) {
    if (n(status.updatedNumberScheduled) < n(status.desiredNumberScheduled)) {
      return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${n(status.updatedNumberScheduled)} out of ${n(status.desiredNumberScheduled)} new pods have been updated...` };
    }
    if (n(status.numberAvailable) < n(status.desiredNumberScheduled)) {
      return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${n(status.numberAvailable)} of ${n(status.desiredNumberScheduled)} updated pods are available...` };
    }
    return { done: true, message: `daemon set "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
}

export function statefulSetStatus(sts: StatefulSet): RolloutStatus {
  const status = sts.status ?? {};
  const strategy = sts.spec.updateStrategy;
  if (strategy?.type !== 'RollingUpdate') {
    return { done: true, message: '', error: 'rollout status is only available for RollingUpdate strategy type' };
  }
  if (n(status.observedGeneration) === 0 || n(sts.metadata.generation) > n(status.observedGeneration)) {
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = sts.spec.replicas;
  if (replicas !== undefined && n(status.readyReplicas) < replicas) {
    return { done: false, message: `Waiting for ${replicas - n(status.readyReplicas)} pods to be ready...` };
  }
  if (strategy.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (replicas !== undefined && partition !== undefined && n(status.updatedReplicas) < replicas - partition) {
      return { done: false, message: `Waiting for partitioned roll out to finish: ${n(status.updatedReplicas)} out of ${replicas - partition} new pods have been updated...` };
    }
    return { done: true, message: `partitioned roll out complete: ${n(status.updatedReplicas)} new pods have been updated...` };
  }
  if (status.updateRevision !== status.currentRevision) {
    return { done: false, message: `waiting for statefulset rolling update to complete ${n(status.updatedReplicas)} pods at revision ${status.updateRevision ?? ''}...` };
  }
  return { done: true, message: `statefulset rolling update complete ${n(status.currentReplicas)} pods at revision ${status.currentRevision ?? ''}...` };
}

/** `kubectl rollout status` for any of the three workload kinds. */
export function rolloutStatus(workload: Workload, revision = 0): RolloutStatus {
  switch (workload.kind) {
    case 'Deployment':
      return deploymentStatus(workload, revision);
    case 'DaemonSet':
      return daemonSetStatus(workload);
    case 'StatefulSet':
      return statefulSetStatus(workload);
  }
}
