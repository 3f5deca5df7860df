/**
 * Image substitution in manifests. The `images` input holds one override per line:
 *
 *   registry:5000/team/api:v2            a bare reference: replaces every container (and init
 *   ghcr.io/acme/api@sha256:…             container) whose image is the same repository, whatever
 *                                        its tag or digest; other repositories are never touched
 *   api=registry:5000/team/api:v2        `container=reference`, as `kubectl set image`: by container name
 *   *=registry:5000/team/api:v2          every container
 *
 * References are parsed properly (see reference.ts): a registry port is not a tag, `nginx` and
 * `docker.io/library/nginx` are the same repository, `app` and `app-sidecar` are not.
 */
import { ConfigurationError } from '../core/index.js';
import { parseImageRef, repositoryOf, sameRepository, type ImageRef } from './reference.js';
import type { Container, KubeObject, PodSpec } from './types.js';

export interface ImageOverride {
  /** Container name, `*`, or undefined for "match by repository". */
  container?: string;
  ref: ImageRef;
  /** The line as written. */
  text: string;
}

export interface ImageChange {
  kind: string;
  name: string;
  container: string;
  from: string;
  to: string;
}

const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseImageOverrides(lines: readonly string[], inputName = 'images'): ImageOverride[] {
  const overrides: ImageOverride[] = [];
  for (const line of lines) {
    const eq = line.indexOf('=');
    let container: string | undefined;
    let refText = line;
    if (eq >= 0) {
      container = line.slice(0, eq).trim();
      refText = line.slice(eq + 1).trim();
      if (container !== '*' && !CONTAINER_NAME.test(container)) {
        throw new ConfigurationError(inputName, `'${line}': '${container}' is not a container name (use name=reference, *=reference, or a bare reference)`);
      }
    }
    const ref = parseImageRef(refText);
    if (typeof ref === 'string') throw new ConfigurationError(inputName, ref);
    overrides.push({ ref, text: line, ...(container !== undefined ? { container } : {}) });
  }
  const seen = new Map<string, string>();
  for (const o of overrides) {
    const key = o.container !== undefined ? `container:${o.container}` : `repo:${repositoryOf(o.ref)}`;
    const previous = seen.get(key);
    if (previous) throw new ConfigurationError(inputName, `'${o.text}' and '${previous}' both set the image of ${o.container !== undefined ? `container ${o.container}` : repositoryOf(o.ref)}`);
    seen.set(key, o.text);
  }
  return overrides;
}

/** The pod specs inside an object, for every kind that has one. */
export function podSpecsOf(object: KubeObject): PodSpec[] {
  const spec = object['spec'] as Record<string, unknown> | undefined;
  switch (object.kind) {
    case 'Pod':
      return spec ? [spec as PodSpec] : [];
    case 'CronJob': {
      const jobTemplate = spec?.['jobTemplate'] as { spec?: { template?: { spec?: PodSpec } } } | undefined;
      return jobTemplate?.spec?.template?.spec ? [jobTemplate.spec.template.spec] : [];
    }
    case 'PodTemplate': {
      const template = object['template'] as { spec?: PodSpec } | undefined;
      return template?.spec ? [template.spec] : [];
    }
    default: {
      const template = spec?.['template'] as { spec?: PodSpec } | undefined;
      return template?.spec && typeof template.spec === 'object' ? [template.spec] : [];
    }
  }
}

export function containersOf(object: KubeObject): Container[] {
  return podSpecsOf(object).flatMap((spec) => [...(spec.initContainers ?? []), ...(spec.containers ?? [])]);
}

/** The images a workload's pods run, init containers first. */
export function imagesOf(object: KubeObject): string[] {
  return containersOf(object)
    .filter((c) => c.image)
    .map((c) => c.image as string);
}

function overrideFor(container: Container, overrides: readonly ImageOverride[]): ImageOverride | undefined {
  const byName = overrides.find((o) => o.container === container.name);
  if (byName) return byName;
  const current = container.image ? parseImageRef(container.image) : undefined;
  if (current && typeof current !== 'string') {
    const byRepo = overrides.find((o) => o.container === undefined && sameRepository(o.ref, current));
    if (byRepo) return byRepo;
  }
  return overrides.find((o) => o.container === '*');
}

/**
 * Applies the overrides to the objects in place. Every override must match at least one container,
 * so a typo is an error naming the input, not a deployment of the old image.
 */
export function substituteImages(objects: readonly KubeObject[], overrides: readonly ImageOverride[], inputName = 'images'): ImageChange[] {
  const changes: ImageChange[] = [];
  const used = new Set<ImageOverride>();
  for (const object of objects) {
    for (const container of containersOf(object)) {
      const override = overrideFor(container, overrides);
      if (!override) continue;
      used.add(override);
      if (container.image !== override.ref.original) {
        changes.push({ kind: object.kind, name: object.metadata.name ?? '', container: container.name, from: container.image ?? '', to: override.ref.original });
        container.image = override.ref.original;
      }
    }
  }
  const unused = overrides.filter((o) => !used.has(o));
  if (unused.length) {
    const known = [...new Set(objects.flatMap((o) => containersOf(o).map((c) => `${c.name}=${c.image ?? ''}`)))];
    const what = unused[0] as ImageOverride;
    const why = what.container !== undefined ? `no container is named '${what.container}'` : `no container image is in repository ${repositoryOf(what.ref)}`;
    throw new ConfigurationError(inputName, `'${what.text}' matches nothing in the manifests: ${why} (containers: ${known.slice(0, 8).join(', ') || 'none'}${known.length > 8 ? ', …' : ''})`);
  }
  return changes;
}
