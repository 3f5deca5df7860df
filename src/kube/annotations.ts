/**
 * What shipline writes on every workload it deploys, so `kubectl rollout history` and
 * `kubectl describe` say who deployed what from where:
 *   kubernetes.io/change-cause   "shipline: acme/api@0123456 run https://github.com/…/runs/42/attempts/1"
 *                                (copied by the Deployment controller onto the revision's ReplicaSet)
 *   shipline.dev/commit          the full commit SHA
 *   shipline.dev/run-url         the workflow run (attempt) that deployed it
 *   shipline.dev/images          JSON list of the pod template's images (with digests when pinned)
 *   shipline.dev/image-digest    the digest of the first digest-pinned image, when there is one
 * They go on the workload's own metadata, not on the pod template: an annotation that changes on
 * every run must not restart pods when nothing else changed.
 */
import { imagesOf } from './images.js';
import { digestOf } from './reference.js';
import type { KubeObject } from './types.js';

export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const ANNOTATION_PREFIX = 'shipline.dev/';

export interface DeployOrigin {
  commit?: string;
  repository?: string;
  runUrl?: string;
  actor?: string;
}

export function originFromEnv(env: Readonly<Record<string, string | undefined>>): DeployOrigin {
  const server = env['GITHUB_SERVER_URL'] || 'https://github.com';
  const repository = env['GITHUB_REPOSITORY'];
  const runId = env['GITHUB_RUN_ID'];
  const attempt = env['GITHUB_RUN_ATTEMPT'];
  return {
    ...(env['GITHUB_SHA'] ? { commit: env['GITHUB_SHA'] } : {}),
    ...(repository ? { repository } : {}),
    ...(repository && runId ? { runUrl: `${server}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ''}` } : {}),
    ...(env['GITHUB_ACTOR'] ? { actor: env['GITHUB_ACTOR'] } : {}),
  };
}

export function changeCause(origin: DeployOrigin, images: readonly string[]): string {
  const what = origin.repository ? `${origin.repository}${origin.commit ? `@${origin.commit.slice(0, 7)}` : ''}` : origin.commit ? `commit ${origin.commit.slice(0, 7)}` : 'manual deploy';
  const parts = [`shipline: ${what}`];
  if (origin.actor) parts.push(`by ${origin.actor}`);
  if (origin.runUrl) parts.push(`run ${origin.runUrl}`);
  if (images.length) parts.push(`images ${images.join(', ')}`);
  return parts.join(' ').slice(0, 1024);
}

/** Adds the change-cause and shipline annotations to a workload (in place). */
export function annotateWorkload(object: KubeObject, origin: DeployOrigin): void {
  const images = imagesOf(object);
  const annotations = { ...(object.metadata.annotations ?? {}) };
  annotations[CHANGE_CAUSE] = changeCause(origin, images);
  if (origin.commit) annotations[`${ANNOTATION_PREFIX}commit`] = origin.commit;
  if (origin.runUrl) annotations[`${ANNOTATION_PREFIX}run-url`] = origin.runUrl;
  annotations[`${ANNOTATION_PREFIX}images`] = JSON.stringify(images);
  const digest = images.map(digestOf).find((d) => d);
  if (digest) annotations[`${ANNOTATION_PREFIX}image-digest`] = digest;
  else delete annotations[`${ANNOTATION_PREFIX}image-digest`];
  object.metadata.annotations = annotations;
}
