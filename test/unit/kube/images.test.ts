import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/core/index.js';
import { containersOf, imagesOf, parseImageOverrides, substituteImages } from '../../../src/kube/images.js';
import type { KubeObject } from '../../../src/kube/types.js';

const D = 'sha256:' + 'b'.repeat(64);

function deployment(containers: Record<string, string>, init: Record<string, string> = {}): KubeObject {
  const list = (m: Record<string, string>): { name: string; image: string }[] => Object.entries(m).map(([name, image]) => ({ name, image }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: list(containers), ...(Object.keys(init).length ? { initContainers: list(init) } : {}) } } },
  };
}

function cronJob(image: string): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image }] } } } } } };
}

const imagesAfter = (objects: KubeObject[], lines: string[]): string[][] => {
  substituteImages(objects, parseImageOverrides(lines));
  return objects.map(imagesOf);
};

describe('image substitution', () => {
  it.each<{ what: string; containers: Record<string, string>; init?: Record<string, string>; lines: string[]; expected: string[] }>([
    {
      what: 'a registry with a port is not mistaken for a tag',
      containers: { api: 'registry:5000/app:v1' },
      lines: ['registry:5000/app:v2'],
      expected: ['registry:5000/app:v2'],
    },
    {
      what: 'only the matching repository changes (app-sidecar and another registry untouched)',
      containers: { api: 'registry:5000/app:v1', side: 'registry:5000/app-sidecar:v1', other: 'registry:5001/app:v1' },
      lines: ['registry:5000/app:v2'],
      expected: ['registry:5000/app:v2', 'registry:5000/app-sidecar:v1', 'registry:5001/app:v1'],
    },
    {
      what: 'a digest replaces a tag',
      containers: { api: 'ghcr.io/acme/api:v1' },
      lines: [`ghcr.io/acme/api@${D}`],
      expected: [`ghcr.io/acme/api@${D}`],
    },
    {
      what: 'a tag replaces a digest',
      containers: { api: `ghcr.io/acme/api@${D}` },
      lines: ['ghcr.io/acme/api:v3'],
      expected: ['ghcr.io/acme/api:v3'],
    },
    {
      what: 'Docker Hub short and long names are the same repository',
      containers: { web: 'nginx' },
      lines: ['docker.io/library/nginx:1.27'],
      expected: ['docker.io/library/nginx:1.27'],
    },
    {
      what: 'init containers are substituted too',
      containers: { api: 'registry:5000/app:v1' },
      init: { migrate: 'registry:5000/app:v1' },
      lines: ['registry:5000/app:v2'],
      expected: ['registry:5000/app:v2', 'registry:5000/app:v2'],
    },
    {
      what: 'container=ref sets one container by name, whatever its image',
      containers: { api: 'registry:5000/app:v1', side: 'registry:5000/app:v1' },
      lines: ['side=quay.io/acme/side:v9'],
      expected: ['registry:5000/app:v1', 'quay.io/acme/side:v9'],
    },
    {
      what: 'a name beats a repository match, * catches the rest',
      containers: { a: 'x/a:1', b: 'x/b:1', c: 'x/c:1' },
      lines: ['a=x/a:2', 'x/b:2', '*=x/z:9'],
      expected: ['x/a:2', 'x/b:2', 'x/z:9'],
    },
  ])('$what', ({ containers, init, lines, expected }) => {
    const [images] = imagesAfter([deployment(containers, init ?? {})], lines);
    expect((images ?? []).sort()).toEqual([...expected].sort());
  });

  it('substitutes in every kind with a pod template (CronJob included) and reports each change', () => {
    const objects = [deployment({ api: 'registry:5000/app:v1' }), cronJob('registry:5000/app:v1')];
    const changes = substituteImages(objects, parseImageOverrides(['registry:5000/app:v2']));
    expect(changes).toEqual([
      { kind: 'Deployment', name: 'api', container: 'api', from: 'registry:5000/app:v1', to: 'registry:5000/app:v2' },
      { kind: 'CronJob', name: 'nightly', container: 'job', from: 'registry:5000/app:v1', to: 'registry:5000/app:v2' },
    ]);
    expect(containersOf(objects[1] as KubeObject)[0]?.image).toBe('registry:5000/app:v2');
  });

  it.each([
    [['registry:5000/nope:v2'], "Input 'images': 'registry:5000/nope:v2' matches nothing in the manifests: no container image is in repository registry:5000/nope (containers: api=registry:5000/app:v1)"],
    [['worker=registry:5000/app:v2'], "Input 'images': 'worker=registry:5000/app:v2' matches nothing in the manifests: no container is named 'worker' (containers: api=registry:5000/app:v1)"],
  ])('an override that matches nothing is an error naming the input: %j', (lines, message) => {
    expect(() => substituteImages([deployment({ api: 'registry:5000/app:v1' })], parseImageOverrides(lines))).toThrow(message);
  });

  it.each([
    [['Registry:5000/App:v2'], "repository names must be lower-case ('App')"],
    [['Bad_Name=app:v1'], "'Bad_Name' is not a container name"],
    [['app:v1', 'docker.io/library/app:v2'], "both set the image of docker.io/library/app"],
    [['a=x:1', 'a=y:1'], 'both set the image of container a'],
  ])('parseImageOverrides rejects %j', (lines, message) => {
    const error = (() => {
      try {
        parseImageOverrides(lines);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
  });
});
