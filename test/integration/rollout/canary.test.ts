/**
 * Canary by replica ratio against the real control plane: steps, verification between steps, the
 * pause watched for failures, promote, abort, and the automatic abort of a failing canary.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { announceKubeSkip, createNamespace, deploymentYaml, kubeAvailable, serviceYaml, type TestNamespace } from '../../helpers/kube.js';
import { deploymentView, inputs, rollout, workspace } from './harness.js';

beforeAll(() => announceKubeSkip());
let ns: TestNamespace | undefined;
afterEach(() => ns?.delete());

const manifests = (): Record<string, string> => ({ 'k8s/app.yaml': `${deploymentYaml('cart', 'registry:5000/acme/cart:v1', { replicas: 4 })}---\n${serviceYaml('cart')}` });
const exists = (t: TestNamespace, name: string): boolean => t.k(['get', 'deployment', name, '--ignore-not-found']).trim() !== '';

describe.skipIf(!kubeAvailable)('rollout, canary (real control plane)', () => {
  it('steps the canary by replica ratio with verification in between, then promote makes it stable and removes the canary', async () => {
    ns = createNamespace('canary');
    const t = ns;
    const ws = workspace(manifests());
    const first = await rollout(ws, inputs(t.name, { strategy: 'canary' }));
    expect(first.result?.result).toBe('succeeded');
    expect(first.result?.message).toBe('no stable Deployment existed: deployed directly, without a canary');

    const steps: string[] = [];
    const run = await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [25, 50], canaryPauseMs: 1500, images: ['registry:5000/acme/cart:v2'] }), {
      hooks: {
        verify: async (ctx) => {
          const canary = deploymentView(t.k, 'cart-canary');
          const stable = deploymentView(t.k, 'cart');
          steps.push(`${ctx.phase} ${ctx.weight}%: canary ${canary.ready}/${canary.replicas} ${canary.images[0]}, stable ${stable.ready}/${stable.replicas} ${stable.images[0]}`);
        },
      },
      asAction: true,
    });
    expect(run.error).toBeUndefined();
    expect(steps).toEqual([
      'canary 25%: canary 1/1 registry:5000/acme/cart:v2, stable 3/3 registry:5000/acme/cart:v1',
      'canary 50%: canary 2/2 registry:5000/acme/cart:v2, stable 2/2 registry:5000/acme/cart:v1',
    ]);
    expect(run.result?.message).toBe('canary at 50 % and verified: finish with action: promote (or abort)');
    expect(run.log).toMatch(/::group::Pausing 1\.5 s at 25 %25, watching the canary/);
    // The Service's selector picks both tracks: 2 canary + 2 stable pods serve.
    const pods = t.json<{ items: { metadata: { labels: Record<string, string> } }[] }>(['get', 'pods', '-l', 'app=cart']).items;
    expect(pods.filter((p) => p.metadata.labels['shipline.dev/track'] === 'canary')).toHaveLength(2);

    const promoted = await rollout(ws, inputs(t.name, { strategy: 'canary', action: 'promote', images: ['registry:5000/acme/cart:v2'] }), { asAction: true });
    expect(promoted.error).toBeUndefined();
    expect(promoted.result).toMatchObject({ result: 'succeeded', revision: 2, previousRevision: 1 });
    expect(deploymentView(t.k, 'cart')).toMatchObject({ images: ['registry:5000/acme/cart:v2'], replicas: 4, ready: 4});
    // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
    await expect.poll(() => deploymentView(t.k, 'cart').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/cart:v2']);
    expect(exists(t, 'cart-canary')).toBe(false);
  });

  it('abort deletes the canary and gives the stable Deployment its replicas back', async () => {
    ns = createNamespace('canary-abort');
    const t = ns;
    const ws = workspace(manifests());
    await rollout(ws, inputs(t.name, { strategy: 'canary' }));
    const run = await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [50], images: ['registry:5000/acme/cart:v3'] }));
    expect(run.result?.result).toBe('succeeded');
    expect(deploymentView(t.k, 'cart')).toMatchObject({ replicas: 2 });
    const aborted = await rollout(ws, inputs(t.name, { strategy: 'canary', action: 'abort' }), { asAction: true });
    expect(aborted.error).toBeUndefined();
    expect(aborted.result?.result).toBe('rolled-back');
    expect(exists(t, 'cart-canary')).toBe(false);
    expect(deploymentView(t.k, 'cart')).toMatchObject({ images: ['registry:5000/acme/cart:v1'], replicas: 4, ready: 4 });
  });

  it('a crash-looping canary is aborted by itself (rolled-back, the step fails)', async () => {
    ns = createNamespace('canary-crash');
    const t = ns;
    const ws = workspace(manifests());
    await rollout(ws, inputs(t.name, { strategy: 'canary' }));
    let verified = 0;
    const run = await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [25, 100], images: ['registry:5000/acme/cart:crashloop-v2'] }), { hooks: { verify: async () => void verified++ }, asAction: true });
    expect(verified).toBe(0);
    expect(run.result?.result).toBe('rolled-back');
    expect(run.result?.diagnostics[0]).toMatchObject({ workload: `Deployment ${t.name}/cart-canary`, reason: 'CrashLoopBackOff' });
    expect((run.error as Error).message).toMatch(/^rollout rolled-back: canary step 25 % failed — Deployment [\w-]+\/cart-canary: CrashLoopBackOff/);
    expect(exists(t, 'cart-canary')).toBe(false);
    expect(deploymentView(t.k, 'cart')).toMatchObject({ images: ['registry:5000/acme/cart:v1'], replicas: 4, ready: 4 });
  });

  it('a failed verification at a step aborts; a final 100 step promotes by itself', async () => {
    ns = createNamespace('canary-verify');
    const t = ns;
    const ws = workspace(manifests());
    await rollout(ws, inputs(t.name, { strategy: 'canary' }));
    const failed = await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [25, 50, 100], images: ['registry:5000/acme/cart:v2'] }), {
      hooks: { verify: async (ctx) => ({ passed: (ctx.weight ?? 0) < 50, detail: 'p99 latency 2.3 s > 500 ms' }) },
    });
    expect(failed.result?.result).toBe('rolled-back');
    expect(failed.result?.message).toMatch(/^verification at canary step 50 % failed: p99 latency 2\.3 s > 500 ms; canary aborted/);
    expect(exists(t, 'cart-canary')).toBe(false);
    expect(deploymentView(t.k, 'cart')).toMatchObject({ images: ['registry:5000/acme/cart:v1'], replicas: 4 });

    const weights: number[] = [];
    const full = await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [50, 100], images: ['registry:5000/acme/cart:v2'] }), { hooks: { verify: async (ctx) => void weights.push(ctx.weight ?? -1) } });
    expect(full.result).toMatchObject({ result: 'succeeded', message: 'promoted cart to 100 %' });
    expect(weights).toEqual([50]);
    expect(deploymentView(t.k, 'cart')).toMatchObject({ images: ['registry:5000/acme/cart:v2'], replicas: 4, ready: 4 });
    expect(exists(t, 'cart-canary')).toBe(false);
  });

  it('promote refuses a version other than the one the canary runs', async () => {
    ns = createNamespace('canary-mismatch');
    const t = ns;
    const ws = workspace(manifests());
    await rollout(ws, inputs(t.name, { strategy: 'canary' }));
    await rollout(ws, inputs(t.name, { strategy: 'canary', canarySteps: [25], images: ['registry:5000/acme/cart:v2'] }));
    const run = await rollout(ws, inputs(t.name, { strategy: 'canary', action: 'promote', images: ['registry:5000/acme/cart:v9'] }));
    expect(run.result?.result).toBe('failed');
    expect(run.result?.message).toMatch(/cart-canary runs registry:5000\/acme\/cart:v2 but the manifests and images render registry:5000\/acme\/cart:v9/);
    expect(deploymentView(t.k, 'cart').images).toEqual(['registry:5000/acme/cart:v1']);
  });
});
