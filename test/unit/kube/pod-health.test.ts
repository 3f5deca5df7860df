/**
 * Recorded pods → fail-fast decisions. OOMKilled and CreateContainerConfigError cannot be produced by
 * the fake kubelet (kwok), so those two are derived from a recorded pod by setting only the container
 * state a kubelet reports for them.
 */
import { describe, expect, it } from 'vitest';
import { describePod, podFailure } from '../../../src/kube/pod-health.js';
import { isNewPod } from '../../../src/kube/revision.js';
import type { Pod } from '../../../src/kube/types.js';
import { recorded } from './status.test.js';

const pods = (file: string): Pod[] => recorded<{ items: Pod[] }>(file).items;
const byHash = (file: string, label: string, hash: string): Pod => pods(file).find((p) => p.metadata.labels?.[label] === hash) as Pod;
const now = Date.parse('2026-11-22T04:40:00Z');

describe('podFailure on recorded pods', () => {
  it('ImagePullBackOff / ErrImagePull of the new ReplicaSet is a failure, with the kubelet message', () => {
    const broken = pods('pods-web-broken.json').find((p) => p.status?.containerStatuses?.some((s) => s.state?.waiting))!;
    const failure = podFailure(broken, { now });
    expect(failure?.reason).toMatch(/^(ImagePullBackOff|ErrImagePull)$/);
    expect(failure?.container).toBe('app');
    expect(failure?.message).toContain('registry:5000/web:broken-v2');
    expect(failure?.pod).toBe(broken.metadata.name);
  });

  it('old pods of the same Deployment are healthy and are not new pods', () => {
    const all = pods('pods-web-broken.json');
    const rsList = recorded<{ items: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } }[] }>('replicasets-web.json').items;
    const newHash = rsList.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '2')!.metadata.labels['pod-template-hash'];
    const info = { hash: newHash, hashLabel: 'pod-template-hash', revision: 2 };
    const fresh = all.filter((p) => isNewPod(p, info));
    const old = all.filter((p) => !isNewPod(p, info));
    expect(fresh).toHaveLength(1);
    expect(old.length).toBeGreaterThan(0);
    for (const p of old) expect(podFailure(p, { now })).toBeUndefined();
    expect(podFailure(fresh[0]!, { now })).toBeDefined();
  });

  it('CrashLoopBackOff says how the container last exited', () => {
    const crash = pods('pods-crash.json').find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')!;
    expect(podFailure(crash, { now })).toMatchObject({ reason: 'CrashLoopBackOff', message: expect.stringMatching(/back-off .* \(last exit: Error, code 1\)$/) });
  });

  it('a DaemonSet pod crash-looping at the new controller-revision-hash fails; the old revision pods do not', () => {
    const revisions = recorded<{ items: { revision: number; metadata: { labels: Record<string, string> } }[] }>('controllerrevisions-agent-2.json').items;
    const latest = revisions.sort((a, b) => b.revision - a.revision)[0]!;
    const info = { hash: latest.metadata.labels['controller-revision-hash'], hashLabel: 'controller-revision-hash' };
    const judged = pods('pods-agent.json').map((p) => [isNewPod(p, info), podFailure(p, { now })?.reason] as const);
    expect(judged).toContainEqual([true, 'CrashLoopBackOff']);
    for (const [fresh, reason] of judged) if (!fresh) expect(reason).toBeUndefined();
  });

  it('a slow pod (Running, not Ready) is not a failure', () => {
    expect(podFailure(pods('pods-slow.json')[0]!, { now })).toBeUndefined();
  });

  it('the StatefulSet pod at the update revision (slow: running, not ready) is not a failure', () => {
    const sts = recorded<{ status: { updateRevision: string } }>('statefulset-progressing.json');
    const fresh = byHash('pods-db.json', 'controller-revision-hash', sts.status.updateRevision);
    expect(isNewPod(fresh, { hash: sts.status.updateRevision, hashLabel: 'controller-revision-hash' })).toBe(true);
    expect(fresh.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(podFailure(fresh, { now })).toBeUndefined();
  });

  it.each([
    ['OOMKilled (last state)', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { restartCount: 2, state: { running: {} }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }), 'OOMKilled'],
    ['OOMKilled (current state)', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }), 'OOMKilled'],
    ['CreateContainerConfigError', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "db-password" not found' } } }), 'CreateContainerConfigError'],
    ['InvalidImageName', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { state: { waiting: { reason: 'InvalidImageName' } } }), 'InvalidImageName'],
    ['an init container in ImagePullBackOff', (p: Pod) => (p.status!.initContainerStatuses = [{ name: 'migrate', state: { waiting: { reason: 'ImagePullBackOff' } } }]), 'ImagePullBackOff'],
    ['ContainerCreating (transient)', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { state: { waiting: { reason: 'ContainerCreating' } } }), undefined],
    ['a terminated Error without OOM (the kubelet restarts it)', (p: Pod) => Object.assign(p.status!.containerStatuses![0]!, { state: { terminated: { reason: 'Error', exitCode: 1 } } }), undefined],
    ['a pod being deleted', (p: Pod) => Object.assign(p.metadata, { deletionTimestamp: '2026-11-22T04:39:00Z' }) && Object.assign(p.status!.containerStatuses![0]!, { state: { waiting: { reason: 'CrashLoopBackOff' } } }), undefined],
  ])('%s', (_name, mutate, reason) => {
    const pod = structuredClone(pods('pods-slow.json')[0]!);
    mutate(pod);
    expect(podFailure(pod, { now })?.reason).toBe(reason);
  });

  it('unschedulable fails only after the grace period, and never while a cluster-autoscaler scales up', () => {
    const pod = pods('pods-unschedulable.json')[0]!;
    expect(podFailure(pod, { now, unschedulableSince: now - 2_000 })).toBeUndefined();
    const failure = podFailure(pod, { now, unschedulableSince: now - 10_000 });
    expect(failure).toMatchObject({ reason: 'Unschedulable', container: '' });
    expect(failure?.message).toContain("didn't match Pod's node affinity/selector");
    expect(podFailure(pod, { now, unschedulableSince: now - 60_000, scalingUp: true })).toBeUndefined();
    expect(podFailure(pod, { now, unschedulableSince: now - 1000, unschedulableGraceMs: 0 })?.reason).toBe('Unschedulable');
  });

  it('describes pods for progress lines', () => {
    expect(describePod(pods('pods-slow.json')[0]!)).toMatch(/^slowpoke-\w+-\w+ \(Running, 0\/1 ready\)$/);
    expect(describePod(pods('pods-unschedulable.json')[0]!)).toMatch(/\(Unschedulable, 0\/1 ready\)$/);
  });
});
