/**
 * Loading the `manifests` input from the sample files in test/fixtures/kube: files, globs,
 * directories, multi-document YAML, Lists, and kustomize directories rendered by the real
 * `kubectl kustomize` (local, no cluster).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/core/index.js';
import { globFiles } from '../../../src/kube/glob.js';
import { loadManifests } from '../../../src/kube/manifest.js';

const workspace = join(import.meta.dirname, '..', '..', 'fixtures', 'kube');
const kubectlAvailable = (() => {
  try {
    execFileSync('kubectl', ['version', '--client', '-o', 'json'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!kubectlAvailable) console.log('kustomize tests skipped: install kubectl (the machine image ships /usr/bin/kubectl)');
const kustomize = async (dir: string): Promise<string> => execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const load = (entries: string[]): ReturnType<typeof loadManifests> => loadManifests(entries, { workspace, kustomize });
const names = async (entries: string[]): Promise<string[]> => (await load(entries)).map((m) => `${m.source}:${m.line ?? '?'} ${m.object.kind}/${m.object.metadata.name ?? ''}`);

describe('loadManifests', () => {
  it('a directory: its .yaml/.yml/.json files in order, multi-document, with the line of each object', async () => {
    expect(await names(['manifests/app'])).toEqual(['manifests/app/config.json:1 ConfigMap/api-config', 'manifests/app/deployment.yaml:2 Deployment/api', 'manifests/app/deployment.yaml:25 Service/api']);
  });

  it('a List is flattened; namespaces in the manifests are kept', async () => {
    const manifests = await load(['manifests/list.yaml']);
    expect(manifests.map((m) => [m.object.kind, m.object.metadata.namespace])).toEqual([
      ['DaemonSet', 'monitoring'],
      ['StatefulSet', undefined],
    ]);
  });

  it('globs (with ** and {a,b}) and files, each file once', async () => {
    expect(await names(['manifests/app/*.{yaml,json}', '**/l?st.yaml', 'manifests/list.yaml'])).toEqual([
      'manifests/app/config.json:1 ConfigMap/api-config',
      'manifests/app/deployment.yaml:2 Deployment/api',
      'manifests/app/deployment.yaml:25 Service/api',
      'manifests/list.yaml:1 DaemonSet/agent',
      'manifests/list.yaml:1 StatefulSet/db',
    ]);
  });

  it.skipIf(!kubectlAvailable)('a kustomize directory is rendered by kubectl kustomize (namespace, prefix, images transformer)', async () => {
    const manifests = await load(['kustomize/overlay']);
    const deployment = manifests.find((m) => m.object.kind === 'Deployment');
    expect(deployment?.source).toBe('kustomize:kustomize/overlay');
    expect(deployment?.object.metadata).toMatchObject({ name: 'staging-web', namespace: 'staging' });
    expect(JSON.stringify(deployment?.object)).toContain('registry:5000/acme/web:v2');
    expect(manifests.some((m) => m.object.kind === 'ConfigMap' && m.object.metadata.name?.startsWith('staging-web-env-'))).toBe(true);
  });

  it.skipIf(!kubectlAvailable)('a broken kustomization is an input error carrying kustomize\'s reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
    await expect(loadManifests([dir], { workspace, kustomize })).rejects.toThrow(/^Input 'manifests': kustomize .*missing\.yaml/);
  });

  it.each([
    [[], "Input 'manifests': is required: give files, globs, directories or kustomize directories"],
    [['nope.yaml'], "Input 'manifests': 'nope.yaml' does not exist (relative to "],
    [['manifests/*.yml'], "Input 'manifests': 'manifests/*.yml' matched no .yaml, .yml or .json files"],
    [['kustomize'], "Input 'manifests': directory 'kustomize' holds no .yaml, .yml or .json files (and no kustomization.yaml)"],
    [['manifests/broken.yaml'], "Input 'manifests': manifests/broken.yaml:11:1: malformed YAML: "],
    [['manifests/not-k8s.yaml'], "Input 'manifests': manifests/not-k8s.yaml:5: document 2 is not a Kubernetes object (it needs apiVersion and kind)"],
    [['manifests/app', 'manifests/app/deployment.yaml', 'manifests/app/../app/deployment.yaml'], null],
  ])('%j', async (entries, message) => {
    if (message === null) {
      // the same file reached twice is loaded once
      expect(await load(entries)).toHaveLength(3);
      return;
    }
    const error = await load(entries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message.startsWith(message)).toBe(true);
  });

  it('refuses an object defined twice, naming both places', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dup-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    writeFileSync(join(dir, 'b.yaml'), '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    await expect(loadManifests([dir], { workspace: dir, kustomize })).rejects.toThrow("Input 'manifests': ConfigMap x is defined twice (a.yaml:1 and b.yaml:2)");
  });

  it('refuses a document with no metadata.name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noname-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n');
    await expect(loadManifests(['a.yaml'], { workspace: dir, kustomize })).rejects.toThrow("Input 'manifests': a.yaml:1: ConfigMap has no metadata.name");
  });
});

describe('globFiles', () => {
  it.each([
    ['manifests/*.yaml', ['manifests/broken.yaml', 'manifests/list.yaml', 'manifests/not-k8s.yaml']],
    ['manifests/app/*', ['manifests/app/config.json', 'manifests/app/deployment.yaml', 'manifests/app/notes.txt']],
    ['**/kustomization.yaml', ['kustomize/base/kustomization.yaml', 'kustomize/overlay/kustomization.yaml']],
    ['manifests/[bl]*.yaml', ['manifests/broken.yaml', 'manifests/list.yaml']],
    ['manifests/app/?onfig.json', ['manifests/app/config.json']],
  ])('%s', (pattern, expected) => {
    expect(globFiles(pattern, workspace).map((f) => f.slice(workspace.length + 1))).toEqual(expected);
  });
});
