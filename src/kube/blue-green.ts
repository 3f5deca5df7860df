/**
 * Blue-green. Each Deployment `<name>` in the manifests runs as two Deployments, `<name>-blue` and
 * `<name>-green`, whose pods carry the label `shipline.dev/color: blue|green` (added to the
 * selector and the pod template). Each Service whose selector picks those pods gets
 * `shipline.dev/color: <live colour>` added to its selector, and a twin `<service>-preview`
 * (ClusterIP) selecting the other, idle colour.
 *
 * A deploy: finds the live colour from the Service's selector, applies the idle colour, waits for
 * it to roll out (fail fast), verifies it (the `preview` hook / smoke checks), and only then
 * switches the Service selectors; then the `live` hook, whose failure switches straight back. The
 * old colour keeps running for an instant switch back (`action: rollback`). Nothing is switched
 * when the idle colour fails: it is rolled back to its previous revision, so the switch-back target
 * stays the version that was live before.
 */
import { ActionFailedError, ConfigurationError } from '../core/index.js';
import { applyObjects, changedWorkloads, diagnosticsOf, generationsOf, phase, prepare, recordBefore, reportOf, rollBack, verify, watchTargets, type Before, type RolloutContext } from './context.js';
import { imagesOf } from './images.js';
import type { Diagnostic, RolloutResult, TrafficSwitch, WorkloadReport } from './options.js';
import { makeResult } from './result.js';
import { dryRun, workloadRefs } from './rolling.js';
import { rolloutStatus } from './status.js';
import type { Deployment, KubeObject, Service } from './types.js';
import { describeRef, refKey, selectorMatches } from './types.js';
import type { WorkloadOutcome, WorkloadRef } from './waiter.js';

export const COLOR_LABEL = 'shipline.dev/color';
export const COLORS = ['blue', 'green'] as const;
export type Color = (typeof COLORS)[number];
export const PREVIEW_SUFFIX = '-preview';

export function otherColor(color: Color | undefined): Color {
  return color === 'blue' ? 'green' : 'blue';
}

export interface BlueGreenPlan {
  deployments: Deployment[];
  services: Service[];
  /** Everything else, applied as it is (its workloads roll normally). */
  others: KubeObject[];
}

export function planBlueGreen(objects: readonly KubeObject[]): BlueGreenPlan {
  const deployments = objects.filter((o): o is Deployment => o.kind === 'Deployment');
  const fronting = (o: KubeObject): boolean =>
    o.kind === 'Service' &&
    !!(o as Service).spec?.selector &&
    deployments.some((d) => selectorMatches({ matchLabels: (o as Service).spec?.selector ?? {} }, d.spec.template.metadata?.labels));
  const services = objects.filter((o): o is Service => fronting(o));
  if (deployments.length === 0 || services.length === 0) {
    throw new ConfigurationError('strategy', `blue-green needs a Deployment and a Service whose selector matches its pod labels in the manifests (found ${deployments.length} Deployment${deployments.length === 1 ? '' : 's'} and ${services.length} such Service${services.length === 1 ? '' : 's'})`);
  }
  const others = objects.filter((o) => !deployments.includes(o as Deployment) && !services.includes(o as Service));
  return { deployments, services, others };
}

export function coloredName(name: string, color: Color): string {
  return `${name}-${color}`;
}

/** `<name>-<colour>`: the Deployment with the colour label in its selector and pod template. */
export function renderColor(deployment: Deployment, color: Color): Deployment {
  const copy = structuredClone(deployment);
  const name = deployment.metadata.name ?? '';
  copy.metadata.name = coloredName(name, color);
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [COLOR_LABEL]: color };
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), 'shipline.dev/blue-green-of': name };
  copy.spec.selector = { ...copy.spec.selector, matchLabels: { ...(copy.spec.selector.matchLabels ?? {}), [COLOR_LABEL]: color } };
  copy.spec.template = { ...copy.spec.template, metadata: { ...(copy.spec.template.metadata ?? {}), labels: { ...(copy.spec.template.metadata?.labels ?? {}), [COLOR_LABEL]: color } } };
  return copy;
}

/** The Service as users reach it, selecting `color`. */
export function renderLiveService(service: Service, color: Color): Service {
  const copy = structuredClone(service);
  copy.spec = { ...(copy.spec ?? {}), selector: { ...(copy.spec?.selector ?? {}), [COLOR_LABEL]: color } };
  return copy;
}

/** `<service>-preview`: a ClusterIP twin selecting only `color` (no node ports, no load balancer). */
export function renderPreviewService(service: Service, color: Color): Service {
  const copy = renderLiveService(service, color);
  copy.metadata = { name: `${service.metadata.name ?? ''}${PREVIEW_SUFFIX}`, ...(service.metadata.namespace ? { namespace: service.metadata.namespace } : {}), labels: { ...(service.metadata.labels ?? {}), [COLOR_LABEL]: color }, annotations: { 'shipline.dev/preview-of': service.metadata.name ?? '' } };
  const spec = copy.spec as Record<string, unknown>;
  const headless = spec['clusterIP'] === 'None';
  for (const field of ['clusterIP', 'clusterIPs', 'externalIPs', 'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass', 'externalTrafficPolicy', 'healthCheckNodePort', 'allocateLoadBalancerNodePorts', 'externalName']) delete spec[field];
  spec['type'] = 'ClusterIP';
  if (headless) spec['clusterIP'] = 'None';
  if (Array.isArray(spec['ports'])) spec['ports'] = (spec['ports'] as Record<string, unknown>[]).map(({ nodePort: _nodePort, ...port }) => port);
  return copy;
}

/** The colour the live Services select now (undefined before the first blue-green deploy). */
export async function liveColor(ctx: RolloutContext, services: readonly Service[]): Promise<{ color?: Color; existing: Map<string, Service> }> {
  const existing = new Map<string, Service>();
  const colors = new Set<string | undefined>();
  for (const service of services) {
    const ref = { kind: 'Service', name: service.metadata.name ?? '', namespace: service.metadata.namespace ?? ctx.namespace };
    const live = await ctx.client.get<Service>(ref);
    if (live) existing.set(refKey(ref), live);
    colors.add(live?.spec?.selector?.[COLOR_LABEL]);
  }
  const defined = [...colors].filter((c): c is string => c !== undefined);
  if (defined.length > 1) throw new ActionFailedError(`the Services disagree on the live colour (${defined.join(' and ')}): fix their ${COLOR_LABEL} selector first`);
  const color = defined[0];
  if (color !== undefined && !(COLORS as readonly string[]).includes(color)) throw new ActionFailedError(`a Service selects ${COLOR_LABEL}=${color}, which is not blue or green`);
  return { ...(color ? { color: color as Color } : {}), existing };
}

function serviceRefs(ctx: RolloutContext, services: readonly Service[]): string {
  return services.map((s) => `${s.metadata.namespace ?? ctx.namespace}/${s.metadata.name ?? ''}`).join(', ');
}

async function switchTraffic(ctx: RolloutContext, services: readonly Service[], to: Color | undefined): Promise<void> {
  // `undefined`: back to the selector the manifests give (before the first blue-green deploy).
  const objects = services.map((s) => (to ? renderLiveService(s, to) : structuredClone(s)));
  await applyObjects(ctx, objects);
}

export async function blueGreen(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { log } = ctx.services;
  const plan = planBlueGreen(ctx.manifests.map((m) => m.object));
  const { color: active } = await liveColor(ctx, plan.services);
  const idle = otherColor(active);
  const idleDeployments = plan.deployments.map((d) => renderColor(d, idle));
  const previews = plan.services.map((s) => renderPreviewService(s, idle));
  const refs = workloadRefs([...plan.others, ...idleDeployments], ctx.namespace);
  const before = await recordBefore(ctx, refs);
  log.info(active ? `Live colour: ${active} (Services ${serviceRefs(ctx, plan.services)}); deploying ${idle}` : `No live colour yet: deploying ${idle}; the Services switch to it once it is verified`);
  if (ctx.inputs.dryRun) {
    return dryRun(ctx, [...plan.others, ...idleDeployments, ...previews, ...plan.services.map((s) => renderLiveService(s, idle))], before, started, ` (the ${idle} colour, its preview Services and the switch)`);
  }

  phase(ctx, 'apply', `${idle} colour`);
  const prepared = prepare(ctx, watchTargets([...plan.others, ...idleDeployments], ctx.namespace));
  let applied: KubeObject[];
  try {
    applied = await log.group(`Applying the ${idle} colour: ${idleDeployments.map((d) => d.metadata.name).join(', ')}`, () => applyObjects(ctx, [...plan.others, ...idleDeployments, ...previews]));
  } catch (error) {
    prepared.stop();
    throw error;
  }
  const changed = changedWorkloads(applied, before, ctx.namespace);
  // Every idle Deployment must be ready, changed or not (a re-deploy after a failed verification changes nothing).
  const idleRefs = workloadRefs(idleDeployments, ctx.namespace);
  const waitFor = [...idleRefs, ...changed.filter((c) => !idleRefs.some((r) => refKey(r) === refKey(c)))];
  const outcomes = await log.group(`Waiting for the ${idle} colour (timeout ${Math.round(ctx.inputs.timeoutMs / 1000)} s)`, () => prepared.wait(waitFor, generationsOf(applied, ctx.namespace)));
  const reports = outcomes.map((o) => reportOf(o, before.get(refKey(o.ref))));
  const traffic: TrafficSwitch[] = [];

  const restore = async (why: string, diagnostics: Diagnostic[]): Promise<RolloutResult> => {
    if (!ctx.inputs.rollbackOnFailure) {
      return makeResult(ctx, { result: 'failed', message: `${why}; traffic stays on ${active ?? 'what it was'}; rollback-on-failure is false: the ${idle} colour is left as it is`, workloads: reports, diagnostics, traffic }, started);
    }
    const rollback = await rollBack(ctx, changed, before);
    markRolledBack(reports, rollback.outcomes);
    diagnostics.push(...diagnosticsOf(rollback.outcomes).map((d) => ({ ...d, reason: `rollback: ${d.reason}` })));
    // Traffic never left (or went back to) the live colour; restoring the idle colour keeps the switch-back target.
    const trafficSafe = active !== undefined || traffic.some((t) => t.switchedBack);
    const ok = rollback.complete && trafficSafe;
    return makeResult(
      ctx,
      {
        result: ok ? 'rolled-back' : 'failed',
        rolledBack: ok,
        message: `${why}; traffic ${traffic.some((t) => t.switchedBack) ? 'switched back to' : 'stays on'} ${active ?? 'what it was'}${rollback.outcomes.length ? `; the ${idle} colour was rolled back to its previous revision` : ''}${rollback.errors[0] ? `; ${rollback.errors[0]}` : ''}`,
        workloads: reports,
        diagnostics,
        traffic,
      },
      started,
    );
  };

  const failed = outcomes.filter((o) => o.state === 'failed' || o.state === 'timed-out');
  if (failed.length) {
    const first = failed[0] as WorkloadOutcome;
    return restore(`the ${idle} colour did not roll out — ${describeRef(first.ref)}: ${first.failure ? `${first.failure.reason} (pod ${first.failure.pod})` : first.message}`, diagnosticsOf(outcomes));
  }

  const previewNames = previews.map((p) => p.metadata.name ?? '');
  const preview = await verify(ctx, { phase: 'preview', strategy: 'blue-green', namespace: ctx.namespace, workloads: idleRefs, color: idle, previewServices: previewNames });
  if (!preview.passed) {
    return restore(`verification of the ${idle} colour failed before any traffic was switched: ${preview.detail ?? ''}`, [{ workload: idleRefs.map(describeRef).join(', '), reason: 'VerificationFailed', message: preview.detail ?? '', events: [] }]);
  }

  phase(ctx, 'switch', `${active ?? 'none'} → ${idle}`);
  await log.group(`Switching ${serviceRefs(ctx, plan.services)} to ${idle}`, () => switchTraffic(ctx, plan.services, idle));
  const switchedAt = new Date(ctx.services.clock.now()).toISOString();
  for (const s of plan.services) traffic.push({ service: s.metadata.name ?? '', namespace: s.metadata.namespace ?? ctx.namespace, ...(active ? { from: active } : {}), to: idle, switchedAt });
  log.notice(`Traffic switched to ${idle}${active ? `; ${active} keeps running for an instant switch back (action: rollback)` : ''}`);

  const live = await verify(ctx, { phase: 'live', strategy: 'blue-green', namespace: ctx.namespace, workloads: idleRefs, color: idle, previewServices: previewNames });
  if (!live.passed) {
    log.error(`Live verification failed: switching back to ${active ?? 'the previous selector'}`);
    await switchTraffic(ctx, plan.services, active);
    for (const t of traffic) t.switchedBack = true;
    return restore(`live verification of ${idle} failed after the switch: ${live.detail ?? ''}`, [{ workload: idleRefs.map(describeRef).join(', '), reason: 'VerificationFailed', message: live.detail ?? '', events: [] }]);
  }
  return makeResult(ctx, { result: 'succeeded', message: `${idle} verified and live${active ? `; ${active} kept for switch-back` : ''}`, workloads: reports, traffic, primary: reports.find((r) => idleRefs.some((i) => i.name === r.name)) }, started);
}

function markRolledBack(reports: WorkloadReport[], outcomes: readonly WorkloadOutcome[]): void {
  for (const report of reports) {
    const restored = outcomes.find((o) => o.ref.name === report.name && o.ref.kind === report.kind && o.ref.namespace === report.namespace);
    if (restored?.state === 'succeeded') {
      report.state = 'rolled-back';
      report.message = `${report.message} → rolled back to revision ${report.previousRevision ?? '?'}`;
    } else if (restored) {
      report.state = 'rollback-failed';
      report.message = `${report.message} → rollback: ${restored.message}`;
    }
  }
}

/** `action: rollback` for blue-green: the Services back to the other colour, once it is verified ready. */
export async function blueGreenRollback(ctx: RolloutContext, started: number): Promise<RolloutResult> {
  const { log } = ctx.services;
  const plan = planBlueGreen(ctx.manifests.map((m) => m.object));
  const { color: active } = await liveColor(ctx, plan.services);
  if (!active) throw new ActionFailedError(`the Services ${serviceRefs(ctx, plan.services)} select no colour yet: there is nothing to switch back to`);
  const target = otherColor(active);
  const targetRefs: WorkloadRef[] = plan.deployments.map((d) => ({ kind: 'Deployment', name: coloredName(d.metadata.name ?? '', target), namespace: d.metadata.namespace ?? ctx.namespace }));
  const reports: WorkloadReport[] = [];
  for (const ref of targetRefs) {
    const live = await ctx.client.get<Deployment>(ref);
    if (!live) throw new ActionFailedError(`${describeRef(ref)} does not exist: there is no ${target} colour to switch back to`);
    const status = rolloutStatus(live);
    const want = live.spec.replicas ?? 1;
    if (!status.done || (live.status?.availableReplicas ?? 0) < want) throw new ActionFailedError(`${describeRef(ref)} is not ready (${status.error ?? status.message ?? ''}; ${live.status?.availableReplicas ?? 0}/${want} available): not switching traffic to it`);
    const revision = Number(live.metadata.annotations?.['deployment.kubernetes.io/revision']);
    reports.push({ ...ref, images: imagesOf(live), ...(Number.isInteger(revision) ? { revision } : {}), state: 'live', message: `ready: ${status.message}` });
  }
  if (ctx.inputs.dryRun) {
    return makeResult(ctx, { result: 'succeeded', message: `dry run: would switch ${serviceRefs(ctx, plan.services)} from ${active} back to ${target}`, workloads: reports }, started);
  }
  const check = await verify(ctx, { phase: 'preview', strategy: 'blue-green', namespace: ctx.namespace, workloads: targetRefs, color: target, previewServices: [] });
  if (!check.passed) throw new ActionFailedError(`verification of ${target} failed: not switching back (${check.detail ?? ''})`);
  await log.group(`Switching ${serviceRefs(ctx, plan.services)} back to ${target}`, () => switchTraffic(ctx, plan.services, target));
  const switchedAt = new Date(ctx.services.clock.now()).toISOString();
  const traffic = plan.services.map((s) => ({ service: s.metadata.name ?? '', namespace: s.metadata.namespace ?? ctx.namespace, from: active, to: target, switchedAt }));
  log.notice(`Traffic switched back to ${target}; ${active} keeps running`);
  return makeResult(ctx, { result: 'rolled-back', rolledBack: true, message: `switched traffic from ${active} back to ${target}`, workloads: reports, traffic }, started);
}

export type { Before };
