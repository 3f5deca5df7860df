/**
 * The waiting engine and the strategies against an injected KubeClient (fake-cluster.ts): what is
 * judged, in which order things happen, what is rolled back — decided without a cluster. The real
 * cluster runs the same scenarios in test/integration/rollout.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { splitReplicas } from '../../../src/kube/canary.js';
import type { RolloutHooks, RolloutInputs } from '../../../src/kube/options.js';
import { runRollout } from '../../../src/kube/run.js';
import { waitForRollouts } from '../../../src/kube/waiter.js';
import { FakeCluster } from './fake-cluster.js';

const NS = 'shop';

function deployment(name: string, image: string, replicas = 2): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: app, image: "${image}"}]}\n`;
}
const service = (name: string): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: ${name}}\n  ports: [{port: 80}]\n`;

function ws(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'));
  mkdirSync(join(dir, 'k8s'));
  writeFileSync(join(dir, 'k8s', 'app.yaml'), text);
  return dir;
}

async function run(cluster: FakeCluster, workspace: string, overrides: Partial<RolloutInputs> = {}, hooks: RolloutHooks = {}) {
  const runner = new MemoryRunner({}, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: workspace });
  const services = createServices(runner);
  const inputs: RolloutInputs = {
    action: 'deploy',
    manifests: ['k8s'],
    images: [],
    namespace: NS,
    strategy: 'rolling',
    canarySteps: [10, 50, 100],
    canaryPauseMs: 0,
    timeoutMs: 10_000,
    rollbackOnFailure: true,
    serverSide: true,
    dryRun: false,
    ...overrides,
  };
  const result = await runRollout(inputs, services, hooks, { client: cluster });
  return { result, runner, services };
}

describe('rolling, against an injected cluster', () => {
  it('waits for the rollout of the generation the apply produced, not the complete state seen before it', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('api', 'r:5000/api:v1'));
    expect((await run(cluster, dir)).result.result).toBe('succeeded');
    cluster.controllerDelayMs = 300; // the old, complete status stays visible for a while after the apply
    const { result } = await run(cluster, dir, { images: ['r:5000/api:v2'] });
    expect(result).toMatchObject({ result: 'succeeded', revision: 2, previousRevision: 1 });
    const live = cluster.deployment(NS, 'api');
    expect(live?.status?.observedGeneration).toBe(live?.metadata.generation);
    expect(cluster.podsOf(NS, 'api').map((p) => p.spec?.containers?.[0]?.image)).toEqual(['r:5000/api:v2', 'r:5000/api:v2']);
  });

  it('judges only pods of the new revision: old failing pods do not fail a good rollout', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('api', 'r:5000/api:broken-v1'));
    await run(cluster, dir, { rollbackOnFailure: false });
    expect(cluster.podsOf(NS, 'api')[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
    const { result } = await run(cluster, dir, { images: ['r:5000/api:v2'] });
    expect(result.result).toBe('succeeded');
    expect(result.diagnostics).toEqual([]);
  });

  it('fails fast on a new pod in ImagePullBackOff, rolls back to the recorded revision and waits for it', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('api', 'r:5000/api:v1'));
    await run(cluster, dir);
    const started = Date.now();
    const { result, runner } = await run(cluster, dir, { images: ['r:5000/api:broken-v2'] });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ result: 'rolled-back', rolledBack: true, revision: 2, previousRevision: 1 });
    expect(result.diagnostics[0]).toMatchObject({ reason: 'ImagePullBackOff', container: 'app', events: [{ reason: 'BackOff', count: 2 }] });
    expect(cluster.calls.filter((c) => !c.includes('--dry-run'))).toEqual(['apply Deployment/api', 'apply Deployment/api', 'undo Deployment/api --to-revision=1']);
    expect(cluster.deployment(NS, 'api')?.spec.template.spec?.containers?.[0]?.image).toBe('r:5000/api:v1');
    expect(result.workloads[0]).toMatchObject({ state: 'rolled-back', message: expect.stringContaining('→ rolled back to revision 1') });
    expect(runner.log).toContain('::group::Rolling back 1 workload');
  });

  it('never applies anything when the dry run is rejected', async () => {
    const cluster = new FakeCluster();
    cluster.rejectApply = 'Error from server (Forbidden): admission webhook "policy" denied the request: image not signed';
    const { result } = await run(cluster, ws(deployment('api', 'r:5000/api:v1')));
    expect(result.result).toBe('failed');
    expect(result.message).toBe('the API server rejected the manifests (nothing was applied): Error from server (Forbidden): admission webhook "policy" denied the request: image not signed');
    expect(cluster.calls).toEqual(['apply --dry-run Deployment/api']);
  });

  it('times out with kubectl\'s own status message; without rollback-on-failure nothing is undone', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('api', 'r:5000/api:v1', 1));
    await run(cluster, dir);
    const { result } = await run(cluster, dir, { images: ['r:5000/api:slow-v2'], timeoutMs: 400, rollbackOnFailure: false });
    expect(result.result).toBe('failed');
    expect(result.diagnostics[0]).toMatchObject({ reason: 'Timeout', message: 'timed out after 400 ms: Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...' });
    expect(cluster.calls.some((c) => c.startsWith('undo'))).toBe(false);
  });

  it('logs progress while waiting, naming the new pods', async () => {
    const cluster = new FakeCluster();
    const runner = new MemoryRunner();
    const services = createServices(runner);
    await cluster.apply([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'app', image: 'r:5000/api:slow-v1' }] } } } }], { namespace: NS, serverSide: true, dryRun: false });
    const [outcome] = await waitForRollouts([{ kind: 'Deployment', name: 'api', namespace: NS }], { client: cluster, log: services.log, clock: services.clock, timeoutMs: 700, progressIntervalMs: 100 });
    expect(outcome?.state).toBe('timed-out');
    const progress = runner.lines.filter((l) => l.startsWith('… rollout: Deployment shop/api ('));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatch(/: Waiting for deployment "api" rollout to finish: 0 of 1 updated replicas are available\.\.\.; new pods: api-\w+-0 \(Running, 0\/1 ready\)$/);
  });
});

describe('blue-green, against an injected cluster', () => {
  const manifests = (tag: string): string => `${deployment('web', `r:5000/web:${tag}`)}---\n${service('web')}`;

  it('applies the idle colour, waits, verifies, and only then switches the Service', async () => {
    const cluster = new FakeCluster();
    await run(cluster, ws(manifests('v1')), { strategy: 'blue-green' });
    cluster.calls.length = 0;
    const order: string[] = [];
    const { result } = await run(cluster, ws(manifests('v2')), { strategy: 'blue-green' }, {
      verify: async (ctx) => {
        order.push(`verify ${ctx.phase} ${ctx.color} (Service selects ${(await cluster.get<{ kind: string; apiVersion: string; metadata: object; spec: { selector: Record<string, string> } }>({ kind: 'Service', name: 'web', namespace: NS }))?.spec.selector['shipline.dev/color']})`);
      },
      onPhase: (p, d) => order.push(`${p} ${d}`),
    });
    expect(result).toMatchObject({ result: 'succeeded', traffic: [{ from: 'blue', to: 'green' }] });
    expect(order).toEqual(['apply green colour', 'verify preview', 'verify preview green (Service selects blue)', 'switch blue → green', 'verify live', 'verify live green (Service selects green)']);
    expect(cluster.calls.filter((c) => !c.includes('--dry-run'))).toEqual(['apply Deployment/web-green,Service/web-preview', 'apply Service/web']);
  });

  it('does not switch when verification fails, and restores the idle colour', async () => {
    const cluster = new FakeCluster();
    await run(cluster, ws(manifests('v1')), { strategy: 'blue-green' });
    await run(cluster, ws(manifests('v2')), { strategy: 'blue-green' });
    cluster.calls.length = 0;
    const { result } = await run(cluster, ws(manifests('v3')), { strategy: 'blue-green' }, { verify: async () => ({ passed: false, detail: 'checkout returns 500' }) });
    expect(result.result).toBe('rolled-back');
    expect(result.traffic).toEqual([]);
    expect(cluster.calls.filter((c) => !c.includes('--dry-run'))).toEqual(['apply Deployment/web-blue,Service/web-preview', 'undo Deployment/web-blue --to-revision=1']);
    expect((await cluster.get<{ kind: string; apiVersion: string; metadata: object; spec: { selector: Record<string, string> } }>({ kind: 'Service', name: 'web', namespace: NS }))?.spec.selector['shipline.dev/color']).toBe('green');
  });
});

describe('canary, against an injected cluster', () => {
  it.each([
    [4, 10, { canary: 1, stable: 3 }],
    [4, 25, { canary: 1, stable: 3 }],
    [4, 50, { canary: 2, stable: 2 }],
    [4, 90, { canary: 4, stable: 1 }],
    [1, 10, { canary: 1, stable: 1 }],
    [10, 33, { canary: 4, stable: 6 }],
    [4, 100, { canary: 0, stable: 4 }],
  ])('splitReplicas(%i, %i%%)', (total, percent, expected) => {
    expect(splitReplicas(total, percent)).toEqual(expected);
  });

  it('scales stable down as the canary grows, verifies at each step, and promotes at 100', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('cart', 'r:5000/cart:v1', 4));
    await run(cluster, dir, { strategy: 'canary' });
    cluster.calls.length = 0;
    const seen: string[] = [];
    const { result } = await run(cluster, dir, { strategy: 'canary', canarySteps: [25, 50, 100], images: ['r:5000/cart:v2'] }, {
      verify: async (ctx) => void seen.push(`${ctx.weight}%: canary ${cluster.deployment(NS, 'cart-canary')?.spec.replicas}, stable ${cluster.deployment(NS, 'cart')?.spec.replicas}`),
    });
    expect(result).toMatchObject({ result: 'succeeded', message: 'promoted cart to 100 %' });
    expect(seen).toEqual(['25%: canary 1, stable 3', '50%: canary 2, stable 2']);
    expect(cluster.calls.filter((c) => !c.includes('--dry-run'))).toEqual([
      'apply Deployment/cart-canary',
      'scale Deployment/cart 3',
      'apply Deployment/cart-canary',
      'scale Deployment/cart 2',
      // The manifest sets replicas: 4, so the apply itself restores the stable size (no scale).
      'apply Deployment/cart',
      'delete Deployment/cart-canary',
    ]);
    expect(cluster.deployment(NS, 'cart')?.spec.template.spec?.containers?.[0]?.image).toBe('r:5000/cart:v2');
  });

  it('aborts a crash-looping canary: stable back to full size first, then the canary is deleted', async () => {
    const cluster = new FakeCluster();
    const dir = ws(deployment('cart', 'r:5000/cart:v1', 4));
    await run(cluster, dir, { strategy: 'canary' });
    cluster.calls.length = 0;
    const { result } = await run(cluster, dir, { strategy: 'canary', canarySteps: [50, 100], images: ['r:5000/cart:crashloop-v2'] });
    expect(result.result).toBe('rolled-back');
    expect(result.diagnostics[0]).toMatchObject({ workload: 'Deployment shop/cart-canary', reason: 'CrashLoopBackOff' });
    expect(cluster.calls.filter((c) => !c.includes('--dry-run'))).toEqual(['apply Deployment/cart-canary', 'scale Deployment/cart 2', 'scale Deployment/cart 4', 'delete Deployment/cart-canary']);
    expect(cluster.deployment(NS, 'cart-canary')).toBeUndefined();
  });
});
