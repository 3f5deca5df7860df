/**
 * Revisions, as the controllers record them:
 * - Deployment: the `deployment.kubernetes.io/revision` annotation; its ReplicaSet of that revision
 *   labels its pods `pod-template-hash=<hash>`.
 * - StatefulSet: `status.updateRevision` names a ControllerRevision (whose `.revision` is the number);
 *   its pods carry `controller-revision-hash=<that name>`.
 * - DaemonSet: the highest-numbered ControllerRevision it owns; its pods carry
 *   `controller-revision-hash=<the revision's hash label>`.
 * "New pods" are the pods carrying the new revision's hash: the only ones fail-fast judges.
 */
import type { KubeClient } from './kubectl.js';
import { REVISION_ANNOTATION } from './status.js';
import type { ControllerRevision, KubeObject, Pod, ReplicaSet, Workload } from './types.js';
import { selectorString } from './types.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export interface RevisionInfo {
  /** The revision number (undefined when it cannot be known yet). */
  revision?: number;
  /** The label value new pods carry (undefined until the controller has made the revision). */
  hash?: string;
  /** The label that carries it. */
  hashLabel: string;
}

function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller !== false);
}

export function deploymentRevision(deployment: KubeObject): number | undefined {
  const value = Number(deployment.metadata.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** True once the controller has seen the current spec (status describes it). */
export function observed(workload: Workload): boolean {
  const generation = workload.metadata.generation ?? 0;
  const observedGeneration = workload.status?.observedGeneration ?? 0;
  return observedGeneration > 0 && observedGeneration >= generation;
}

/** The ControllerRevisions a StatefulSet/DaemonSet owns, lowest revision first. */
export async function controllerRevisions(client: KubeClient, workload: Workload): Promise<ControllerRevision[]> {
  const namespace = workload.metadata.namespace ?? 'default';
  const all = await client.list<ControllerRevision>('controllerrevisions', namespace, selectorString(workload.spec.selector));
  return all.filter((r) => ownedBy(r, workload)).sort((a, b) => a.revision - b.revision);
}

/** ReplicaSets a Deployment owns, lowest revision first. */
export async function replicaSets(client: KubeClient, deployment: Workload): Promise<ReplicaSet[]> {
  const namespace = deployment.metadata.namespace ?? 'default';
  const all = await client.list<ReplicaSet>('replicasets', namespace, selectorString(deployment.spec.selector));
  return all.filter((rs) => ownedBy(rs, deployment)).sort((a, b) => (deploymentRevision(a) ?? 0) - (deploymentRevision(b) ?? 0));
}

/**
 * The revision a workload is rolling out to and the hash its pods carry. Call once `observed()`:
 * before that, status and annotations still describe the previous spec.
 */
export async function currentRevision(client: KubeClient, workload: Workload): Promise<RevisionInfo> {
  switch (workload.kind) {
    case 'Deployment': {
      const revision = deploymentRevision(workload);
      if (revision === undefined) return { hashLabel: POD_TEMPLATE_HASH };
      const rs = (await replicaSets(client, workload)).find((r) => deploymentRevision(r) === revision);
      return { revision, hashLabel: POD_TEMPLATE_HASH, ...(rs?.metadata.labels?.[POD_TEMPLATE_HASH] ? { hash: rs.metadata.labels[POD_TEMPLATE_HASH] } : {}) };
    }
    case 'StatefulSet': {
      const name = workload.status?.updateRevision;
      if (!name) return { hashLabel: CONTROLLER_REVISION_HASH };
      const revision = (await controllerRevisions(client, workload)).find((r) => r.metadata.name === name)?.revision;
      return { hash: name, hashLabel: CONTROLLER_REVISION_HASH, ...(revision !== undefined ? { revision } : {}) };
    }
    case 'DaemonSet': {
      const latest = (await controllerRevisions(client, workload)).at(-1);
      if (!latest) return { hashLabel: CONTROLLER_REVISION_HASH };
      const hash = latest.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? latest.metadata.name?.slice((workload.metadata.name ?? '').length + 1);
      return { revision: latest.revision, hashLabel: CONTROLLER_REVISION_HASH, ...(hash ? { hash } : {}) };
    }
  }
}

/** Revisions a workload can be rolled back to, oldest first (for `action: rollback`). */
export async function revisionHistory(client: KubeClient, workload: Workload): Promise<number[]> {
  if (workload.kind === 'Deployment') {
    return (await replicaSets(client, workload)).map((rs) => deploymentRevision(rs)).filter((r): r is number => r !== undefined);
  }
  return (await controllerRevisions(client, workload)).map((r) => r.revision);
}

/** True when the pod belongs to the revision identified by `info`. */
export function isNewPod(pod: Pod, info: RevisionInfo | undefined): boolean {
  return !!info?.hash && pod.metadata.labels?.[info.hashLabel] === info.hash;
}
