/**
 * Blue-green against the real control plane: the Service selector switches only after the idle
 * colour has rolled out and been verified (the hook sees the old selector still live; smoke checks
 * run against a real HTTP server on loopback), never when verification fails, switches straight back
 * when live verification fails, and `action: rollback` switches back to the colour kept running.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmokeInputs } from '../../../src/actions/smoke-test/inputs.js';
import { compileCheck } from '../../../src/smoke/check.js';
import type { VerifyContext } from '../../../src/kube/options.js';
import { startSmokeServer, type TestServer } from '../../helpers/http-server.js';
import { announceKubeSkip, createNamespace, deploymentYaml, kubeAvailable, serviceYaml, type TestNamespace } from '../../helpers/kube.js';
import { deploymentView, inputs, rollout, workspace } from './harness.js';

beforeAll(() => announceKubeSkip());
let ns: TestNamespace | undefined;
let server: TestServer | undefined;
afterEach(() => ns?.delete());
afterAll(async () => server?.stop());

const selector = (t: TestNamespace, name: string): Record<string, string> => t.json<{ spec: { selector: Record<string, string> } }>(['get', 'service', name]).spec.selector;
const manifests = (tag: string): Record<string, string> => ({ 'k8s/app.yaml': `${deploymentYaml('shop', `registry:5000/acme/shop:${tag}`)}---\n${serviceYaml('shop')}` });

function smoke(url: string): SmokeInputs {
  const check = compileCheck({ url }, {});
  if (typeof check === 'string') throw new Error(check);
  return { checks: [check], retries: 0, retryDelayMs: 50, timeoutMs: 2000, concurrency: 1, samples: 1, insecureTls: false };
}

describe.skipIf(!kubeAvailable)('rollout, blue-green (real control plane)', () => {
  it('switches the Service only after the idle colour is rolled out and verified; keeps the old colour; switches back on demand', async () => {
    ns = createNamespace('bg');
    const t = ns;
    const calls: { phase: string; color?: string; liveSelector: string | undefined; idleReady: number; at: number }[] = [];
    const verify = async (ctx: VerifyContext): Promise<void> => {
      const live = t.k(['get', 'service', 'shop', '--ignore-not-found', '-o', 'jsonpath={.spec.selector.shipline\\.dev/color}']);
      calls.push({ phase: ctx.phase, ...(ctx.color ? { color: ctx.color } : {}), liveSelector: live || undefined, idleReady: deploymentView(t.k, `shop-${ctx.color ?? ''}`).ready, at: Date.now() });
    };

    // First deploy: no live colour yet → blue; the Service is created selecting blue, after verification.
    const first = await rollout(workspace(manifests('v1')), inputs(t.name, { strategy: 'blue-green' }), { hooks: { verify } });
    expect(first.result).toMatchObject({ result: 'succeeded', traffic: [{ service: 'shop', to: 'blue' }] });
    expect(calls[0]).toMatchObject({ phase: 'preview', color: 'blue', liveSelector: undefined, idleReady: 2 });
    expect(selector(t, 'shop')).toEqual({ app: 'shop', 'shipline.dev/color': 'blue' });
    expect(selector(t, 'shop-preview')).toEqual({ app: 'shop', 'shipline.dev/color': 'blue' });
    expect(t.json<{ spec: { type: string } }>(['get', 'service', 'shop-preview']).spec.type).toBe('ClusterIP');

    // Second deploy: green is deployed and verified while the Service still selects blue.
    calls.length = 0;
    const second = await rollout(workspace(manifests('v2')), inputs(t.name, { strategy: 'blue-green' }), { hooks: { verify }, asAction: true });
    expect(second.error).toBeUndefined();
    expect(second.result).toMatchObject({ result: 'succeeded', traffic: [{ service: 'shop', from: 'blue', to: 'green' }] });
    expect(calls.map((c) => [c.phase, c.color, c.liveSelector, c.idleReady])).toEqual([
      ['preview', 'green', 'blue', 2],
      ['live', 'green', 'green', 2],
    ]);
    expect(selector(t, 'shop')).toEqual({ app: 'shop', 'shipline.dev/color': 'green' });
    expect(deploymentView(t.k, 'shop-green')).toMatchObject({ images: ['registry:5000/acme/shop:v2'], ready: 2 });
    // The old colour keeps running, for an instant switch back.
    expect(deploymentView(t.k, 'shop-blue')).toMatchObject({ images: ['registry:5000/acme/shop:v1'], ready: 2 });
    expect(second.runner.outputs.get('result')).toBe('succeeded');
    expect(second.runner.summary).toMatch(/\| [\w-]+\/shop \| blue \| green \|/);

    // action: rollback switches back to blue (ready, kept running) — no redeploy.
    const back = await rollout(workspace(manifests('v2')), inputs(t.name, { strategy: 'blue-green', action: 'rollback' }), { asAction: true });
    expect(back.error).toBeUndefined();
    expect(back.result).toMatchObject({ result: 'rolled-back', traffic: [{ from: 'green', to: 'blue' }] });
    expect(selector(t, 'shop')).toEqual({ app: 'shop', 'shipline.dev/color': 'blue' });
    expect(back.runner.outputs.get('result')).toBe('rolled-back');
  });

  it('never switches when the smoke checks fail against the new colour; the idle colour is rolled back', async () => {
    server ??= await startSmokeServer();
    ns = createNamespace('bg-smoke');
    const t = ns;
    await rollout(workspace(manifests('v1')), inputs(t.name, { strategy: 'blue-green' }));
    const ok = await rollout(workspace(manifests('v2')), inputs(t.name, { strategy: 'blue-green', verify: smoke(`${server.url}/ok`) }));
    expect(ok.result?.result).toBe('succeeded');
    expect(selector(t, 'shop')['shipline.dev/color']).toBe('green');
    const before = server.requests.length;
    const bad = await rollout(workspace(manifests('v3')), inputs(t.name, { strategy: 'blue-green', verify: smoke(`${server.url}/status?code=503`) }), { asAction: true });
    expect(server.requests.length).toBeGreaterThan(before);
    expect(bad.result).toMatchObject({ result: 'rolled-back', traffic: [] });
    expect(bad.result?.message).toMatch(/^verification of the blue colour failed before any traffic was switched: smoke checks failed: .*status 503/);
    expect((bad.error as Error).message).toMatch(/^rollout rolled-back: /);
    // Traffic never moved; blue is back at v1 (its previous revision), still the switch-back target.
    expect(selector(t, 'shop')['shipline.dev/color']).toBe('green');
    expect(deploymentView(t.k, 'shop-blue')).toMatchObject({ images: ['registry:5000/acme/shop:v1'], ready: 2 });
    // A rollout counts as complete before the ReplicaSet controller has deleted every old pod.
    await expect.poll(() => deploymentView(t.k, 'shop-blue').podImages, { timeout: 15_000, interval: 250 }).toEqual(['registry:5000/acme/shop:v1']);
    expect(deploymentView(t.k, 'shop-green').images).toEqual(['registry:5000/acme/shop:v2']);
    expect(bad.runner.summary).toContain('Smoke test: fail');
  });

  it('switches straight back when live verification fails after the switch', async () => {
    ns = createNamespace('bg-live');
    const t = ns;
    await rollout(workspace(manifests('v1')), inputs(t.name, { strategy: 'blue-green' }));
    const seen: string[] = [];
    const run = await rollout(workspace(manifests('v2')), inputs(t.name, { strategy: 'blue-green' }), {
      hooks: {
        verify: async (ctx) => {
          seen.push(`${ctx.phase}:${selector(t, 'shop')['shipline.dev/color']}`);
          return ctx.phase === 'live' ? { passed: false, detail: 'error rate 12% on live traffic' } : { passed: true };
        },
      },
    });
    expect(seen).toEqual(['preview:blue', 'live:green']);
    expect(run.result).toMatchObject({ result: 'rolled-back', traffic: [{ from: 'blue', to: 'green', switchedBack: true }] });
    expect(run.result?.message).toContain('live verification of green failed after the switch: error rate 12% on live traffic; traffic switched back to blue');
    expect(selector(t, 'shop')['shipline.dev/color']).toBe('blue');
  });

  it('a broken image in the idle colour fails fast; traffic never moves', async () => {
    ns = createNamespace('bg-broken');
    const t = ns;
    await rollout(workspace(manifests('v1')), inputs(t.name, { strategy: 'blue-green' }));
    let verified = false;
    const run = await rollout(workspace(manifests('broken-v2')), inputs(t.name, { strategy: 'blue-green' }), { hooks: { verify: async () => void (verified = true) } });
    expect(verified).toBe(false);
    expect(run.result?.result).toBe('rolled-back');
    expect(run.result?.diagnostics[0]?.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(selector(t, 'shop')['shipline.dev/color']).toBe('blue');
  });

  it('dry-run shows the idle colour, the preview Service and the switch, and changes nothing', async () => {
    ns = createNamespace('bg-dry');
    const t = ns;
    await rollout(workspace(manifests('v1')), inputs(t.name, { strategy: 'blue-green' }));
    const run = await rollout(workspace(manifests('v2')), inputs(t.name, { strategy: 'blue-green', dryRun: true }));
    expect(run.result?.result).toBe('succeeded');
    expect(run.result?.diff).toContain('shop-green');
    expect(run.result?.diff).toMatch(/^\+\s+shipline\.dev\/color: green$/m);
    expect(t.k(['get', 'deployment', 'shop-green', '--ignore-not-found'])).toBe('');
    expect(selector(t, 'shop')['shipline.dev/color']).toBe('blue');
  });
});
