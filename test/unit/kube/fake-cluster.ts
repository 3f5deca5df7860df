/**
 * An in-memory KubeClient for unit tests of the engine and the strategies: objects, watches (ADDED
 * for what exists, then every change), and a small Deployment controller that behaves like the real
 * one in the ways the rollout engine reads (generation / observedGeneration, the revision annotation,
 * a ReplicaSet per template with pod-template-hash, pods whose state follows their image the way the
 * test cluster's kwok stages do: *broken* → ImagePullBackOff, *crashloop* → CrashLoopBackOff,
 * *slow* → running, never ready; anything else → ready). Every call is recorded in `calls`.
 */
import { createHash } from 'node:crypto';
import { ExecError } from '../../../src/core/index.js';
import type { ApplyOptions, KubeClient, KubeWatch, WatchEvent, WatchQuery } from '../../../src/kube/kubectl.js';
import type { Deployment, KubeEvent, KubeObject, ObjectRef, Pod } from '../../../src/kube/types.js';
import { selectorMatches } from '../../../src/kube/types.js';

const RESOURCE_KIND: Record<string, string> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet', pods: 'Pod', replicasets: 'ReplicaSet', controllerrevisions: 'ControllerRevision', service: 'Service' };

function parseSelector(selector: string): Record<string, string> {
  return Object.fromEntries(
    selector
      .split(',')
      .filter(Boolean)
      .map((part) => part.split('=') as [string, string]),
  );
}

interface Watcher {
  query: WatchQuery;
  onEvent: (event: WatchEvent) => void;
}

export class FakeCluster implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly history = new Map<string, { revision: number; template: string }[]>();
  private uid = 0;
  /** Delay of the fake controller's reactions (ms). */
  controllerDelayMs = 5;
  /** Set to make `apply` fail like an admission rejection. */
  rejectApply?: string;

  private key(kind: string, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  private emit(type: WatchEvent['type'], object: KubeObject): void {
    for (const watcher of this.watchers) if (this.matches(watcher.query, object)) watcher.onEvent({ type, object: structuredClone(object) });
  }

  private matches(query: WatchQuery, object: KubeObject): boolean {
    if (RESOURCE_KIND[query.resource] !== object.kind) return false;
    if ((object.metadata.namespace ?? '') !== query.namespace) return false;
    if (query.name && object.metadata.name !== query.name) return false;
    if (query.selector && !selectorMatches({ matchLabels: parseSelector(query.selector) }, object.metadata.labels)) return false;
    return true;
  }

  put(object: KubeObject): KubeObject {
    const key = this.key(object.kind, object.metadata.namespace ?? '', object.metadata.name ?? '');
    const existed = this.objects.has(key);
    object.metadata.uid ??= `uid-${++this.uid}`;
    this.objects.set(key, object);
    this.emit(existed ? 'MODIFIED' : 'ADDED', object);
    return object;
  }

  private remove(object: KubeObject): void {
    this.objects.delete(this.key(object.kind, object.metadata.namespace ?? '', object.metadata.name ?? ''));
    this.emit('DELETED', object);
  }

  deployment(namespace: string, name: string): Deployment | undefined {
    return this.objects.get(this.key('Deployment', namespace, name)) as Deployment | undefined;
  }

  podsOf(namespace: string, name: string): Pod[] {
    return [...this.objects.values()].filter((o): o is Pod => o.kind === 'Pod' && o.metadata.namespace === namespace && (o.metadata.name ?? '').startsWith(`${name}-`) && !(o.metadata.name ?? '').startsWith(`${name}-canary-`));
  }

  async apply(objects: readonly KubeObject[], options: ApplyOptions): Promise<KubeObject[]> {
    this.calls.push(`apply${options.dryRun ? ' --dry-run' : ''} ${objects.map((o) => `${o.kind}/${o.metadata.name ?? ''}`).join(',')}`);
    if (this.rejectApply) throw new ExecError('kubectl apply', 1, this.rejectApply, '');
    if (options.dryRun) return objects.map((o) => structuredClone(o));
    const applied: KubeObject[] = [];
    for (const input of objects) {
      const object = structuredClone(input);
      object.metadata.namespace ??= options.namespace;
      const existing = this.objects.get(this.key(object.kind, object.metadata.namespace, object.metadata.name ?? ''));
      const specChanged = !existing || JSON.stringify(existing['spec']) !== JSON.stringify(object['spec']);
      object.metadata.uid = existing?.metadata.uid;
      object.metadata.generation = existing ? (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0) : 1;
      if (existing?.['status']) object['status'] = existing['status'];
      if (object.kind === 'Deployment') {
        const d = object as Deployment;
        d.spec.replicas ??= (existing as Deployment | undefined)?.spec.replicas ?? 1;
        d.metadata.annotations = { ...(existing?.metadata.annotations ?? {}), ...(object.metadata.annotations ?? {}) };
        if (existing?.metadata.annotations?.['deployment.kubernetes.io/revision']) d.metadata.annotations['deployment.kubernetes.io/revision'] = existing.metadata.annotations['deployment.kubernetes.io/revision'];
      }
      applied.push(structuredClone(this.put(object)));
      if (object.kind === 'Deployment' && specChanged) this.reconcileSoon(object as Deployment);
    }
    return applied;
  }

  private reconcileSoon(d: Deployment): void {
    setTimeout(() => this.reconcile(d.metadata.namespace ?? '', d.metadata.name ?? ''), this.controllerDelayMs);
  }

  /** The fake Deployment controller: one pass, then another while pods settle. */
  private reconcile(namespace: string, name: string): void {
    const d = this.deployment(namespace, name);
    if (!d) return;
    const key = `${namespace}/${name}`;
    const template = JSON.stringify(d.spec.template);
    const history = this.history.get(key) ?? [];
    const max = history.reduce((m, h) => Math.max(m, h.revision), 0);
    let entry = history.find((h) => h.template === template);
    if (!entry) {
      entry = { revision: max + 1, template };
      history.push(entry);
    } else if (entry.revision !== max) entry.revision = max + 1;
    this.history.set(key, history);
    const hash = createHash('sha256').update(template).digest('hex').slice(0, 8);
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': String(entry.revision) };
    const labels = d.spec.template.metadata?.labels ?? {};
    this.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${name}-${hash}`, namespace, labels: { ...labels, 'pod-template-hash': hash }, annotations: { 'deployment.kubernetes.io/revision': String(entry.revision) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid ?? '', controller: true }] },
    });
    const replicas = d.spec.replicas ?? 1;
    const all = [...this.objects.values()].filter((o): o is Pod => o.kind === 'Pod' && o.metadata.namespace === namespace && o.metadata.ownerReferences?.[0]?.name === name);
    let fresh = all.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    const image = d.spec.template.spec?.containers?.[0]?.image ?? '';
    for (let i = fresh.length; i < replicas; i++) fresh.push(this.put(this.pod(namespace, name, hash, labels, image, i)) as Pod);
    for (const extra of fresh.slice(replicas)) this.remove(extra);
    fresh = fresh.slice(0, replicas);
    const ready = fresh.filter((p) => p.status?.containerStatuses?.[0]?.ready).length;
    const old = all.filter((p) => p.metadata.labels?.['pod-template-hash'] !== hash);
    if (ready === replicas) for (const p of old) this.remove(p);
    const oldLeft = ready === replicas ? 0 : old.length;
    d['status'] = {
      observedGeneration: d.metadata.generation,
      replicas: replicas + oldLeft,
      updatedReplicas: replicas,
      readyReplicas: ready + oldLeft,
      availableReplicas: ready + oldLeft,
      conditions: [{ type: 'Progressing', status: 'True', reason: ready === replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated' }],
    };
    this.put(d);
  }

  private pod(namespace: string, owner: string, hash: string, labels: Record<string, string>, image: string, i: number): Pod {
    const waiting = image.includes('broken') ? { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } : image.includes('crashloop') ? { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } : undefined;
    const ready = !waiting && !image.includes('slow');
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${owner}-${hash}-${i}`, namespace, labels: { ...labels, 'pod-template-hash': hash }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: 'rs', controller: true }] },
      spec: { containers: [{ name: 'app', image }] },
      status: {
        phase: waiting ? 'Pending' : 'Running',
        containerStatuses: [{ name: 'app', image, ready, restartCount: waiting?.reason === 'CrashLoopBackOff' ? 3 : 0, state: waiting ? { waiting } : { running: {} } }],
      },
    };
  }

  async diff(): Promise<string> {
    return '';
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const object = this.objects.get(this.key(ref.kind, ref.namespace, ref.name));
    return object ? (structuredClone(object) as T) : undefined;
  }

  async list<T extends KubeObject = KubeObject>(resource: string, namespace: string, selector?: string): Promise<T[]> {
    return [...this.objects.values()].filter((o) => this.matches({ resource, namespace, ...(selector ? { selector } : {}) }, o)).map((o) => structuredClone(o) as T);
  }

  watch(query: WatchQuery, onEvent: (event: WatchEvent) => void): KubeWatch {
    const watcher: Watcher = { query, onEvent };
    setTimeout(() => {
      for (const object of this.objects.values()) if (this.matches(query, object)) onEvent({ type: 'ADDED', object: structuredClone(object) });
      this.watchers.add(watcher);
    }, 1);
    return { stop: () => this.watchers.delete(watcher) };
  }

  async undo(ref: ObjectRef, toRevision?: number): Promise<KubeObject | undefined> {
    this.calls.push(`undo ${ref.kind}/${ref.name} --to-revision=${toRevision ?? 'previous'}`);
    const d = this.deployment(ref.namespace, ref.name);
    const entry = this.history.get(`${ref.namespace}/${ref.name}`)?.find((h) => h.revision === toRevision);
    if (!d || !entry) throw new Error(`no revision ${toRevision}`);
    d.spec.template = JSON.parse(entry.template) as Deployment['spec']['template'];
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    this.put(d);
    this.reconcileSoon(d);
    return structuredClone(d);
  }

  async patch(ref: ObjectRef): Promise<KubeObject> {
    this.calls.push(`patch ${ref.kind}/${ref.name}`);
    return (await this.get(ref)) as KubeObject;
  }

  async scale(ref: ObjectRef, replicas: number): Promise<KubeObject | undefined> {
    this.calls.push(`scale ${ref.kind}/${ref.name} ${replicas}`);
    const d = this.deployment(ref.namespace, ref.name);
    if (!d) throw new Error('not found');
    d.spec.replicas = replicas;
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    this.put(d);
    this.reconcileSoon(d);
    return structuredClone(d);
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.calls.push(`delete ${ref.kind}/${ref.name}`);
    const object = this.objects.get(this.key(ref.kind, ref.namespace, ref.name));
    if (!object) return;
    this.remove(object);
    for (const o of [...this.objects.values()]) if (o.metadata.ownerReferences?.[0]?.name === ref.name) this.remove(o);
  }

  async events(ref: ObjectRef): Promise<KubeEvent[]> {
    return [{ apiVersion: 'v1', kind: 'Event', metadata: { name: `${ref.name}.1` }, reason: 'BackOff', message: `fake event about ${ref.name}`, type: 'Warning', count: 2, involvedObject: { kind: ref.kind, name: ref.name } }];
  }

  async contextNamespace(): Promise<string | undefined> {
    return undefined;
  }
}
