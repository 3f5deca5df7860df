/** Inputs → kubectl command lines (table-driven), and the watch stream splitter. */
import { describe, expect, it } from 'vitest';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { createServices, type Exec, type ExecOptions } from '../../../src/core/index.js';
import type { SpawnStream } from '../../../src/core/exec-stream.js';
import { JsonStreamSplitter } from '../../../src/kube/json-stream.js';
import { Kubectl, type KubectlOptions } from '../../../src/kube/kubectl.js';

interface Call {
  file: string;
  args: readonly string[];
  options?: ExecOptions;
}

function kubectl(options: Partial<KubectlOptions> = {}, stdout = '{"kind":"List","items":[]}'): { k: Kubectl; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = async (file, args, opts) => {
    calls.push({ file, args, ...(opts ? { options: opts } : {}) });
    return { exitCode: 0, stdout, stderr: '', durationMs: 1 };
  };
  const services = createServices(new MemoryRunner());
  const spawnStream: SpawnStream = () => ({ done: new Promise(() => {}), stop: () => {} });
  return { k: new Kubectl({ exec, spawnStream, log: services.log, ...options }), calls };
}

const ref = { kind: 'Deployment', name: 'api', namespace: 'prod' };

describe('kubectl command lines', () => {
  it.each<[string, Partial<KubectlOptions>, (k: Kubectl) => string[], string]>([
    ['server-side apply', {}, (k) => k.applyArgs({ namespace: 'prod', serverSide: true, dryRun: false }), 'apply -n prod --server-side --field-manager=shipline --force-conflicts -f - -o json'],
    ['server-side dry run', {}, (k) => k.applyArgs({ namespace: 'prod', serverSide: true, dryRun: true }), 'apply -n prod --server-side --field-manager=shipline --force-conflicts --dry-run=server -f - -o json'],
    ['client-side apply', {}, (k) => k.applyArgs({ namespace: 'dev', serverSide: false, dryRun: false }), 'apply -n dev --field-manager=shipline -f - -o json'],
    ['client-side apply, dry run still on the server', {}, (k) => k.applyArgs({ namespace: 'dev', serverSide: false, dryRun: true }), 'apply -n dev --field-manager=shipline --dry-run=server -f - -o json'],
    ['kubeconfig and context come first', { kubeconfig: '/tmp/rt/kc', context: 'prod-eu' }, (k) => k.applyArgs({ namespace: 'prod', serverSide: true, dryRun: false }), '--kubeconfig /tmp/rt/kc --context prod-eu apply -n prod --server-side --field-manager=shipline --force-conflicts -f - -o json'],
    ['server-side diff', {}, (k) => k.diffArgs({ namespace: 'prod', serverSide: true }), 'diff -n prod --server-side --field-manager=shipline --force-conflicts -f -'],
    ['get one object', {}, (k) => k.getArgs(ref), 'get deployment/api -n prod --ignore-not-found -o json'],
    ['list by selector', {}, (k) => k.listArgs('replicasets', 'prod', 'app=api,tier in (web)'), 'get replicasets -n prod -l app=api,tier in (web) -o json'],
    ['watch one object', {}, (k) => k.watchArgs({ resource: 'deployment', namespace: 'prod', name: 'api' }), 'get deployment -n prod --field-selector metadata.name=api --watch --output-watch-events -o json'],
    ['watch pods by selector', { context: 'c' }, (k) => k.watchArgs({ resource: 'pods', namespace: 'prod', selector: 'app=api' }), '--context c get pods -n prod -l app=api --watch --output-watch-events -o json'],
    ['undo to a revision', {}, (k) => k.undoArgs(ref, 7), 'rollout undo deployment/api -n prod --to-revision=7 -o json'],
    ['undo to the previous revision', {}, (k) => k.undoArgs({ ...ref, kind: 'StatefulSet' }), 'rollout undo statefulset/api -n prod -o json'],
    ['merge patch', {}, (k) => k.patchArgs({ kind: 'Service', name: 'api', namespace: 'prod' }, { spec: { selector: { a: 'b' } } }, 'merge'), 'patch service/api -n prod --type=merge -p {"spec":{"selector":{"a":"b"}}} --field-manager=shipline -o json'],
    ['scale', {}, (k) => k.scaleArgs(ref, 3), 'scale deployment/api -n prod --replicas=3 -o json'],
    ['delete', {}, (k) => k.deleteArgs(ref), 'delete deployment/api -n prod --ignore-not-found --wait=false'],
    ['events of a pod', {}, (k) => k.eventsArgs({ kind: 'Pod', name: 'api-7c-x', namespace: 'prod' }), 'get events -n prod --field-selector involvedObject.name=api-7c-x,involvedObject.kind=Pod -o json'],
  ])('%s', (_name, options, build, expected) => {
    expect(build(kubectl(options).k).join(' ')).toBe(expected);
  });

  it('apply sends every object as one List on stdin, runs the binary it was given, and returns the applied objects', async () => {
    const { k, calls } = kubectl({ binary: '/usr/bin/kubectl' }, JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' } }));
    const applied = await k.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }], { namespace: 'prod', serverSide: true, dryRun: false });
    expect(calls[0]?.file).toBe('/usr/bin/kubectl');
    expect(JSON.parse(String(calls[0]?.options?.input))).toEqual({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] });
    expect(applied.map((o) => o.kind)).toEqual(['Deployment']);
  });

  it('diff accepts exit code 1 (differences found)', async () => {
    const { k, calls } = kubectl({}, 'diff -u …');
    await k.diff([], { namespace: 'prod', serverSide: true });
    expect(calls[0]?.options?.okExitCodes).toEqual([0, 1]);
  });

  it('get of a missing object (empty output with --ignore-not-found) is undefined', async () => {
    const { k } = kubectl({}, '');
    expect(await k.get(ref)).toBeUndefined();
  });
});

describe('JsonStreamSplitter (kubectl get -w -o json output)', () => {
  const pretty = [
    { type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'a' }, status: { message: 'brace } and "quote" and \\ backslash {' } } },
    { type: 'MODIFIED', object: { kind: 'Pod', metadata: { name: 'a' }, list: [1, [2, { x: '[' }]] } },
  ]
    .map((v) => JSON.stringify(v, null, 4))
    .join('\n');

  it.each([1, 2, 3, 7, 64, pretty.length])('splits values whatever the chunk size (%i)', (size) => {
    const values: unknown[] = [];
    const splitter = new JsonStreamSplitter((v) => values.push(v));
    for (let i = 0; i < pretty.length; i += size) splitter.push(pretty.slice(i, i + size));
    expect(values).toHaveLength(2);
    expect((values[0] as { object: { status: { message: string } } }).object.status.message).toBe('brace } and "quote" and \\ backslash {');
    expect((values[1] as { type: string }).type).toBe('MODIFIED');
  });

  it('reports a malformed value and carries on', () => {
    const values: unknown[] = [];
    const errors: string[] = [];
    const splitter = new JsonStreamSplitter((v) => values.push(v), (_e, text) => errors.push(text));
    splitter.push('{"a": tru}\n{"b": 1}');
    expect(values).toEqual([{ b: 1 }]);
    expect(errors).toEqual(['{"a": tru}']);
  });
});
