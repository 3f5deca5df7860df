/**
 * `kubectl`, through the core exec wrapper: every call is echoed (redacted), decided by exit code
 * and `-o json`, never by stderr text. `KubeClient` is the interface the rollout engine and the
 * strategies use; `Kubectl` implements it with the real binary, tests hand in fakes.
 */
import type { Exec, ExecOptions, Logger } from '../core/index.js';
import { ExecError } from '../core/index.js';
import type { SpawnStream, StreamProcess } from '../core/exec-stream.js';
import { JsonStreamSplitter } from './json-stream.js';
import type { KubeEvent, KubeObject, ObjectRef } from './types.js';
import { resourceName } from './types.js';

export const FIELD_MANAGER = 'shipline';

export interface ApplyOptions {
  /** Namespace for objects that do not name one (`-n`). */
  namespace: string;
  serverSide: boolean;
  /** Server-side dry run: validated and admitted by the API server, nothing persisted. */
  dryRun: boolean;
}

export interface WatchQuery {
  /** A resource type kubectl knows (`deployment`, `pods`). */
  resource: string;
  namespace: string;
  name?: string;
  selector?: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface KubeWatch {
  stop(): void;
}

export interface KubeClient {
  apply(objects: readonly KubeObject[], options: ApplyOptions): Promise<KubeObject[]>;
  /** A unified diff of what `apply` would change (empty when nothing). */
  diff(objects: readonly KubeObject[], options: Omit<ApplyOptions, 'dryRun'>): Promise<string>;
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(resource: string, namespace: string, selector?: string): Promise<T[]>;
  /**
   * Streams changes: the current objects first (as ADDED), then every change. Restarts by itself
   * when the stream drops; `onError` is called once if it keeps failing.
   */
  watch(query: WatchQuery, onEvent: (event: WatchEvent) => void, onError: (error: Error) => void): KubeWatch;
  /** `kubectl rollout undo` (to the previous revision when `toRevision` is undefined); the object after it, when printed. */
  undo(ref: ObjectRef, toRevision?: number): Promise<KubeObject | undefined>;
  patch(ref: ObjectRef, patch: unknown, type: 'merge' | 'strategic' | 'json'): Promise<KubeObject>;
  /** The object after scaling, when printed. */
  scale(ref: ObjectRef, replicas: number): Promise<KubeObject | undefined>;
  delete(ref: ObjectRef): Promise<void>;
  /** Events about one object, oldest first. */
  events(ref: ObjectRef): Promise<KubeEvent[]>;
  /** The namespace of the current context, if it sets one (read locally, no API call). */
  contextNamespace(): Promise<string | undefined>;
}

export interface KubectlOptions {
  exec: Exec;
  spawnStream: SpawnStream;
  log: Logger;
  kubeconfig?: string;
  context?: string;
  /** The kubectl binary (default `kubectl` on PATH). */
  binary?: string;
  /** Delay before restarting a dropped watch. */
  watchRestartMs?: number;
}

function asList<T>(parsed: unknown): T[] {
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { items?: unknown }).items)) return (parsed as { items: T[] }).items;
  return parsed ? [parsed as T] : [];
}

/** The JSON `kubectl apply -f -` reads: one List holding every object. */
export function toListDocument(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}

export class Kubectl implements KubeClient {
  readonly binary: string;
  private readonly watchRestartMs: number;

  constructor(private readonly options: KubectlOptions) {
    this.binary = options.binary ?? 'kubectl';
    this.watchRestartMs = options.watchRestartMs ?? 1000;
  }

  /** `--kubeconfig` / `--context`, first on every command line. */
  globalArgs(): string[] {
    const args: string[] = [];
    if (this.options.kubeconfig) args.push('--kubeconfig', this.options.kubeconfig);
    if (this.options.context) args.push('--context', this.options.context);
    return args;
  }

  applyArgs(options: ApplyOptions): string[] {
    const args = [...this.globalArgs(), 'apply', '-n', options.namespace];
    if (options.serverSide) args.push('--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts');
    else args.push(`--field-manager=${FIELD_MANAGER}`);
    if (options.dryRun) args.push('--dry-run=server');
    args.push('-f', '-', '-o', 'json');
    return args;
  }

  diffArgs(options: Omit<ApplyOptions, 'dryRun'>): string[] {
    const args = [...this.globalArgs(), 'diff', '-n', options.namespace];
    if (options.serverSide) args.push('--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts');
    else args.push(`--field-manager=${FIELD_MANAGER}`);
    args.push('-f', '-');
    return args;
  }

  getArgs(ref: ObjectRef): string[] {
    return [...this.globalArgs(), 'get', resourceName(ref), '-n', ref.namespace, '--ignore-not-found', '-o', 'json'];
  }

  listArgs(resource: string, namespace: string, selector?: string): string[] {
    return [...this.globalArgs(), 'get', resource, '-n', namespace, ...(selector ? ['-l', selector] : []), '-o', 'json'];
  }

  watchArgs(query: WatchQuery): string[] {
    return [
      ...this.globalArgs(),
      'get',
      query.resource,
      '-n',
      query.namespace,
      ...(query.name ? ['--field-selector', `metadata.name=${query.name}`] : []),
      ...(query.selector ? ['-l', query.selector] : []),
      '--watch',
      '--output-watch-events',
      '-o',
      'json',
    ];
  }

  undoArgs(ref: ObjectRef, toRevision?: number): string[] {
    return [...this.globalArgs(), 'rollout', 'undo', resourceName(ref), '-n', ref.namespace, ...(toRevision !== undefined ? [`--to-revision=${toRevision}`] : []), '-o', 'json'];
  }

  patchArgs(ref: ObjectRef, patch: unknown, type: 'merge' | 'strategic' | 'json'): string[] {
    return [...this.globalArgs(), 'patch', resourceName(ref), '-n', ref.namespace, `--type=${type}`, '-p', JSON.stringify(patch), `--field-manager=${FIELD_MANAGER}`, '-o', 'json'];
  }

  scaleArgs(ref: ObjectRef, replicas: number): string[] {
    return [...this.globalArgs(), 'scale', resourceName(ref), '-n', ref.namespace, `--replicas=${replicas}`, '-o', 'json'];
  }

  deleteArgs(ref: ObjectRef): string[] {
    return [...this.globalArgs(), 'delete', resourceName(ref), '-n', ref.namespace, '--ignore-not-found', '--wait=false'];
  }

  eventsArgs(ref: ObjectRef): string[] {
    return [...this.globalArgs(), 'get', 'events', '-n', ref.namespace, '--field-selector', `involvedObject.name=${ref.name},involvedObject.kind=${ref.kind}`, '-o', 'json'];
  }

  private run(args: string[], options?: ExecOptions): ReturnType<Exec> {
    return this.options.exec(this.binary, args, options);
  }

  async apply(objects: readonly KubeObject[], options: ApplyOptions): Promise<KubeObject[]> {
    const result = await this.run(this.applyArgs(options), { input: toListDocument(objects) });
    return asList<KubeObject>(result.stdout.trim() ? JSON.parse(result.stdout) : undefined);
  }

  async diff(objects: readonly KubeObject[], options: Omit<ApplyOptions, 'dryRun'>): Promise<string> {
    const result = await this.run(this.diffArgs(options), { input: toListDocument(objects), okExitCodes: [0, 1] });
    return result.stdout;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const result = await this.run(this.getArgs(ref), { silent: true });
    return result.stdout.trim() ? (JSON.parse(result.stdout) as T) : undefined;
  }

  async list<T extends KubeObject = KubeObject>(resource: string, namespace: string, selector?: string): Promise<T[]> {
    const result = await this.run(this.listArgs(resource, namespace, selector), { silent: true });
    return asList<T>(result.stdout.trim() ? JSON.parse(result.stdout) : undefined);
  }

  watch(query: WatchQuery, onEvent: (event: WatchEvent) => void, onError: (error: Error) => void): KubeWatch {
    let stopped = false;
    let current: StreamProcess | undefined;
    let failuresInARow = 0;
    const args = this.watchArgs(query);
    const loop = async (): Promise<void> => {
      let first = true;
      while (!stopped) {
        const splitter = new JsonStreamSplitter((value) => {
          const event = value as Partial<WatchEvent>;
          if (event && typeof event === 'object' && event.type && event.object) onEvent(event as WatchEvent);
        });
        const started = Date.now();
        let sawData = false;
        current = this.options.spawnStream(this.binary, args, (chunk) => {
          sawData = true;
          splitter.push(chunk);
        }, { silent: !first });
        first = false;
        const exit = await current.done;
        if (stopped || exit.stopped) return;
        if (exit.spawnError) return onError(new Error(exit.spawnError));
        // A watch that ran a while (or streamed) and then ended is a normal server-side close: restart.
        failuresInARow = sawData || Date.now() - started > 10_000 ? 0 : failuresInARow + 1;
        if (failuresInARow >= 4) {
          const tail = exit.stderr.trim().split('\n').slice(-3).join(' | ');
          return onError(new Error(`kubectl ${args.slice(this.globalArgs().length, this.globalArgs().length + 2).join(' ')} --watch keeps failing (exit code ${exit.exitCode})${tail ? `: ${tail}` : ''}`));
        }
        this.options.log.debug(`watch of ${query.resource} in ${query.namespace} ended (exit ${exit.exitCode}); restarting`);
        await new Promise((resolve) => setTimeout(resolve, this.watchRestartMs * Math.max(1, failuresInARow)));
      }
    };
    void loop().catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
    return {
      stop: () => {
        stopped = true;
        current?.stop();
      },
    };
  }

  async undo(ref: ObjectRef, toRevision?: number): Promise<KubeObject | undefined> {
    return parseObject((await this.run(this.undoArgs(ref, toRevision))).stdout);
  }

  async patch(ref: ObjectRef, patch: unknown, type: 'merge' | 'strategic' | 'json'): Promise<KubeObject> {
    const result = await this.run(this.patchArgs(ref, patch, type));
    return JSON.parse(result.stdout) as KubeObject;
  }

  async scale(ref: ObjectRef, replicas: number): Promise<KubeObject | undefined> {
    return parseObject((await this.run(this.scaleArgs(ref, replicas))).stdout);
  }

  async delete(ref: ObjectRef): Promise<void> {
    await this.run(this.deleteArgs(ref));
  }

  async events(ref: ObjectRef): Promise<KubeEvent[]> {
    const result = await this.run(this.eventsArgs(ref), { silent: true });
    const events = asList<KubeEvent>(result.stdout.trim() ? JSON.parse(result.stdout) : undefined);
    return events.sort((a, b) => eventTime(a) - eventTime(b));
  }

  async contextNamespace(): Promise<string | undefined> {
    try {
      const result = await this.run([...this.globalArgs(), 'config', 'view', '--minify', '-o', 'json'], { silent: true });
      const config = JSON.parse(result.stdout) as { contexts?: { context?: { namespace?: string } }[] };
      return config.contexts?.[0]?.context?.namespace || undefined;
    } catch (error) {
      if (error instanceof ExecError) return undefined;
      throw error;
    }
  }

  /** `kubectl kustomize DIR`: renders a kustomization locally (no cluster). */
  async kustomize(dir: string): Promise<string> {
    const result = await this.run(['kustomize', dir], { silent: true });
    return result.stdout;
  }
}

/** The object kubectl printed with `-o json`, or undefined when it printed something else (a skip notice). */
function parseObject(stdout: string): KubeObject | undefined {
  const text = stdout.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as KubeObject;
    return value && typeof value === 'object' && value.metadata ? value : undefined;
  } catch {
    return undefined;
  }
}

/** When an event last happened, in ms (events carry one of three timestamps). */
export function eventTime(event: KubeEvent): number {
  const stamp = event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return stamp ? Date.parse(stamp) : 0;
}
