/**
 * The rolling strategy against the real control plane (kube-apiserver, controller-manager,
 * scheduler; kwok nodes whose kubelet fails images named *broken* / *crashloop*, delays *slow*).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { announceKubeSkip, createNamespace, deploymentYaml, kubeAvailable, watchPodReasons, type TestNamespace } from '../../helpers/kube.js';
import { deploymentView, inputs, leftovers, rollout, workspace } from './harness.js';

beforeAll(() => announceKubeSkip());
let ns: TestNamespace | undefined;
afterEach(() => ns?.delete());

describe.skipIf(!kubeAvailable)('rollout, rolling (real control plane)', () => {
  it('deploys, then rolls out a new image set through `images`, waiting for the rollout (succeeded)', async () => {
    ns = createNamespace('roll-ok');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1') });
    const first = await rollout(ws, inputs(ns.name));
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ result: 'succeeded', revision: 1 });
    expect(first.result?.workloads[0]).toMatchObject({ kind: 'Deployment', name: 'api', namespace: ns.name, state: 'succeeded', revision: 1 });

    const second = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/api:v2'] }), { asAction: true });
    expect(second.error).toBeUndefined();
    expect(second.result).toMatchObject({ result: 'succeeded', revision: 2, previousRevision: 1, rolledBack: false });
    expect(second.runner.outputs.get('result')).toBe('succeeded');
    expect(second.runner.outputs.get('revision')).toBe('2');
    expect(second.runner.outputs.get('previous-revision')).toBe('1');
    expect(second.runner.outputs.get('rolled-back')).toBe('false');
    expect(JSON.parse(second.runner.outputs.get('workloads') ?? '[]')).toEqual([
      { kind: 'Deployment', name: 'api', namespace: ns.name, images: ['registry:5000/acme/api:v2'], revision: 2, previousRevision: 1, state: 'succeeded' },
    ]);
    const view = deploymentView(ns.k, 'api');
    expect(view).toMatchObject({ revision: 2, images: ['registry:5000/acme/api:v2'], ready: 2, updated: 2});
    // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
    await expect.poll(() => deploymentView(ns!.k, 'api').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/api:v2']);
    expect(view.annotations['kubernetes.io/change-cause']).toBe(
      'shipline: acme/api@0123456 by octocat run https://github.com/acme/api/actions/runs/4242/attempts/1 images registry:5000/acme/api:v2',
    );
    expect(view.annotations['shipline.dev/commit']).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(JSON.parse(view.annotations['shipline.dev/images'] ?? '[]')).toEqual(['registry:5000/acme/api:v2']);
    // kubectl rollout history shows the change-cause, copied to the revision's ReplicaSet.
    expect(ns.k(['rollout', 'history', 'deployment/api'])).toMatch(/2\s+shipline: acme\/api@0123456/);
    // Server-side apply with field manager shipline.
    expect(ns.k(['get', 'deployment', 'api', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}'])).toContain('shipline');
    expect(second.log).toMatch(/Deployment [\w-]+\/api: deployment "api" successfully rolled out/);
    expect(second.runner.summary).toContain('Rollout succeeded');
    expect(leftovers(second)).toEqual([]);
  });

  it('reports an unchanged workload without waiting, and nothing to roll back', async () => {
    ns = createNamespace('roll-same');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const again = await rollout(ws, inputs(ns.name));
    expect(again.result).toMatchObject({ result: 'succeeded', revision: 1, previousRevision: 1 });
    expect(again.result?.workloads[0]?.state).toBe('unchanged');
  });

  it('fails fast on a broken image (≤ 15 s after the pod shows it), rolls back by itself, and the previous image runs again', async () => {
    ns = createNamespace('roll-broken');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1') });
    expect((await rollout(ws, inputs(ns.name))).result?.result).toBe('succeeded');
    const pods = watchPodReasons(ns.name);
    try {
      const run = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/api:broken-v2'] }), { asAction: true });
      expect(run.result).toMatchObject({ result: 'rolled-back', rolledBack: true, revision: 2, previousRevision: 1 });
      expect((run.error as Error).message).toMatch(/^rollout rolled-back: rollout failed — Deployment [\w-]+\/api: (ErrImagePull|ImagePullBackOff) \(pod api-\w+-\w+\); rolled back every changed workload to its previous revision$/);
      // The pod really showed it (seen by an independent watch of the test's own).
      expect(Math.min(pods.firstSeen.get('ErrImagePull') ?? Infinity, pods.firstSeen.get('ImagePullBackOff') ?? Infinity)).toBeLessThan(Date.now());
      const failure = run.result?.diagnostics[0];
      expect(failure).toMatchObject({ reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/), container: 'api', pod: expect.stringMatching(/^api-/) });
      expect(failure?.message).toContain('registry:5000/acme/api:broken-v2');
      expect(failure?.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulling']));
      // The outputs and summary say so.
      expect(run.runner.outputs.get('result')).toBe('rolled-back');
      expect(run.runner.outputs.get('rolled-back')).toBe('true');
      expect(JSON.parse(run.runner.outputs.get('diagnostics') ?? '[]')[0].reason).toMatch(/ErrImagePull|ImagePullBackOff/);
      expect(run.runner.summary).toMatch(/(ErrImagePull|ImagePullBackOff): Deployment [\w-]+\/api — pod api-/);
      expect(run.runner.summary).toContain('| Time | Type | Reason | Count | Object | Message |');
      // The rollback itself rolled out: revision 1's template is back (as revision 3), every pod runs v1.
      const view = deploymentView(ns.k, 'api');
      expect(view).toMatchObject({ revision: 3, images: ['registry:5000/acme/api:v1'], ready: 2, updated: 2});
      // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
      await expect.poll(() => deploymentView(ns!.k, 'api').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/api:v1']);
      expect(run.log).toContain('rolled back to revision 1');
      expect(leftovers(run)).toEqual([]);
    } finally {
      pods.stop();
    }
  });

  it('detects the failure within 15 s of the waiting reason (latency measured against an independent watch)', async () => {
    ns = createNamespace('roll-latency');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const pods = watchPodReasons(ns.name);
    try {
      let failedAt = 0;
      const run = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/api:broken-v2'] }), { hooks: { onPhase: (phase) => phase === 'rollback' && (failedAt = Date.now()) } });
      expect(run.result?.result).toBe('rolled-back');
      const seen = Math.min(pods.firstSeen.get('ErrImagePull') ?? Infinity, pods.firstSeen.get('ImagePullBackOff') ?? Infinity);
      expect(Number.isFinite(seen)).toBe(true);
      expect(failedAt).toBeGreaterThan(0);
      const latency = failedAt - seen;
      console.log(`failure detected ${latency} ms after the pod showed it`);
      expect(latency).toBeLessThan(15_000);
    } finally {
      pods.stop();
    }
  });

  it('fails fast on CrashLoopBackOff and rolls back', async () => {
    ns = createNamespace('roll-crash');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('worker', 'registry:5000/acme/worker:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const run = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/worker:crashloop-v2'] }));
    expect(run.result).toMatchObject({ result: 'rolled-back', revision: 2, previousRevision: 1 });
    expect(run.result?.diagnostics[0]).toMatchObject({ reason: 'CrashLoopBackOff', container: 'worker' });
    expect(run.result?.diagnostics[0]?.message).toMatch(/last exit: Error, code 1/);
    expect(deploymentView(ns.k, 'worker')).toMatchObject({ images: ['registry:5000/acme/worker:v1'], ready: 1});
    // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
    await expect.poll(() => deploymentView(ns!.k, 'worker').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/worker:v1']);
  });

  it('times out a rollout that does not complete in `timeout`, then rolls back', async () => {
    ns = createNamespace('roll-timeout');
    const slowPods = { 'shipline.test/ready-after-seconds': '60' };
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const ws2 = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:slow-v2', { replicas: 1, podAnnotations: slowPods }) });
    const started = Date.now();
    const run = await rollout(ws2, inputs(ns.name, { timeoutMs: 4000 }));
    expect(run.result?.result).toBe('rolled-back');
    expect(run.result?.diagnostics[0]).toMatchObject({ reason: 'Timeout' });
    // kubectl's own words: the new pod is not ready, so the old one is kept (maxUnavailable rounds down to 0).
    expect(run.result?.diagnostics[0]?.message).toBe('timed out after 4.0 s: Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...');
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(deploymentView(ns.k, 'api').images).toEqual(['registry:5000/acme/api:v1']);
  });

  it('logs progress at least every 15 s during a long wait (a pod that takes 22 s to become ready)', async () => {
    ns = createNamespace('roll-progress');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:slow-v1', { replicas: 1, podAnnotations: { 'shipline.test/ready-after-seconds': '22' } }) });
    const stamps: { at: number; line: string }[] = [];
    const run = await rollout(ws, inputs(ns.name), { onLine: (line) => stamps.push({ at: Date.now(), line }) });
    expect(run.result?.result).toBe('succeeded');
    const waiting = stamps.slice(stamps.findIndex((s) => s.line.startsWith('::group::Waiting for')), stamps.findIndex((s) => s.line.startsWith('✓ Deployment')) + 1);
    expect(waiting.at(-1)?.at ?? 0).toBeGreaterThan((waiting[0]?.at ?? 0) + 20_000);
    const gaps = waiting.slice(1).map((s, i) => s.at - (waiting[i] as { at: number }).at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(15_000);
    expect(waiting.filter((s) => /^… rollout: Deployment [\w-]+\/api \(\d+(\.\d)? s\): .*; new pods: api-\w+-\w+ \(Running, 0\/1 ready\)$/.test(s.line)).length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('with rollback-on-failure false, fails and leaves the broken revision in place', async () => {
    ns = createNamespace('roll-norb');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const run = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/api:broken-v2'], rollbackOnFailure: false }), { asAction: true });
    expect(run.result).toMatchObject({ result: 'failed', rolledBack: false });
    expect(run.runner.outputs.get('result')).toBe('failed');
    expect(deploymentView(ns.k, 'api').images).toEqual(['registry:5000/acme/api:broken-v2']);
  });

  it('a brand-new workload that fails cannot be rolled back: result failed, with the reason', async () => {
    ns = createNamespace('roll-new');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:broken-v1', { replicas: 1 }) });
    const run = await rollout(ws, inputs(ns.name));
    expect(run.result?.result).toBe('failed');
    expect(run.result?.message).toContain('had no previous revision to restore');
  });

  it('action: rollback goes to the previous revision, or to to-revision', async () => {
    ns = createNamespace('roll-action');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    for (const tag of ['v1', 'v2', 'v3']) expect((await rollout(ws, inputs(ns.name, { images: [`registry:5000/acme/api:${tag}`] }))).result?.result).toBe('succeeded');
    const back = await rollout(ws, inputs(ns.name, { action: 'rollback' }), { asAction: true });
    expect(back.error).toBeUndefined();
    expect(back.result).toMatchObject({ result: 'rolled-back', revision: 2, previousRevision: 3 });
    expect(deploymentView(ns.k, 'api')).toMatchObject({ images: ['registry:5000/acme/api:v2'], revision: 4, ready: 1 });
    const to1 = await rollout(ws, inputs(ns.name, { action: 'rollback', toRevision: 1 }));
    expect(to1.result).toMatchObject({ result: 'rolled-back', revision: 1 });
    expect(deploymentView(ns.k, 'api')).toMatchObject({ images: ['registry:5000/acme/api:v1']});
    // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
    await expect.poll(() => deploymentView(ns!.k, 'api').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/api:v1']);
    const missing = await rollout(ws, inputs(ns.name, { action: 'rollback', toRevision: 42 }));
    expect(missing.result?.result).toBe('failed');
    expect(missing.result?.message).toMatch(/has no revision 42 \(it has [\d, ]+\)/);
  });

  it('substitutes images by repository (registry with a port, digests, init containers) and touches nothing else', async () => {
    ns = createNamespace('roll-images');
    const digest = `sha256:${'c'.repeat(64)}`;
    const manifest = deploymentYaml('api', 'registry:5000/acme/api:v1', {
      replicas: 1,
      extraContainers: `
        - name: sidecar
          image: registry:5000/acme/api-sidecar:v1
      initContainers:
        - name: migrate
          image: registry:5000/acme/api:v1`,
    });
    const ws = workspace({ 'k8s/app.yaml': manifest });
    const run = await rollout(ws, inputs(ns.name, { images: [`registry:5000/acme/api@${digest}`] }));
    expect(run.result?.result).toBe('succeeded');
    const spec = ns.json<{ spec: { template: { spec: { containers: { name: string; image: string }[]; initContainers: { image: string }[] } } }; metadata: { annotations: Record<string, string> } }>(['get', 'deployment', 'api']);
    expect(spec.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual([`api=registry:5000/acme/api@${digest}`, 'sidecar=registry:5000/acme/api-sidecar:v1']);
    expect(spec.spec.template.spec.initContainers[0]?.image).toBe(`registry:5000/acme/api@${digest}`);
    expect(spec.metadata.annotations['shipline.dev/image-digest']).toBe(digest);
    expect(run.log).toContain(`image: Deployment/api container api: registry:5000/acme/api:v1 → registry:5000/acme/api@${digest}`);
  });

  it('rolls StatefulSets and DaemonSets too, and rolls a crash-looping DaemonSet back through its ControllerRevisions', async () => {
    ns = createNamespace('roll-sts-ds');
    const manifest = (tag: string): string => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "registry:5000/acme/db:v1"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "registry:5000/acme/agent:${tag}"}]}
`;
    const first = await rollout(workspace({ 'k8s/all.yaml': manifest('v1') }), inputs(ns.name));
    expect(first.result?.result).toBe('succeeded');
    expect(first.result?.workloads.map((w) => `${w.kind}/${w.name}:${w.state}:${w.revision}`).sort()).toEqual(['DaemonSet/agent:succeeded:1', 'StatefulSet/db:succeeded:1']);
    const second = await rollout(workspace({ 'k8s/all.yaml': manifest('crashloop-v2') }), inputs(ns.name));
    expect(second.result?.result).toBe('rolled-back');
    expect(second.result?.diagnostics[0]).toMatchObject({ workload: `DaemonSet ${ns.name}/agent`, reason: 'CrashLoopBackOff' });
    const ds = ns.json<{ spec: { template: { spec: { containers: { image: string }[] } } }; status: { numberAvailable: number; desiredNumberScheduled: number } }>(['get', 'daemonset', 'agent']);
    expect(ds.spec.template.spec.containers[0]?.image).toBe('registry:5000/acme/agent:v1');
    expect(ds.status.numberAvailable).toBe(ds.status.desiredNumberScheduled);
    // The StatefulSet did not change: it was not rolled back or waited for.
    expect(second.result?.workloads.find((w) => w.kind === 'StatefulSet')?.state).toBe('unchanged');
  });

  it('dry-run: validated by the API server, a diff in the summary, nothing changed', async () => {
    ns = createNamespace('roll-dry');
    const ws = workspace({ 'k8s/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }) });
    await rollout(ws, inputs(ns.name));
    const run = await rollout(ws, inputs(ns.name, { images: ['registry:5000/acme/api:v9'], dryRun: true }));
    expect(run.result).toMatchObject({ result: 'succeeded', dryRun: true });
    expect(run.result?.diff).toMatch(/^-\s+- image: registry:5000\/acme\/api:v1$/m);
    expect(run.result?.diff).toMatch(/^\+\s+- image: registry:5000\/acme\/api:v9$/m);
    expect(run.runner.summary).toContain('Server-side diff');
    expect(deploymentView(ns.k, 'api')).toMatchObject({ revision: 1, images: ['registry:5000/acme/api:v1'] });
  });

  it('a manifest the API server rejects fails before anything is applied', async () => {
    ns = createNamespace('roll-reject');
    const ws = workspace({
      'k8s/a-config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\ndata: {a: "1"}\n',
      'k8s/b-app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1').replace('replicas: 2', 'replicas: -3'),
    });
    const run = await rollout(ws, inputs(ns.name), { asAction: true });
    expect(run.result?.result).toBe('failed');
    expect((run.error as Error).message).toMatch(/^the API server rejected the manifests \(nothing was applied\): .*spec\.replicas/);
    expect(ns.k(['get', 'configmap', 'fine', '--ignore-not-found'])).toBe('');
  });

  it('deploys a kustomize directory (namespace from the manifest wins over the input)', async () => {
    ns = createNamespace('roll-kust');
    const other = createNamespace('roll-kust-target');
    try {
      const ws = workspace({
        'deploy/kustomization.yaml': `namespace: ${other.name}\nresources: [app.yaml]\nimages:\n  - name: registry:5000/acme/api\n    newTag: v7\n`,
        'deploy/app.yaml': deploymentYaml('api', 'registry:5000/acme/api:v1', { replicas: 1 }),
      });
      const run = await rollout(ws, inputs(ns.name, { manifests: ['deploy'] }));
      expect(run.result?.result).toBe('succeeded');
      expect(run.result?.workloads[0]).toMatchObject({ namespace: other.name, images: ['registry:5000/acme/api:v7'] });
      expect(deploymentView(other.k, 'api').images).toEqual(['registry:5000/acme/api:v7']);
    } finally {
      other.delete();
    }
  });
});
