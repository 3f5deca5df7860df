/**
 * Recorded `kubectl get -o json` objects (test/fixtures/kube/recorded, from the test control plane,
 * see record.sh) → the `kubectl rollout status` decision. Variants are derived from the recordings
 * by changing only the field the rule reads, so every branch of rollout_status.go is covered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rolloutStatus } from '../../../src/kube/status.js';
import type { DaemonSet, Deployment, StatefulSet, Workload } from '../../../src/kube/types.js';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'kube', 'recorded');
export function recorded<T>(file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}
function variant<T extends Workload>(file: string, change: (w: T) => void): T {
  const w = recorded<T>(file);
  change(w);
  return w;
}

describe('rolloutStatus = kubectl rollout status, on recorded objects', () => {
  it.each<[string, () => Workload, { done: boolean; message?: string; error?: string }]>([
    ['Deployment complete', () => recorded('deployment-complete.json'), { done: true, message: 'deployment "web" successfully rolled out' }],
    [
      'Deployment with a broken new pod: 1 of 2 new replicas updated',
      () => recorded('deployment-broken-progressing.json'),
      { done: false, message: 'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated...' },
    ],
    ['Deployment whose progress deadline passed', () => recorded('deployment-deadline-exceeded.json'), { done: false, error: 'deployment "late" exceeded its progress deadline' }],
    [
      'Deployment with a slow pod: 0 of 1 updated replicas available',
      () => recorded('deployment-slow-progressing.json'),
      { done: false, message: 'Waiting for deployment "slowpoke" rollout to finish: 0 of 1 updated replicas are available...' },
    ],
    [
      'Deployment spec not observed yet (generation ahead of observedGeneration)',
      () => variant<Deployment>('deployment-complete.json', (d) => (d.metadata.generation = 2)),
      { done: false, message: 'Waiting for deployment spec update to be observed...' },
    ],
    [
      'Deployment with old replicas pending termination',
      () => variant<Deployment>('deployment-complete.json', (d) => ((d.status ?? {}).replicas = 3)),
      { done: false, message: 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...' },
    ],
    [
      'Deployment deadline exceeded but not observed: kubectl waits for the new spec first',
      () => variant<Deployment>('deployment-deadline-exceeded.json', (d) => (d.metadata.generation = 5)),
      { done: false, message: 'Waiting for deployment spec update to be observed...' },
    ],
    ['StatefulSet complete', () => recorded('statefulset-complete.json'), { done: true, message: 'partitioned roll out complete: 2 new pods have been updated...' }],
    ['StatefulSet mid-rollout (one pod not ready)', () => recorded('statefulset-progressing.json'), { done: false, message: 'Waiting for 1 pods to be ready...' }],
    [
      'StatefulSet with a partition: done once the pods above it are updated',
      () =>
        variant<StatefulSet>('statefulset-progressing.json', (s) => {
          s.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
          (s.status ?? {}).readyReplicas = 2;
        }),
      { done: true, message: 'partitioned roll out complete: 1 new pods have been updated...' },
    ],
    [
      'StatefulSet with a partition, not reached yet',
      () =>
        variant<StatefulSet>('statefulset-progressing.json', (s) => {
          s.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
          (s.status ?? {}).readyReplicas = 2;
        }),
      { done: false, message: 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...' },
    ],
    [
      'StatefulSet without rollingUpdate: compares revisions',
      () =>
        variant<StatefulSet>('statefulset-progressing.json', (s) => {
          s.spec.updateStrategy = { type: 'RollingUpdate' };
          (s.status ?? {}).readyReplicas = 2;
        }),
      { done: false, message: 'waiting for statefulset rolling update to complete 1 pods at revision db-57f8787458...' },
    ],
    [
      'StatefulSet never observed (observedGeneration 0)',
      () => variant<StatefulSet>('statefulset-complete.json', (s) => ((s.status ?? {}).observedGeneration = 0)),
      { done: false, message: 'Waiting for statefulset spec update to be observed...' },
    ],
    [
      'StatefulSet with OnDelete: kubectl gives up (done, with an error)',
      () => variant<StatefulSet>('statefulset-complete.json', (s) => (s.spec.updateStrategy = { type: 'OnDelete' })),
      { done: true, error: 'rollout status is only available for RollingUpdate strategy type' },
    ],
    ['DaemonSet complete', () => recorded('daemonset-complete.json'), { done: true, message: 'daemon set "agent" successfully rolled out' }],
    [
      'DaemonSet mid-rollout',
      () => recorded('daemonset-progressing.json'),
      { done: false, message: 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...' },
    ],
    [
      'DaemonSet updated but not all available',
      () => variant<DaemonSet>('daemonset-progressing.json', (d) => ((d.status ?? {}).updatedNumberScheduled = 3)),
      { done: false, message: 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...' },
    ],
    [
      'DaemonSet with OnDelete',
      () => variant<DaemonSet>('daemonset-complete.json', (d) => (d.spec.updateStrategy = { type: 'OnDelete' })),
      { done: true, error: 'rollout status is only available for RollingUpdate strategy type' },
    ],
  ])('%s', (_name, load, expected) => {
    const status = rolloutStatus(load());
    expect(status.done).toBe(expected.done);
    if (expected.message !== undefined) expect(status.message).toBe(expected.message);
    expect(status.error).toBe(expected.error);
  });

  it('pins a revision the way `--revision` does', () => {
    const d = recorded<Deployment>('deployment-broken-progressing.json');
    expect(rolloutStatus(d, 2).error).toBeUndefined();
    expect(rolloutStatus(d, 1).error).toBe('desired revision (1) is different from the running revision (2)');
  });
});
