/**
 * The waiting engine. For every workload, in parallel: `kubectl get -w` streams of the workload, its
 * pods and its ReplicaSets (or ControllerRevisions) — never a poll. The streams are opened *before*
 * the change is applied (`prepareRollouts`), so nothing that happens after the apply is missed or
 * seen late; objects older than the generation the apply produced are ignored. Each change is
 * judged at once:
 * - success = the `kubectl rollout status` rule (status.ts) on the latest object;
 * - fail fast = a pod of the *new* revision (revision.ts) in a state it will not leave by itself
 *   (pod-health.ts), or kubectl's own errors (progress deadline exceeded), or a paused Deployment;
 * - timed out = the `timeout` passed with neither.
 * Status changes are logged as they happen, and a progress line at least every 10 s. On the first
 * failure the other waits are cancelled (failFast), so a rollback can start right away.
 */
import { formatDuration, startProgress, type Clock, type Logger } from '../core/index.js';
import { eventTime, type KubeClient, type KubeWatch, type WatchEvent } from './kubectl.js';
import { describePod, isUnschedulable, podFailure, UNSCHEDULABLE, UNSCHEDULABLE_GRACE_MS, type PodFailure } from './pod-health.js';
import { CONTROLLER_REVISION_HASH, currentRevision, deploymentRevision, isNewPod, observed, POD_TEMPLATE_HASH, type RevisionInfo } from './revision.js';
import { rolloutStatus } from './status.js';
import { imagesOf } from './images.js';
import type { ControllerRevision, KubeEvent, KubeObject, LabelSelector, ObjectRef, Pod, Workload, WorkloadKind } from './types.js';
import { describeRef, refKey, selectorString } from './types.js';

export interface WorkloadRef extends ObjectRef {
  kind: WorkloadKind;
}

export type WaitState = 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'skipped';

export interface EventLine {
  time: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  object: string;
}

export interface WorkloadOutcome {
  ref: WorkloadRef;
  state: WaitState;
  /** kubectl's last status message, or what failed. */
  message: string;
  failure?: PodFailure;
  /** Events of the failing pod (or of the workload), oldest first. */
  events: EventLine[];
  revision?: number;
  images: string[];
  durationMs: number;
  /** Clock time at which the failure was detected. */
  detectedAt?: number;
}

export interface WaitOptions {
  client: KubeClient;
  log: Logger;
  clock: Clock;
  timeoutMs: number;
  /** After the rollout is complete, keep judging its pods this long (a canary's soak). */
  holdMs?: number;
  /** Cancel the other waits on the first failure (default true). */
  failFast?: boolean;
  progressIntervalMs?: number;
  unschedulableGraceMs?: number;
  /** Re-evaluation period for time-based rules (timeouts, grace periods). */
  tickMs?: number;
  /** What is being waited for, in log lines ("rollout", "rollback"). */
  purpose?: string;
}

const MAX_EVENTS = 12;

export function eventLines(events: readonly KubeEvent[]): EventLine[] {
  return events.slice(-MAX_EVENTS).map((e) => ({
    time: new Date(eventTime(e) || 0).toISOString(),
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: (e.message ?? '').trim(),
    count: e.series?.count ?? e.count ?? 1,
    object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`,
  }));
}

/** A workload to watch, and its pod selector when known before it exists (from the manifest). */
export interface WatchTarget {
  ref: WorkloadRef;
  selector?: LabelSelector;
}

class Tracker {
  workload?: Workload;
  readonly pods = new Map<string, Pod>();
  /** ReplicaSets (Deployment) or ControllerRevisions (StatefulSet, DaemonSet), by uid. */
  private readonly revisionObjects = new Map<string, KubeObject>();
  /** Set by `arm()`: judging starts, objects older than this generation are ignored. */
  private armed = false;
  private minGeneration = 0;
  private started = 0;
  info?: RevisionInfo;
  private infoKey?: string;
  private resolving = false;
  private lastResolveAt = 0;
  private readonly unschedulableSince = new Map<string, number>();
  private readonly scalingUp = new Set<string>();
  private readonly eventsChecked = new Set<string>();
  private holdUntil?: number;
  message = 'waiting for the first status';
  outcome?: WorkloadOutcome;
  private readonly watches: KubeWatch[] = [];
  private podWatchSelector?: string;

  constructor(
    readonly ref: WorkloadRef,
    private readonly options: WaitOptions,
    private readonly onFinish: (tracker: Tracker, pending?: Promise<void>) => void,
    private readonly initialSelector?: LabelSelector,
  ) {}

  arm(minGeneration: number | undefined, now: number): void {
    this.armed = true;
    this.started = now;
    this.minGeneration = minGeneration ?? 0;
    if (this.workload && (this.workload.metadata.generation ?? 0) < this.minGeneration) delete this.workload;
    this.evaluate();
  }

  private get label(): string {
    return describeRef(this.ref);
  }

  start(): void {
    const { client } = this.options;
    this.watches.push(
      client.watch(
        { resource: this.ref.kind.toLowerCase(), namespace: this.ref.namespace, name: this.ref.name },
        (event) => this.onWorkloadEvent(event),
        (error) => this.fail(`cannot watch ${this.label}: ${error.message}`),
      ),
    );
    if (this.initialSelector) this.watchSelected(selectorString(this.initialSelector));
  }

  /** A watch error before the tracker is armed is remembered and reported once it is. */
  private pendingError?: string;
  private fail(message: string): void {
    if (this.armed) this.finish('failed', message);
    else this.pendingError = message;
  }

  private watchSelected(selector: string): void {
    if (!selector || selector === this.podWatchSelector) return;
    this.podWatchSelector = selector;
    const { client } = this.options;
    this.watches.push(
      client.watch(
        { resource: 'pods', namespace: this.ref.namespace, selector },
        (podEvent) => this.onPodEvent(podEvent),
        (error) => this.fail(`cannot watch the pods of ${this.label}: ${error.message}`),
      ),
      client.watch(
        { resource: this.ref.kind === 'Deployment' ? 'replicasets' : 'controllerrevisions', namespace: this.ref.namespace, selector },
        (event) => this.onRevisionEvent(event),
        // Revisions can still be listed on demand: a failing stream here is not fatal.
        (error) => this.options.log.debug(`watching the revisions of ${this.label}: ${error.message}`),
      ),
    );
  }

  private onRevisionEvent(event: WatchEvent): void {
    if (this.outcome) return;
    const uid = event.object.metadata.uid ?? event.object.metadata.name ?? '';
    if (event.type === 'DELETED') this.revisionObjects.delete(uid);
    else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.revisionObjects.set(uid, event.object);
    this.evaluate();
  }

  stop(): void {
    for (const watch of this.watches.splice(0)) watch.stop();
  }

  private onWorkloadEvent(event: WatchEvent): void {
    if (this.outcome || event.object.kind !== this.ref.kind) return;
    if (event.type === 'DELETED') {
      if (this.armed) return this.finish('failed', `${this.label} was deleted while its rollout was being watched`);
      delete this.workload;
      return;
    }
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const workload = event.object as Workload;
    // Before the apply (or from a stale list), the object describes the previous spec.
    if ((workload.metadata.generation ?? 0) < this.minGeneration) return;
    this.workload = workload;
    this.watchSelected(selectorString(workload.spec.selector));
    this.evaluate();
  }

  private onPodEvent(event: WatchEvent): void {
    if (this.outcome || event.object.kind !== 'Pod') return;
    const pod = event.object as Pod;
    const uid = pod.metadata.uid ?? pod.metadata.name ?? '';
    if (event.type === 'DELETED') this.pods.delete(uid);
    else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.pods.set(uid, pod);
    this.evaluate();
  }

  private revisionKey(workload: Workload): string {
    return `${workload.metadata.generation ?? 0}/${workload.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? ''}/${workload.kind === 'StatefulSet' ? workload.status?.updateRevision ?? '' : ''}`;
  }

  /** The new revision from the streamed ReplicaSets / ControllerRevisions, when they have it. */
  private revisionFromCache(workload: Workload): RevisionInfo | undefined {
    const owned = [...this.revisionObjects.values()].filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === workload.metadata.uid && r.controller !== false));
    switch (workload.kind) {
      case 'Deployment': {
        const revision = deploymentRevision(workload);
        const rs = owned.find((o) => deploymentRevision(o) === revision);
        const hash = rs?.metadata.labels?.[POD_TEMPLATE_HASH];
        return revision !== undefined && hash ? { revision, hash, hashLabel: POD_TEMPLATE_HASH } : undefined;
      }
      case 'StatefulSet': {
        const name = workload.status?.updateRevision;
        const cr = owned.find((o) => o.metadata.name === name) as ControllerRevision | undefined;
        return name && cr ? { revision: cr.revision, hash: name, hashLabel: CONTROLLER_REVISION_HASH } : undefined;
      }
      case 'DaemonSet':
        // A DaemonSet names no revision in its status: only the newest ControllerRevision it owns,
        // which a lagging stream could still show as the old one. Listed instead (consistent read).
        return undefined;
    }
  }

  private maybeResolveRevision(): void {
    const workload = this.workload;
    if (!workload || !observed(workload) || this.resolving) return;
    const key = this.revisionKey(workload);
    if (key === this.infoKey && this.info?.hash) return;
    const cached = this.revisionFromCache(workload);
    if (cached) {
      this.info = cached;
      this.infoKey = key;
      return;
    }
    const now = this.options.clock.now();
    if (key !== this.infoKey && workload.kind !== 'DaemonSet') {
      // Give the revision stream a moment before asking the API server.
      this.infoKey = key;
      this.lastResolveAt = now;
      delete this.info;
      return;
    }
    if (now - this.lastResolveAt < 1000) return;
    this.resolving = true;
    this.lastResolveAt = now;
    currentRevision(this.options.client, workload)
      .then((info) => {
        this.info = info;
        this.infoKey = key;
      })
      .catch((error: unknown) => this.options.log.debug(`resolving the revision of ${this.label}: ${(error as Error).message}`))
      .finally(() => {
        this.resolving = false;
        this.evaluate();
      });
  }

  newPods(): Pod[] {
    return [...this.pods.values()].filter((p) => isNewPod(p, this.info) && !p.metadata.deletionTimestamp);
  }

  evaluate(): void {
    if (this.outcome || !this.armed) return;
    if (this.pendingError) return this.finish('failed', this.pendingError);
    const now = this.options.clock.now();
    const workload = this.workload;
    if (!workload) {
      this.message = `waiting for ${this.label} to appear`;
      return;
    }
    this.maybeResolveRevision();
    const status = rolloutStatus(workload);
    if (status.error && status.done) return this.finish('skipped', `${status.error} (pods are replaced only when deleted: not waited for)`);
    if (status.error) return this.finish('failed', status.error);
    if (workload.kind === 'Deployment' && workload.spec.paused) {
      return this.finish('failed', `deployment "${workload.metadata.name ?? ''}" is paused: it will not roll out until resumed (kubectl rollout resume)`);
    }
    for (const pod of this.newPods()) {
      const uid = pod.metadata.uid ?? '';
      if (isUnschedulable(pod)) {
        if (!this.unschedulableSince.has(uid)) this.unschedulableSince.set(uid, now);
      } else this.unschedulableSince.delete(uid);
      const failure = podFailure(pod, {
        now,
        scalingUp: this.scalingUp.has(uid),
        unschedulableGraceMs: this.options.unschedulableGraceMs ?? UNSCHEDULABLE_GRACE_MS,
        ...(this.unschedulableSince.has(uid) ? { unschedulableSince: this.unschedulableSince.get(uid) as number } : {}),
      });
      if (!failure) continue;
      if (failure.reason === UNSCHEDULABLE && !this.eventsChecked.has(uid)) {
        // A cluster-autoscaler adding a node says so on the pod: then "unschedulable" is transient.
        this.eventsChecked.add(uid);
        this.options.client
          .events({ kind: 'Pod', name: pod.metadata.name ?? '', namespace: this.ref.namespace })
          .then((events) => {
            if (events.some((e) => e.reason === 'TriggeredScaleUp')) {
              this.scalingUp.add(uid);
              this.options.log.info(`${this.label}: pod ${pod.metadata.name ?? ''} is unschedulable, and a cluster-autoscaler is adding a node for it: waiting`);
            }
          })
          .catch(() => {})
          .finally(() => this.evaluate());
        continue;
      }
      return this.finish('failed', `pod ${failure.pod}${failure.container ? ` container ${failure.container}` : ''}: ${failure.reason}${failure.message ? ` — ${failure.message}` : ''}`, failure);
    }
    if (status.done) {
      if (this.options.holdMs && this.options.holdMs > 0) {
        if (this.holdUntil === undefined) {
          this.holdUntil = now + this.options.holdMs;
          this.setMessage(`${status.message}; watching its pods for ${formatDuration(this.options.holdMs)}`);
        }
        if (now < this.holdUntil) return;
      }
      return this.finish('succeeded', status.message);
    }
    this.setMessage(status.message);
  }

  private setMessage(message: string): void {
    if (message && message !== this.message) {
      this.message = message;
      this.options.log.info(`${this.label}: ${message}`);
    }
  }

  tick(): void {
    if (this.outcome || !this.armed) return;
    const now = this.options.clock.now();
    if (this.holdUntil === undefined && now - this.started >= this.options.timeoutMs) {
      return this.finish('timed-out', `timed out after ${formatDuration(this.options.timeoutMs)}: ${this.message}`);
    }
    this.evaluate();
  }

  finish(state: WaitState, message: string, failure?: PodFailure): void {
    if (this.outcome) return;
    const now = this.options.clock.now();
    this.outcome = {
      ref: this.ref,
      state,
      message,
      events: [],
      images: this.workload ? imagesOf(this.workload) : [],
      durationMs: now - this.started,
      ...(failure ? { failure } : {}),
      ...(this.info?.revision !== undefined ? { revision: this.info.revision } : {}),
      ...(state === 'failed' || state === 'timed-out' ? { detectedAt: now } : {}),
    };
    this.stop();
    let pending: Promise<void> | undefined;
    if (state === 'succeeded' && this.outcome.revision === undefined && this.workload) {
      // Finished before the revision lookup came back (a fast rollout): look it up now.
      const outcome = this.outcome;
      pending = currentRevision(this.options.client, this.workload)
        .then((info) => {
          if (info.revision !== undefined) outcome.revision = info.revision;
        })
        .catch(() => {});
    }
    if (state === 'failed' || state === 'timed-out') {
      const about = failure ? { kind: 'Pod', name: failure.pod, namespace: this.ref.namespace } : this.ref;
      const outcome = this.outcome;
      pending = this.options.client
        .events(about)
        .then((events) => {
          outcome.events = eventLines(events);
        })
        .catch(() => {});
    }
    this.onFinish(this, pending);
  }

  describe(now: number): string {
    const pods = this.newPods();
    const shown = pods.slice(0, 3).map(describePod).join(', ');
    return `${this.label} (${formatDuration(now - this.started)}): ${this.message}${pods.length ? `; new pods: ${shown}${pods.length > 3 ? `, +${pods.length - 3} more` : ''}` : ''}`;
  }
}

export interface PreparedWait {
  /**
   * Judges the given workloads (a subset of the prepared ones; the rest stop being watched) until
   * each has rolled out, failed or timed out. `minGenerations` (by refKey) are the generations the
   * apply produced: older objects are ignored. Resolves with one outcome per ref, in order.
   */
  wait(refs: readonly WorkloadRef[], minGenerations?: ReadonlyMap<string, number>): Promise<WorkloadOutcome[]>;
  /** Stops every watch (idempotent). */
  stop(): void;
}

/** Opens the watches now (before the change is applied); judging starts with `wait()`. */
export function prepareRollouts(targets: readonly WatchTarget[], options: WaitOptions): PreparedWait {
  const { clock, log } = options;
  const failFast = options.failFast ?? true;
  const pending: Promise<void>[] = [];
  let active: Tracker[] = [];
  let resolveAll: () => void = () => {};
  const onFinish = (tracker: Tracker, extra?: Promise<void>): void => {
    if (extra) pending.push(extra);
    const outcome = tracker.outcome as WorkloadOutcome;
    const took = formatDuration(outcome.durationMs);
    if (outcome.state === 'succeeded') log.info(`✓ ${describeRef(tracker.ref)}: ${outcome.message} (${took})`);
    else if (outcome.state === 'skipped') log.warning(`${describeRef(tracker.ref)}: ${outcome.message}`);
    else if (outcome.state !== 'cancelled') log.error(`✗ ${describeRef(tracker.ref)}: ${outcome.message} (after ${took})`);
    if (failFast && (outcome.state === 'failed' || outcome.state === 'timed-out')) {
      for (const other of active) if (!other.outcome) other.finish('cancelled', `not waited for: ${other.message}`);
    }
    if (active.every((t) => t.outcome)) resolveAll();
  };
  const trackers = new Map<string, Tracker>();
  for (const target of targets) {
    const key = refKey(target.ref);
    if (!trackers.has(key)) trackers.set(key, new Tracker(target.ref, options, onFinish, target.selector));
  }
  for (const tracker of trackers.values()) tracker.start();
  const stop = (): void => {
    for (const tracker of trackers.values()) tracker.stop();
  };
  return {
    stop,
    wait: async (refs, minGenerations) => {
      const wanted = new Set(refs.map(refKey));
      for (const [key, tracker] of trackers) if (!wanted.has(key)) tracker.stop();
      active = refs.map((ref) => {
        let tracker = trackers.get(refKey(ref));
        if (!tracker) {
          // Not prepared (not in the manifests as such): watched from now on.
          tracker = new Tracker(ref, options, onFinish);
          trackers.set(refKey(ref), tracker);
          tracker.start();
        }
        return tracker;
      });
      if (active.length === 0) return [];
      const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
      const stopProgress = startProgress(
        log,
        () => {
          const now = clock.now();
          const lines = active.filter((t) => !t.outcome).map((t) => `… ${options.purpose ?? 'rollout'}: ${t.describe(now)}`);
          return lines.join('\n') || `… ${options.purpose ?? 'rollout'}: collecting events`;
        },
        options.progressIntervalMs,
      );
      const ticker = setInterval(() => active.forEach((t) => t.tick()), options.tickMs ?? 250);
      try {
        const now = clock.now();
        for (const tracker of active) tracker.arm(minGenerations?.get(refKey(tracker.ref)), now);
        if (active.every((t) => t.outcome)) resolveAll();
        await allDone;
        await Promise.all(pending);
      } finally {
        clearInterval(ticker);
        stopProgress();
        stop();
      }
      return active.map((t) => t.outcome as WorkloadOutcome);
    },
  };
}

/** Watches and judges at once (the change is already applied). */
export async function waitForRollouts(refs: readonly WorkloadRef[], options: WaitOptions, minGenerations?: ReadonlyMap<string, number>): Promise<WorkloadOutcome[]> {
  return prepareRollouts(
    refs.map((ref) => ({ ref })),
    options,
  ).wait(refs, minGenerations);
}
